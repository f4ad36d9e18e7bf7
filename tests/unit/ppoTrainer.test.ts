import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrainEvent } from '../../src/core/engine/engineApi.ts';
import { checkpointFiles, parseCheckpoint } from '../../src/core/model/checkpoint.ts';
import { GPT } from '../../src/core/model/gpt.ts';
import { defaultPpoRunConfig, type PpoRunConfig } from '../../src/core/ppo/ppoRunConfig.ts';
import type { PpoScorer } from '../../src/core/ppo/ppoReward.ts';
import { PpoRun, type PpoRequest } from '../../src/core/ppo/ppoTrainer.ts';
import { sequenceBatch } from '../../src/core/ppo/policyValue.ts';
import { loadRewardModel, rewardCheckpointFiles } from '../../src/core/reward/rewardCheckpoint.ts';
import { CharTokenizer } from '../../src/core/tokenizer/charTokenizer.ts';
import { DEFAULT_SAMPLING } from '../../src/core/train/defaults.ts';
import type { CheckpointFiles } from '../../src/core/train/pretrainConfig.ts';
import type { RunControls } from '../../src/core/train/runControls.ts';
import { ConfigError } from '../../src/core/train/validate.ts';
import { tinyLmCheckpoint } from './rewardFixtures.ts';
import { setupWasm } from './tfSetup.ts';

const PROMPTS = ['the cat was ', 'a dog ', 'the owl is ', 'I saw a fox. '];
const controls: RunControls = { shouldStop: () => false, waitWhilePaused: async () => undefined, sampling: () => DEFAULT_SAMPLING };
const tinyConfig = (over: Partial<PpoRunConfig> = {}): PpoRunConfig => ({
  ...defaultPpoRunConfig(),
  response_length: 6,
  per_device_train_batch_size: 2,
  num_mini_batches: 2,
  num_ppo_epochs: 2,
  max_steps: 3,
  save_steps: 1,
  missing_eos_penalty: 1,
  learning_rate: 1e-3,
  ...over,
});

let lm: CheckpointFiles;

beforeAll(async () => {
  await setupWasm();
  lm = await tinyLmCheckpoint(1, 40);
});

async function train(request: PpoRequest, scorer?: PpoScorer) {
  const events: TrainEvent[] = [];
  const tensorsAtMetrics: number[] = [];
  const run = new PpoRun(request, { scorer });
  const outcome = await run.run((es) => {
    events.push(...es);
    if (es.some((e) => e.type === 'metrics')) tensorsAtMetrics.push(tf.memory().numTensors);
  }, controls);
  run.dispose();
  return { outcome, events, tensorsAtMetrics };
}

describe('PpoRun', () => {
  it('runs PPO iterations with TRL metric names, finite numbers, flat memory and checkpoints', async () => {
    const n0 = tf.memory().numTensors;
    const { outcome, events, tensorsAtMetrics } = await train({ config: tinyConfig(), from: lm, reward: { kind: 'gold' }, prompts: PROMPTS });
    expect(outcome).toMatchObject({ status: 'finished', step: 3, checkpointStep: 3 });
    const rows = events.flatMap((e) => (e.type === 'metrics' ? e.rows : []));
    expect(rows.map((r) => r.step)).toEqual([1, 2, 3]);
    for (const name of ['objective/kl', 'objective/entropy', 'objective/non_score_reward', 'objective/rlhf_reward', 'objective/scores', 'policy/approxkl_avg', 'policy/clipfrac_avg', 'loss/policy_avg', 'loss/value_avg', 'val/clipfrac_avg', 'val/ratio', 'val/num_eos_tokens', 'gold/score_mean']) {
      for (const row of rows) expect(Number.isFinite(row[name]), `${name} at ${row.step}`).toBe(true);
    }
    // The policy starts as the reference: no KL on the first batch.
    expect(rows[0]['objective/kl']).toBeCloseTo(0, 5);
    // Gold run: the scores are the gold scores minus the missing-EOS penalty.
    expect(rows[0]['objective/scores']).toBeLessThanOrEqual(rows[0]['gold/score_mean']!);
    expect(tensorsAtMetrics[2]).toBe(tensorsAtMetrics[1]);
    expect(tf.memory().numTensors).toBe(n0);
    const samples = events.filter((e) => e.type === 'samples');
    expect(samples).toHaveLength(3);
    expect(samples[0].type === 'samples' && samples[0].samples[0]).toMatchObject({ prompt: expect.any(String), completion: expect.any(String), score: expect.any(Number), kl: expect.any(Number) });
    const checkpoints = events.filter((e) => e.type === 'checkpoint');
    expect(checkpoints.map((e) => e.type === 'checkpoint' && e.step)).toEqual([1, 2, 3]);
    const last = checkpoints.at(-1)!;
    expect(last.type === 'checkpoint' && parseCheckpoint(last.files).info.stage).toBe('ppo');
  }, 20_000);

  it('a NaN reward stops the run and keeps the last good checkpoint', async () => {
    const n0 = tf.memory().numTensors;
    let calls = 0;
    // Good scores on the first batch, NaN on the second.
    const scorer = { score: async (p: readonly string[]) => (calls++, p.map(() => (calls > 1 ? NaN : 1))), dispose: () => undefined };
    const { outcome, events } = await train({ config: tinyConfig(), from: lm, reward: { kind: 'gold' }, prompts: PROMPTS }, scorer);
    expect(outcome).toMatchObject({ status: 'failed', step: 2, checkpointStep: 1 });
    expect(outcome.message).toMatch(/reward became NaN at iteration 2.*last good checkpoint \(iteration 1\) is kept/);
    expect(events.filter((e) => e.type === 'checkpoint')).toHaveLength(1);
    expect(tf.memory().numTensors).toBe(n0);
  }, 20_000);

  it('trains against a reward checkpoint and logs the gold score beside its scores', async () => {
    const loaded = loadRewardModel(lm, 3);
    const reward = await rewardCheckpointFiles(loaded.model, loaded.tokenizer, { stage: 'reward', step: 1, run_config: null });
    loaded.model.dispose();
    const { outcome, events } = await train({ config: tinyConfig({ max_steps: 1 }), from: lm, reward: { kind: 'model', files: reward }, prompts: PROMPTS });
    expect(outcome.status).toBe('finished');
    const row = events.flatMap((e) => (e.type === 'metrics' ? e.rows : []))[0];
    expect(Number.isFinite(row['objective/scores'])).toBe(true);
    expect(Number.isFinite(row['gold/score_mean'])).toBe(true);
  }, 20_000);

  it('refuses bad settings, a reward model with another tokenizer and prompts too long for the context, naming the field', async () => {
    const field = (request: PpoRequest) => new PpoRun(request).run(() => undefined, controls).then(() => null, (e: unknown) => (e instanceof ConfigError ? e.errors[0].field : String(e)));
    expect(await field({ config: tinyConfig({ kl_coef: NaN }), from: lm, reward: { kind: 'gold' }, prompts: PROMPTS })).toBe('kl_coef');
    expect(await field({ config: tinyConfig({ response_length: 30 }), from: lm, reward: { kind: 'gold' }, prompts: PROMPTS })).toBe('response_length');
    expect(await field({ config: tinyConfig(), from: lm, reward: { kind: 'gold' }, prompts: ['a'.repeat(45)] })).toBe('prompts');
    const tok = CharTokenizer.train('xyz ');
    const other = GPT.create({ vocab_size: tok.vocabSize, n_positions: 40, n_embd: 16, n_layer: 1, n_head: 2 }, 0);
    const otherLoaded = loadRewardModel(await checkpointFiles(other, tok, { stage: 'pretrain', step: 0, run_config: null }), 0);
    other.dispose();
    const otherReward = await rewardCheckpointFiles(otherLoaded.model, tok, { stage: 'reward', step: 1, run_config: null });
    otherLoaded.model.dispose();
    expect(await field({ config: tinyConfig(), from: lm, reward: { kind: 'model', files: otherReward }, prompts: PROMPTS })).toBe('reward');
    expect(await field({ config: tinyConfig(), from: lm, reward: { kind: 'model', files: lm }, prompts: PROMPTS })).toBe('reward');
  }, 20_000);

  it('lays out right-padded prompt + response rows with each response token selected from the position before it', () => {
    const b = sequenceBatch([[5, 6], [7]], [[1, 2, 0], [3]], 3, 0);
    expect(b.L).toBe(5);
    expect(Array.from(b.ids)).toEqual([5, 6, 1, 2, 0, 7, 3, 0, 0, 0]);
    const picked = (row: number, t: number) => [...Array(b.L).keys()].filter((l) => b.select[(row * b.L + l) * b.T + t] === 1);
    expect([picked(0, 0), picked(0, 2), picked(1, 0), picked(1, 1)]).toEqual([[1], [3], [0], []]);
    expect(b.targets[1]).toBe(1);
  });
});
