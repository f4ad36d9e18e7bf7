import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultDpoRunConfig, type DpoRunConfig } from '../../src/core/dpo/dpoConfig.ts';
import { DpoRun, type DpoRequest, type DpoRunOptions } from '../../src/core/dpo/dpoTrainer.ts';
import { OBJECTIVES } from '../../src/core/dpo/preferenceObjectives.ts';
import type { TrainEvent } from '../../src/core/engine/engineApi.ts';
import { checkpointFiles, parseCheckpoint } from '../../src/core/model/checkpoint.ts';
import { GPT } from '../../src/core/model/gpt.ts';
import { CharTokenizer } from '../../src/core/tokenizer/charTokenizer.ts';
import { DEFAULT_SAMPLING } from '../../src/core/train/defaults.ts';
import type { CheckpointFiles, MetricRow } from '../../src/core/train/pretrainConfig.ts';
import type { RunControls } from '../../src/core/train/runControls.ts';
import { ConfigError } from '../../src/core/train/validate.ts';
import { happyPairs, tinyLmCheckpoint } from './rewardFixtures.ts';
import { setupWasm } from './tfSetup.ts';

const controls: RunControls = { shouldStop: () => false, waitWhilePaused: async () => undefined, sampling: () => DEFAULT_SAMPLING };
const SAMPLING = { ...DEFAULT_SAMPLING, max_new_tokens: 6 };
const tinyConfig = (over: Partial<DpoRunConfig> = {}): DpoRunConfig => ({
  ...defaultDpoRunConfig(),
  per_device_train_batch_size: 4,
  max_steps: 3,
  eval_steps: 3,
  save_steps: 1,
  logging_steps: 1,
  eval_fraction: 0.25,
  num_eval_prompts: 3,
  learning_rate: 1e-3,
  max_length: 40,
  ...over,
});

let lm: CheckpointFiles;

beforeAll(async () => {
  await setupWasm();
  lm = await tinyLmCheckpoint(1, 40);
});

const request = (over: Partial<DpoRequest> = {}): DpoRequest => ({ config: tinyConfig(), pairs: happyPairs(12), from: lm, sampling: SAMPLING, prompts: ['Write a story about the cat.\n'], ...over });

async function train(req: DpoRequest, options?: DpoRunOptions) {
  const events: TrainEvent[] = [];
  const tensorsAtMetrics: number[] = [];
  const run = new DpoRun(req, options);
  const outcome = await run.run((es) => {
    events.push(...es);
    if (es.some((e) => e.type === 'metrics')) tensorsAtMetrics.push(tf.memory().numTensors);
  }, controls);
  run.dispose();
  const rows = events.flatMap((e) => (e.type === 'metrics' ? e.rows : []));
  return { outcome, events, rows, tensorsAtMetrics };
}

const SHARED = ['loss', 'rewards/chosen', 'rewards/rejected', 'rewards/accuracies', 'rewards/margins', 'logps/chosen', 'logps/rejected', 'logits/chosen', 'logits/rejected'];
const trainRows = (rows: MetricRow[]) => rows.filter((r) => r.loss !== undefined);

describe('DpoRun', () => {
  it('trains DPO with TRL metric names, finite values, flat memory, samples and dpo checkpoints', async () => {
    const n0 = tf.memory().numTensors;
    const { outcome, events, rows, tensorsAtMetrics } = await train(request());
    expect(outcome).toMatchObject({ status: 'finished', step: 3, checkpointStep: 3 });
    const steps = trainRows(rows);
    expect(steps.map((r) => r.step)).toEqual([1, 2, 3]);
    for (const row of steps) for (const name of [...SHARED, 'learning_rate']) expect(Number.isFinite(row[name]), `${name} at ${row.step}`).toBe(true);
    // The policy starts as the reference: no implicit reward on the first batch.
    expect(steps[0]['rewards/chosen']).toBeCloseTo(0, 5);
    expect(steps[0].loss).toBeCloseTo(Math.log(2), 4);
    const evalRow = rows.find((r) => r['eval/loss'] !== undefined)!;
    for (const name of [...SHARED.map((n) => `eval/${n}`), 'eval/gold_win_rate', 'gold/score_mean']) expect(Number.isFinite(evalRow[name]), name).toBe(true);
    expect(tensorsAtMetrics[2]).toBe(tensorsAtMetrics[1]);
    expect(tf.memory().numTensors).toBe(n0);
    const samples = events.find((e) => e.type === 'samples');
    expect(samples?.type === 'samples' && samples.samples[0]).toMatchObject({ prompt: 'Write a story about the cat.\n', completion: expect.any(String), reference_completion: expect.any(String), gold_score: expect.any(Number), reference_gold_score: expect.any(Number) });
    const checkpoints = events.filter((e) => e.type === 'checkpoint');
    expect(checkpoints.map((e) => e.type === 'checkpoint' && e.step)).toEqual([1, 2, 3]);
    const last = checkpoints.at(-1)!;
    expect(last.type === 'checkpoint' && parseCheckpoint(last.files).info.stage).toBe('dpo');
  }, 30_000);

  it('trains KTO, ORPO, CPO and SimPO with their own metrics, all finite', async () => {
    const cases: [Partial<DpoRunConfig>, string[]][] = [
      [{ method: 'kto' }, ['kl']],
      [{ method: 'orpo' }, ['log_odds_ratio', 'log_odds_chosen', 'nll_loss']],
      [{ method: 'cpo' }, ['nll_loss']],
      [{ method: 'cpo', cpo_loss_type: 'simpo', cpo_alpha: 0 }, ['nll_loss']],
      [{ method: 'dpo', loss_type: ['sigmoid', 'sft'], loss_weights: [1, 0.5], reference_free: true }, []],
    ];
    for (const [over, extras] of cases) {
      const n0 = tf.memory().numTensors;
      const { outcome, rows } = await train(request({ config: tinyConfig({ ...over, max_steps: 2, eval_steps: 2 }) }));
      expect(outcome.status, JSON.stringify(over)).toBe('finished');
      for (const row of trainRows(rows)) for (const name of [...SHARED, ...extras]) expect(Number.isFinite(row[name]), `${JSON.stringify(over)} ${name}`).toBe(true);
      const evalRow = rows.find((r) => r['eval/loss'] !== undefined)!;
      for (const name of extras) expect(Number.isFinite(evalRow[`eval/${name}`]), `eval/${name}`).toBe(true);
      expect(tf.memory().numTensors, JSON.stringify(over)).toBe(n0);
    }
  }, 60_000);

  it('gives the same first-step loss with precomputed reference log-probs as with a live reference', async () => {
    const first = async (precompute: boolean) => trainRows((await train(request({ config: tinyConfig({ max_steps: 1, precompute_ref_log_probs: precompute, loss_type: ['ipo'] }) }))).rows)[0];
    const live = await first(false);
    const pre = await first(true);
    expect(pre.loss).toBeCloseTo(live.loss!, 5);
    expect(pre['rewards/margins']).toBeCloseTo(live['rewards/margins']!, 5);
    // With a given reference (here another random model of the same tokenizer) the first step already has rewards.
    const otherRef = await tinyLmCheckpoint(9, 40);
    const withRef = trainRows((await train(request({ reference: otherRef, config: tinyConfig({ max_steps: 1 }) }))).rows)[0];
    expect(Math.abs(withRef['rewards/chosen']!)).toBeGreaterThan(1e-4);
  }, 30_000);

  it('logs objective/kl on the fresh samples: 0 while the policy is the reference, finite after training, none without a reference', async () => {
    // A loss with no gradient leaves the policy equal to the reference (Adam's update of a zero gradient is 0).
    const still: DpoRunOptions['objective'] = (x, c) => {
      const out = OBJECTIVES.dpo(x, c);
      return { ...out, loss: tf.mul(tf.sum(x.policy.chosen_logps), 0) as tf.Scalar };
    };
    const evalKl = (rows: MetricRow[]) => rows.filter((r) => r['eval/gold_win_rate'] !== undefined).map((r) => r['objective/kl']);
    const n0 = tf.memory().numTensors;
    const untouched = await train(request({ config: tinyConfig({ max_steps: 2, eval_steps: 1 }) }), { objective: still });
    expect(evalKl(untouched.rows)).toHaveLength(2);
    for (const kl of evalKl(untouched.rows)) expect(kl).toBeCloseTo(0, 4);
    const trained = await train(request({ config: tinyConfig({ max_steps: 3, eval_steps: 1, learning_rate: 1e-2 }) }));
    const kls = evalKl(trained.rows);
    expect(kls).toHaveLength(3);
    for (const kl of kls) expect(Number.isFinite(kl)).toBe(true);
    expect(Math.abs(kls[2]!)).toBeGreaterThan(1e-4);
    expect(trained.tensorsAtMetrics.at(-1)).toBe(trained.tensorsAtMetrics.at(-3));
    for (const over of [{ method: 'orpo' as const }, { precompute_ref_log_probs: true }]) {
      const { rows } = await train(request({ config: tinyConfig({ ...over, max_steps: 1, eval_steps: 1 }) }));
      expect(evalKl(rows), JSON.stringify(over)).toEqual([undefined]);
    }
    expect(tf.memory().numTensors).toBe(n0);
  }, 60_000);

  it('a NaN loss stops the run as failed and keeps the last good checkpoint', async () => {
    const n0 = tf.memory().numTensors;
    let calls = 0;
    const objective: DpoRunOptions['objective'] = (x, c) => {
      const out = OBJECTIVES.dpo(x, c);
      calls++;
      return calls >= 3 ? { ...out, loss: tf.mul(out.loss, NaN) as tf.Scalar } : out;
    };
    const { outcome, events } = await train(request({ config: tinyConfig({ max_steps: 5, eval_steps: 100 }) }), { objective });
    expect(outcome).toMatchObject({ status: 'failed', step: 3, checkpointStep: 2 });
    expect(outcome.message).toMatch(/loss became NaN at step 3.*last good checkpoint \(step 2\) is kept/);
    expect(events.filter((e) => e.type === 'checkpoint').map((e) => e.type === 'checkpoint' && e.step)).toEqual([1, 2]);
    expect(tf.memory().numTensors).toBe(n0);
  }, 30_000);

  it('stops when told, saving a checkpoint of the steps since the last one', async () => {
    let steps = 0;
    const run = new DpoRun(request({ config: tinyConfig({ max_steps: 10, save_steps: 5, eval_steps: 100 }) }));
    const events: TrainEvent[] = [];
    const outcome = await run.run((es) => {
      events.push(...es);
      steps += es.filter((e) => e.type === 'metrics').length;
    }, { ...controls, shouldStop: () => steps >= 3 });
    run.dispose();
    expect(outcome).toMatchObject({ status: 'stopped', step: 3, checkpointStep: 3 });
    expect(events.filter((e) => e.type === 'checkpoint').map((e) => e.type === 'checkpoint' && e.step)).toEqual([3]);
  }, 30_000);

  it('refuses bad input with a message naming the field', async () => {
    const field = (req: DpoRequest) => new DpoRun(req).run(() => undefined, controls).then(() => null, (e: unknown) => (e instanceof ConfigError ? `${e.errors[0].field}: ${e.errors[0].message}` : String(e)));
    expect(await field(request({ config: tinyConfig({ beta: 0 }) }))).toMatch(/^beta: must be above 0/);
    expect(await field(request({ config: tinyConfig({ beta: -1, method: 'kto' }) }))).toMatch(/^beta/);
    expect(await field(request({ pairs: [...happyPairs(3), { prompt: 'x', chosen: 'same', rejected: 'same' }] }))).toMatch(/^pairs: pair 4 has the same text/);
    expect(await field(request({ pairs: [...happyPairs(3), { prompt: 'x', chosen: 'a', rejected: '  ' }] }))).toMatch(/^pairs: pair 4 has an empty rejected/);
    expect(await field(request({ pairs: [] }))).toMatch(/^pairs/);
    expect(await field(request({ config: tinyConfig({ max_length: 41 }) }))).toMatch(/^max_length/);
    expect(await field(request({ config: tinyConfig({ loss_type: ['sigmoid', 'hinge'], loss_weights: [1] }) }))).toMatch(/^loss_weights/);
    const tok = CharTokenizer.train('xyz ');
    const other = GPT.create({ vocab_size: tok.vocabSize, n_positions: 40, n_embd: 16, n_layer: 1, n_head: 2 }, 0);
    const otherFiles = await checkpointFiles(other, tok, { stage: 'pretrain', step: 0, run_config: null });
    other.dispose();
    expect(await field(request({ reference: otherFiles }))).toMatch(/^reference: the reference model uses another tokenizer/);
    expect(await field(request({ from: { ...lm, config: '{' } }))).toMatch(/^from/);
  }, 30_000);
});
