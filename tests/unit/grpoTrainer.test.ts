import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrainEvent } from '../../src/core/engine/engineApi.ts';
import { defaultGrpoConfig, type GrpoConfig } from '../../src/core/grpo/grpoConfig.ts';
import { GrpoRun, type GrpoRequest } from '../../src/core/grpo/grpoTrainer.ts';
import { completionLogprobsAndEntropy } from '../../src/core/grpo/completionLogprobs.ts';
import { modelFromCheckpoint, parseCheckpoint } from '../../src/core/model/checkpoint.ts';
import { responseLogprobs, sequenceBatch } from '../../src/core/ppo/policyValue.ts';
import type { RewardFunction } from '../../src/core/rewards/rewardFunction.ts';
import { DEFAULT_SAMPLING } from '../../src/core/train/defaults.ts';
import type { CheckpointFiles } from '../../src/core/train/pretrainConfig.ts';
import type { RunControls } from '../../src/core/train/runControls.ts';
import { ConfigError } from '../../src/core/train/validate.ts';
import { tinyLmCheckpoint } from './rewardFixtures.ts';
import { setupWasm } from './tfSetup.ts';

const PROMPTS = ['the cat was ', 'a dog ', 'the owl is ', 'I saw a fox. '];
const controls: RunControls = { shouldStop: () => false, waitWhilePaused: async () => undefined, sampling: () => DEFAULT_SAMPLING };
const tinyConfig = (over: Partial<GrpoConfig> = {}): GrpoConfig => ({
  ...defaultGrpoConfig(),
  max_completion_length: 6,
  num_generations: 2,
  per_device_train_batch_size: 4,
  max_steps: 3,
  save_steps: 1,
  learning_rate: 1e-3,
  ...over,
});

let lm: CheckpointFiles;

beforeAll(async () => {
  await setupWasm();
  lm = await tinyLmCheckpoint(1, 40);
});

async function train(request: GrpoRequest, rewardFunctions?: RewardFunction[]) {
  const events: TrainEvent[] = [];
  const tensorsAtMetrics: number[] = [];
  const run = new GrpoRun(request, { rewardFunctions });
  const outcome = await run.run((es) => {
    events.push(...es);
    if (es.some((e) => e.type === 'metrics')) tensorsAtMetrics.push(tf.memory().numTensors);
  }, controls);
  run.dispose();
  const rows = events.flatMap((e) => (e.type === 'metrics' ? e.rows : []));
  return { outcome, events, rows, tensorsAtMetrics };
}

/** A reward by completion length, so groups differ; name 'len'. */
const byLength: RewardFunction = { name: 'len', score: async (_, completions) => completions.map((c) => c.length / 6) };

describe('completion log-probs and entropies', () => {
  it("match PPO's per-token log-probs; entropies lie in [0, ln V] and are 0 on padding", () => {
    const parsed = parseCheckpoint(lm);
    const model = modelFromCheckpoint(parsed);
    const V = parsed.tokenizer.vocabSize;
    const eos = parsed.tokenizer.eosId;
    const layout = sequenceBatch([[1, 2, 3], [4, 5]], [[6, 7, eos], [8]], 3, eos);
    const [lp, ent, ppo] = tf.tidy(() => {
      const out = completionLogprobsAndEntropy(model, layout, 0.7);
      return [out.logprobs, out.entropy, responseLogprobs(model, layout, 0.7).logprobs].map((t) => Array.from(t.dataSync()));
    });
    lp.forEach((v, i) => expect(v).toBeCloseTo(ppo[i], 5));
    for (const i of [0, 1, 2, 3]) expect(ent[i]).toBeGreaterThan(0);
    for (const e of ent) expect(e).toBeLessThanOrEqual(Math.log(V) + 1e-4);
    expect(ent.slice(4)).toEqual([0, 0]);
    model.dispose();
  });
});

describe('GrpoRun', () => {
  it('runs GRPO steps with TRL metric names, flat memory and grpo checkpoints', async () => {
    const n0 = tf.memory().numTensors;
    const { outcome, events, rows, tensorsAtMetrics } = await train({ method: 'grpo', config: tinyConfig({ beta: 0.1 }), from: lm, rewards: [{ kind: 'gold' }, { kind: 'builtin', name: 'length' }], prompts: PROMPTS });
    expect(outcome).toMatchObject({ status: 'finished', step: 3, checkpointStep: 3 });
    expect(rows.map((r) => r.step)).toEqual([1, 2, 3]);
    for (const name of ['loss', 'reward', 'reward_std', 'frac_reward_zero_std', 'rewards/gold/mean', 'rewards/gold/std', 'rewards/length/mean', 'gold/score_mean', 'kl', 'entropy', 'clip_ratio/low_mean', 'clip_ratio/low_min', 'clip_ratio/high_mean', 'clip_ratio/high_max', 'clip_ratio/region_mean', 'completions/mean_length', 'completions/clipped_ratio']) {
      expect(Number.isFinite(rows[2][name]), name).toBe(true);
    }
    // On-policy: the ratio is exactly 1, so nothing is clipped.
    expect(rows[2]['clip_ratio/region_mean']).toBe(0);
    expect(tensorsAtMetrics[2]).toBe(tensorsAtMetrics[1]);
    expect(tf.memory().numTensors).toBe(n0);
    const samples = events.flatMap((e) => (e.type === 'samples' ? e.samples : []));
    expect(samples[0]).toMatchObject({ prompt: expect.any(String), completion: expect.any(String), reward: expect.any(Number), gold_score: expect.any(Number), advantage: expect.any(Number), rewards: { gold: expect.any(Number), length: expect.any(Number) } });
    const last = events.filter((e) => e.type === 'checkpoint').pop()!;
    expect(parseCheckpoint((last as TrainEvent & { type: 'checkpoint' }).files).info).toMatchObject({ stage: 'grpo', step: 3 });
  });

  it('runs RLOO with beta (KL in the reward), num_iterations 2 and masked truncated completions', async () => {
    const n0 = tf.memory().numTensors;
    const { outcome, rows, tensorsAtMetrics } = await train({ method: 'rloo', config: tinyConfig({ beta: 0.05, num_iterations: 2, mask_truncated_completions: true, normalize_advantages: true, reward_weights: [2] }), from: lm, rewards: [], prompts: PROMPTS }, [byLength]);
    expect(outcome.status).toBe('finished');
    for (const name of ['loss', 'kl', 'entropy', 'rewards/len/mean', 'clip_ratio/region_mean']) expect(Number.isFinite(rows[2][name]), name).toBe(true);
    expect(tensorsAtMetrics[2]).toBe(tensorsAtMetrics[1]);
    expect(tf.memory().numTensors).toBe(n0);
  });

  it('a reward function that throws fails the run with its name; inf fails it too', async () => {
    const throwing: RewardFunction = { name: 'broken', score: async () => { throw new Error('boom'); } };
    const a = await train({ method: 'grpo', config: tinyConfig(), from: lm, rewards: [], prompts: PROMPTS }, [byLength, throwing]);
    expect(a.outcome).toMatchObject({ status: 'failed', step: 1 });
    expect(a.outcome.message).toMatch(/reward function "broken" threw at step 1: boom/);
    const infinite: RewardFunction = { name: 'huge', score: async (_, c) => c.map(() => Infinity) };
    const b = await train({ method: 'grpo', config: tinyConfig(), from: lm, rewards: [], prompts: PROMPTS }, [infinite]);
    expect(b.outcome.message).toMatch(/"huge" returned Infinity/);
  });

  it('steps where no completion is judged make no update; 3 in a row end the run', async () => {
    const nan: RewardFunction = { name: 'never', score: async (_, c) => c.map(() => NaN) };
    const n0 = tf.memory().numTensors;
    const { outcome, rows } = await train({ method: 'rloo', config: tinyConfig({ max_steps: 5 }), from: lm, rewards: [], prompts: PROMPTS }, [nan]);
    expect(rows.map((r) => r.step)).toEqual([1, 2, 3]);
    for (const row of rows) {
      expect(row.loss).toBeUndefined();
      expect(row.reward).toBeUndefined();
      // A function without scoreBatch cannot fail on one completion: no failures metric.
      expect(row['rewards/never/failures']).toBeUndefined();
    }
    expect(outcome).toMatchObject({ status: 'failed', step: 3, checkpointStep: 3 });
    expect(outcome.message).toMatch(/no reward function could judge any completion for 3 steps in a row .*"never" returned NaN or null/);
    expect(tf.memory().numTensors).toBe(n0);
  });

  it('logs objective/kl: exactly 0 at step 1 (the policy is the reference when sampling), finite after; absent when log_sequence_kl is false', async () => {
    const { rows } = await train({ method: 'grpo', config: tinyConfig({ learning_rate: 1e-2 }), from: lm, rewards: [], prompts: PROMPTS }, [byLength]);
    expect(rows[0]['objective/kl']).toBe(0);
    for (const row of rows.slice(1)) expect(Number.isFinite(row['objective/kl']), JSON.stringify(row)).toBe(true);
    const off = await train({ method: 'grpo', config: tinyConfig({ log_sequence_kl: false, max_steps: 1 }), from: lm, rewards: [], prompts: PROMPTS }, [byLength]);
    expect(off.rows).toHaveLength(1);
    expect('objective/kl' in off.rows[0]).toBe(false);
  });

  it('refuses bad settings naming the field', async () => {
    const run = new GrpoRun({ method: 'grpo', config: tinyConfig({ per_device_train_batch_size: 3 }), from: lm, rewards: [{ kind: 'builtin', name: 'nope' }], prompts: PROMPTS });
    await expect(run.run(() => undefined, controls)).rejects.toThrow(/per_device_train_batch_size: must be a multiple of num_generations/);
    const unknown = new GrpoRun({ method: 'grpo', config: tinyConfig(), from: lm, rewards: [{ kind: 'builtin', name: 'nope' }], prompts: PROMPTS });
    await expect(unknown.run(() => undefined, controls)).rejects.toThrow(ConfigError);
    const tooLong = new GrpoRun({ method: 'grpo', config: tinyConfig({ max_completion_length: 39 }), from: lm, rewards: [{ kind: 'gold' }], prompts: PROMPTS });
    await expect(tooLong.run(() => undefined, controls)).rejects.toThrow(/max_completion_length: prompt \d+ has \d+ tokens; with max_completion_length 39/);
  });
});
