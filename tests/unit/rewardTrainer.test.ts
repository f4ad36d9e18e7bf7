import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrainEvent } from '../../src/core/engine/engineApi.ts';
import { createNodeEngine } from '../../src/cli/nodeEngine.ts';
import { isRewardCheckpoint } from '../../src/core/reward/rewardCheckpoint.ts';
import { defaultRewardConfig, totalRewardSteps, type RewardConfig } from '../../src/core/reward/rewardConfig.ts';
import { RewardRun, type RewardRequest } from '../../src/core/reward/rewardTrainer.ts';
import { DEFAULT_SAMPLING } from '../../src/core/train/defaults.ts';
import type { MetricRow } from '../../src/core/train/pretrainConfig.ts';
import type { RunControls } from '../../src/core/train/runControls.ts';
import { ConfigError } from '../../src/core/train/validate.ts';
import { happyPairs, tinyLmCheckpoint } from './rewardFixtures.ts';
import { setupWasm } from './tfSetup.ts';

beforeAll(setupWasm);

function tinyConfig(over: Partial<RewardConfig> = {}): RewardConfig {
  return { ...defaultRewardConfig(), learning_rate: 1e-2, warmup_steps: 0, per_device_train_batch_size: 4, max_steps: 24, max_length: 40, logging_steps: 4, eval_steps: 8, eval_fraction: 0.25, ...over };
}

const free: RunControls = { shouldStop: () => false, waitWhilePaused: async () => undefined, sampling: () => DEFAULT_SAMPLING };

async function collect(request: RewardRequest, controls = free) {
  const run = new RewardRun(request);
  const events: TrainEvent[] = [];
  const outcome = await run.run((e) => events.push(...e), controls);
  return { run, outcome, events, rows: events.flatMap((e) => (e.type === 'metrics' ? e.rows : [])) as MetricRow[] };
}

describe('RewardRun', () => {
  it('learns the happy-ending preference with TRL metric names, eval reports and reward checkpoints', async () => {
    const n0 = tf.memory().numTensors;
    const { run, outcome, events, rows } = await collect({ config: tinyConfig(), pairs: happyPairs(40), from: await tinyLmCheckpoint() });
    expect(outcome).toMatchObject({ status: 'finished', step: 24, checkpointStep: 24 });
    const started = events[0];
    expect(started).toMatchObject({ type: 'started', numTrainExamples: 30, numEvalExamples: 10 });
    const train = rows.filter((r) => r.loss !== undefined);
    expect(train.map((r) => r.step)).toEqual([4, 8, 12, 16, 20, 24]);
    expect(Object.keys(train[0]).sort()).toEqual(['accuracy', 'epoch', 'learning_rate', 'loss', 'margin', 'max_reward', 'mean_reward', 'min_reward', 'num_tokens', 'step']);
    expect(train.at(-1)!.loss!).toBeLessThan(train[0].loss!);
    const evals = rows.filter((r) => r['eval/accuracy'] !== undefined);
    // eval_on_start: the untrained head is measured at step 0 too.
    expect(evals.map((r) => r.step)).toEqual([0, 8, 16, 24]);
    expect(Object.keys(evals[0]).sort()).toEqual(['eval/accuracy', 'eval/gold_accuracy', 'eval/loss', 'eval/margin', 'eval/max_reward', 'eval/mean_reward', 'eval/min_reward', 'step']);
    expect(evals.at(-1)!['eval/accuracy']).toBe(1);
    // The labels are the gold preference here, so both accuracies agree.
    expect(evals.at(-1)!['eval/gold_accuracy']).toBe(1);
    const reports = events.flatMap((e) => (e.type === 'rewardEval' ? [e.report] : []));
    expect(reports.map((r) => r.step)).toEqual([0, 8, 16, 24]);
    expect(reports[0].chosen).toHaveLength(10);
    expect(reports[0].rejected).toHaveLength(10);
    expect(reports[0].mostWrong.length).toBeGreaterThan(0);
    const worst = reports.at(-1)!.mostWrong[0];
    expect(worst.rewardChosen - worst.rewardRejected).toBeLessThanOrEqual(Math.min(...reports.at(-1)!.chosen.map((c, i) => c - reports.at(-1)!.rejected[i])));
    const checkpoints = events.filter((e) => e.type === 'checkpoint');
    expect(checkpoints.map((e) => e.type === 'checkpoint' && e.step)).toEqual([8, 16, 24]);
    if (checkpoints[0].type === 'checkpoint') expect(isRewardCheckpoint(checkpoints[0].files)).toBe(true);
    run.dispose();
    expect(tf.memory().numTensors).toBe(n0);
  });

  it('tensor count is flat across steps (margins and centering on)', async () => {
    const counts: number[] = [];
    const pairs = happyPairs(24).map((p, i) => ({ ...p, margin: i % 3 }));
    const { run, outcome } = await collect(
      { config: tinyConfig({ max_steps: 12, logging_steps: 1, eval_steps: 100, center_rewards_coefficient: 0.01 }), pairs, from: await tinyLmCheckpoint() },
      { ...free, shouldStop: () => (counts.push(tf.memory().numTensors), false) },
    );
    expect(outcome.status).toBe('finished');
    // After the first steps (Adam's moments appear at the first update) the count stays put.
    expect(new Set(counts.slice(2)).size).toBe(1);
    run.dispose();
  });

  it('continues from a reward checkpoint, counting steps on', async () => {
    const first = await collect({ config: tinyConfig({ max_steps: 8 }), pairs: happyPairs(20), from: await tinyLmCheckpoint() });
    const ckpt = first.events.findLast((e) => e.type === 'checkpoint');
    first.run.dispose();
    if (ckpt?.type !== 'checkpoint') throw new Error('no checkpoint');
    const second = await collect({ config: tinyConfig({ max_steps: 4 }), pairs: happyPairs(20), from: ckpt.files });
    expect(second.outcome).toMatchObject({ status: 'finished', step: 12 });
    second.run.dispose();
  });

  it('stops on request, evaluating and keeping a checkpoint of where it got to', async () => {
    let steps = 0;
    const { run, outcome, events } = await collect(
      { config: tinyConfig({ max_steps: 1000, eval_steps: 1000 }), pairs: happyPairs(20), from: await tinyLmCheckpoint() },
      { ...free, shouldStop: () => ++steps > 5 },
    );
    expect(outcome).toMatchObject({ status: 'stopped', step: 5, checkpointStep: 5 });
    expect(events.some((e) => e.type === 'rewardEval')).toBe(true);
    run.dispose();
  });

  it('fails on a loss that is not finite, keeping the last good checkpoint', async () => {
    // Margins of 1e38 make the loss a mean of four ~1e38 terms: their float32 sum overflows to Infinity.
    const pairs = happyPairs(20).map((p, i) => ({ ...p, margin: i < 12 ? 0 : 1e38 }));
    const { run, outcome } = await collect({ config: tinyConfig({ max_steps: 40, logging_steps: 1, eval_steps: 1 }), pairs, from: await tinyLmCheckpoint() });
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(/loss became (Infinity|NaN) at step \d+.*last good checkpoint/);
    expect(outcome.checkpointStep).toBeLessThan(outcome.step);
    run.dispose();
  });

  it('refuses bad settings and data with messages naming the field', async () => {
    const from = await tinyLmCheckpoint();
    const fails = async (request: RewardRequest, field: RegExp) => {
      const run = new RewardRun(request);
      const error = await run.run(() => undefined, free).catch((e) => e);
      run.dispose();
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).errors[0].field).toMatch(field);
    };
    await fails({ config: tinyConfig({ learning_rate: NaN }), pairs: happyPairs(10), from }, /^learning_rate$/);
    await fails({ config: tinyConfig({ per_device_train_batch_size: -2 }), pairs: happyPairs(10), from }, /^per_device_train_batch_size$/);
    await fails({ config: tinyConfig({ center_rewards_coefficient: -1 }), pairs: happyPairs(10), from }, /^center_rewards_coefficient$/);
    await fails({ config: tinyConfig(), pairs: [], from }, /^data$/);
    await fails({ config: tinyConfig(), pairs: [...happyPairs(3), { prompt: 'x', chosen: ' ', rejected: 'y' }], from }, /^data$/);
    await fails({ config: tinyConfig({ max_length: 41 }), pairs: happyPairs(10), from }, /^max_length$/);
    // The character tokenizer of the checkpoint has never seen 'é'.
    await fails({ config: tinyConfig(), pairs: [...happyPairs(3), { prompt: 'Zoé', chosen: 'a', rejected: 'b' }], from }, /^tokenizer$/);
  });

  it('counts steps from epochs when max_steps is -1', () => {
    // 30 pairs at 4 per step = 8 steps an epoch (the last batch has 2); 2.5 epochs = 20 steps.
    expect(totalRewardSteps({ ...tinyConfig(), max_steps: -1, num_train_epochs: 2.5 }, 30)).toBe(20);
  });

  it('through the engine: trainReward, then scoreTexts with its checkpoint ranks the happy ending higher', async () => {
    const engine = createNodeEngine();
    await engine.setBackend('wasm');
    let files: TrainEvent & { type: 'checkpoint' } | undefined;
    const outcome = await engine.trainReward({ config: tinyConfig({ max_steps: 24, eval_steps: 24 }), pairs: happyPairs(40), from: await tinyLmCheckpoint() }, (events) => {
      for (const e of events) if (e.type === 'checkpoint') files = e;
    });
    expect(outcome.status).toBe('finished');
    const [happy, sad] = await engine.scoreTexts(files!.files, [
      { prompt: 'Write a story about the owl and the fox.\n', completion: 'The owl was glad!' },
      { prompt: 'Write a story about the owl and the fox.\n', completion: 'The owl was sad.' },
    ]);
    expect(happy).toBeGreaterThan(sad);
    await expect(engine.scoreTexts(await tinyLmCheckpoint(), [{ prompt: 'a', completion: 'b' }])).rejects.toThrow(/not a reward model/);
  });
});
