import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultLiveDpoConfig, LiveDpoSession, validateLiveDpoConfig, type LiveDpoConfig } from '../../src/core/dpo/liveDpo.ts';
import { parseCheckpoint, type ParsedCheckpoint } from '../../src/core/model/checkpoint.ts';
import { tinyLmCheckpoint } from './rewardFixtures.ts';
import { setupWasm } from './tfSetup.ts';

let parsed: ParsedCheckpoint;
const config = (over: Partial<LiveDpoConfig> = {}): LiveDpoConfig => ({ ...defaultLiveDpoConfig(), max_new_tokens: 6, max_length: 40, ...over });
const PAIR = { prompt: 'the cat ', chosen: 'was happy.', rejected: 'was sad.' };

beforeAll(async () => {
  await setupWasm();
  parsed = parseCheckpoint(await tinyLmCheckpoint(1, 40));
});

describe('LiveDpoSession', () => {
  it('each label moves the policy toward the chosen completion and away from the rejected one', async () => {
    const session = new LiveDpoSession(parsed, config({ learning_rate: 5e-3 }));
    const before = await session.logRatios([PAIR.prompt, PAIR.prompt], [PAIR.chosen, PAIR.rejected]);
    expect(before[0]).toBeCloseTo(0, 5); // the policy starts as the reference
    expect(before[1]).toBeCloseTo(0, 5);
    const first = await session.learn(PAIR);
    expect(first.step).toBe(defaultLiveDpoConfig().steps_per_label);
    expect(first.labels).toBe(1);
    // Before the first step the policy is the reference: DPO's sigmoid loss is log 2 there, and it falls as the steps go.
    expect(first.loss).toBeLessThan(Math.log(2) + 1e-6);
    const second = await session.learn(PAIR);
    expect(second['rewards/margins']).toBeGreaterThan(first['rewards/margins']);
    expect(second['rewards/accuracies']).toBe(1);
    const after = await session.logRatios([PAIR.prompt, PAIR.prompt], [PAIR.chosen, PAIR.rejected]);
    expect(after[0] - after[1]).toBeGreaterThan(0);
    session.dispose();
  });

  it("token by token, the implicit rewards add up to beta times the completion's log-ratio", async () => {
    const session = new LiveDpoSession(parsed, config({ beta: 0.5 }));
    await session.learn(PAIR);
    const [chosen, rejected] = await session.tokenRewards(PAIR.prompt, [PAIR.chosen, PAIR.rejected]);
    const ratios = await session.logRatios([PAIR.prompt, PAIR.prompt], [PAIR.chosen, PAIR.rejected]);
    // The character tokenizer: one token per character, then end-of-text.
    expect(chosen.tokens).toEqual([...PAIR.chosen, '<eos>']);
    expect(chosen.rewards.reduce((a, b) => a + b, 0)).toBeCloseTo(0.5 * ratios[0], 4);
    expect(rejected.rewards.reduce((a, b) => a + b, 0)).toBeCloseTo(0.5 * ratios[1], 4);
    session.dispose();
  });

  it('samples n completions per prompt from the current policy, and keeps memory flat across labels', async () => {
    const session = new LiveDpoSession(parsed, config());
    const out = await session.sample(['the cat ', 'a dog '], 2);
    expect(out.map((c) => c.length)).toEqual([2, 2]);
    await session.learn(PAIR);
    const n0 = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      await session.learn({ prompt: 'a dog ', chosen: `ran ${i}`, rejected: 'sat' });
      await session.sample(['the cat '], 2);
      await session.tokenRewards(PAIR.prompt, [PAIR.chosen]);
    }
    expect(tf.memory().numTensors).toBe(n0);
    session.dispose();
  });

  it('scores a sampled answer that was cut short without the end-of-text token a finished one has', async () => {
    const session = new LiveDpoSession(parsed, config({ max_new_tokens: 3 }));
    const [completions] = await session.sample(['the cat '], 2);
    const rows = await session.tokenRewards('the cat ', completions);
    completions.forEach((c, i) => {
      // The character tokenizer: 3 characters means it ran out of tokens; fewer means it ended.
      expect(rows[i].tokens.at(-1) === '<eos>').toBe(c.length < 3);
    });
    // A completion the session never sampled (a labeled file's) is a finished answer.
    const [given] = await session.tokenRewards('the cat ', ['abc']);
    expect(given.tokens).toEqual(['a', 'b', 'c', '<eos>']);
    session.dispose();
  });

  it('refuses a pair whose chosen and rejected are identical, and bad settings by field', async () => {
    const session = new LiveDpoSession(parsed, config());
    await expect(session.learn({ prompt: 'x', chosen: 'same', rejected: 'same' })).rejects.toThrow(/identical/);
    expect(session.labels).toBe(0);
    session.dispose();
    const fields = validateLiveDpoConfig({ ...defaultLiveDpoConfig(), beta: 0, steps_per_label: 0, learning_rate: Number.NaN }).map((e) => e.field);
    expect(fields).toEqual(['beta', 'learning_rate', 'steps_per_label']);
  });
});
