import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCheckpoint } from '../../src/core/model/checkpoint.ts';
import type { TrainEvent } from '../../src/core/engine/engineApi.ts';
import { DEFAULT_SAMPLING, defaultPretrainConfig } from '../../src/core/train/defaults.ts';
import { PretrainRun, type RunControls } from '../../src/core/train/pretrainer.ts';
import type { MetricRow, PretrainConfig } from '../../src/core/train/pretrainConfig.ts';
import { ConfigError, readUpload, validatePretrainConfig } from '../../src/core/train/validate.ts';
import { setupWasm } from './tfSetup.ts';

beforeAll(setupWasm);

function tinyConfig(over: Partial<PretrainConfig> = {}): PretrainConfig {
  return {
    ...defaultPretrainConfig(),
    corpus: { kind: 'stories', num_stories: 200, seed: 3 },
    tokenizer: { kind: 'char', vocabSize: 0 },
    model_preset: 'custom',
    model: { n_positions: 16, n_embd: 16, n_layer: 1, n_head: 2 },
    learning_rate: 1e-2,
    warmup_steps: 0,
    per_device_train_batch_size: 4,
    max_steps: 30,
    logging_steps: 5,
    eval_steps: 10,
    sample_steps: 15,
    ...over,
  };
}

const free: RunControls = { shouldStop: () => false, waitWhilePaused: async () => undefined, sampling: () => ({ ...DEFAULT_SAMPLING, max_new_tokens: 8 }) };

async function collect(run: PretrainRun, controls = free) {
  const events: TrainEvent[] = [];
  const outcome = await run.run((e) => events.push(...e), controls);
  return { outcome, events, rows: events.flatMap((e) => (e.type === 'metrics' ? e.rows : [])) as MetricRow[] };
}

describe('PretrainRun', () => {
  it('trains: loss falls, metrics use TRL names, samples and checkpoints arrive, tensors are released', async () => {
    const n0 = tf.memory().numTensors;
    const run = new PretrainRun({ config: tinyConfig(), sampling: DEFAULT_SAMPLING, prompts: ['Once upon'] });
    const { outcome, events, rows } = await collect(run);
    expect(outcome).toMatchObject({ status: 'finished', step: 30, checkpointStep: 30 });
    const losses = rows.filter((r) => r.loss !== undefined);
    expect(losses.map((r) => r.step)).toEqual([5, 10, 15, 20, 25, 30]);
    expect(losses.at(-1)!.loss!).toBeLessThan(losses[0].loss!);
    expect(Object.keys(losses[0]).sort()).toEqual(['epoch', 'learning_rate', 'loss', 'perplexity', 'step', 'tokens_per_second']);
    expect(rows.filter((r) => r['eval/loss'] !== undefined).map((r) => r.step)).toEqual([10, 20, 30]);
    const samples = events.filter((e) => e.type === 'samples');
    expect(samples.map((e) => e.step)).toEqual([15, 30]);
    const checkpoints = events.filter((e) => e.type === 'checkpoint');
    expect(checkpoints.map((e) => e.step)).toEqual([10, 20, 30]);
    const last = checkpoints.at(-1)!;
    if (last.type === 'checkpoint') expect(parseCheckpoint(last.files).info.step).toBe(30);
    run.dispose();
    expect(tf.memory().numTensors).toBe(n0);
  });

  it('tensor count is flat across steps of a run', async () => {
    const counts: number[] = [];
    const run = new PretrainRun({ config: tinyConfig({ logging_steps: 1, eval_steps: 1000, sample_steps: 1000, max_steps: 12 }), sampling: DEFAULT_SAMPLING, prompts: [] });
    await run.run(() => counts.push(tf.memory().numTensors), free);
    run.dispose();
    // The first step creates Adam's moment variables; after that nothing accumulates.
    expect(new Set(counts.slice(2)).size).toBe(1);
  });

  it('a NaN loss stops the run with a message and keeps the last good checkpoint', async () => {
    const run = new PretrainRun({ config: tinyConfig({ max_steps: 40 }), sampling: DEFAULT_SAMPLING, prompts: [] });
    let poisoned = false;
    const checkpoints: number[] = [];
    const outcome = await run.run((events) => {
      for (const e of events) if (e.type === 'checkpoint') checkpoints.push(e.step);
      if (checkpoints.length === 1 && !poisoned) {
        poisoned = true;
        const w = run.model!.params.get('transformer.ln_f.weight')!;
        w.assign(tf.fill(w.shape, NaN));
      }
    }, free);
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(/loss became NaN at step 1[1-5]/);
    expect(outcome.checkpointStep).toBe(10);
    expect(checkpoints).toEqual([10]);
    run.dispose();
  });

  it('stop ends the run early with a checkpoint of where it got to', async () => {
    let steps = 0;
    const run = new PretrainRun({ config: tinyConfig({ logging_steps: 1, max_steps: 100 }), sampling: DEFAULT_SAMPLING, prompts: [] });
    const { outcome, events } = await collect(run, { ...free, shouldStop: () => ++steps > 7 });
    expect(outcome.status).toBe('stopped');
    expect(outcome.step).toBe(7);
    expect(events.filter((e) => e.type === 'checkpoint').at(-1)).toMatchObject({ step: 7 });
    run.dispose();
  });

  it('continues from a checkpoint: same tokenizer, step count carried on', async () => {
    const first = new PretrainRun({ config: tinyConfig({ max_steps: 10 }), sampling: DEFAULT_SAMPLING, prompts: [] });
    const a = await collect(first);
    const ck = a.events.filter((e) => e.type === 'checkpoint').at(-1)!;
    first.dispose();
    if (ck.type !== 'checkpoint') throw new Error('no checkpoint');
    const second = new PretrainRun({ config: tinyConfig({ max_steps: 10 }), from: ck.files, sampling: DEFAULT_SAMPLING, prompts: [] });
    const b = await collect(second);
    expect(b.outcome).toMatchObject({ status: 'finished', step: 20 });
    expect(b.rows[0].step).toBe(15);
    expect(second.tokenizer!.vocabSize).toBe(first.tokenizer?.vocabSize ?? second.tokenizer!.vocabSize);
    second.dispose();
  });

  it('refuses a context longer than the corpus, naming the field', async () => {
    const run = new PretrainRun({ config: tinyConfig({ corpus: { kind: 'upload', name: 'x.txt', bytes: 5 }, model: { n_positions: 64, n_embd: 16, n_layer: 1, n_head: 2 } }), corpusText: 'hello', sampling: DEFAULT_SAMPLING, prompts: [] });
    const err = await run.run(() => undefined, free).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).errors[0].field).toBe('model.n_positions');
    run.dispose();
  });
});

describe('config validation', () => {
  it('accepts the defaults', () => {
    expect(validatePretrainConfig(defaultPretrainConfig())).toEqual([]);
  });
  it('names each bad field', () => {
    const bad = { ...defaultPretrainConfig(), learning_rate: NaN, per_device_train_batch_size: 0, tokenizer: { kind: 'bpe' as const, vocabSize: 100 }, model: { n_positions: 64, n_embd: 30, n_layer: 2, n_head: 4 } };
    const fields = validatePretrainConfig(bad).map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['learning_rate', 'per_device_train_batch_size', 'tokenizer.vocabSize', 'model.n_head']));
    expect(validatePretrainConfig({ ...defaultPretrainConfig(), learning_rate: -1 })[0]).toMatchObject({ field: 'learning_rate' });
    expect(validatePretrainConfig(bad).find((e) => e.field === 'tokenizer.vocabSize')!.message).toMatch(/at least 257/);
  });
  it('refuses empty, binary, huge and non-UTF-8 uploads', () => {
    expect(readUpload('a.txt', new Uint8Array())).toEqual({ error: 'a.txt is empty' });
    expect('error' in readUpload('b.bin', new Uint8Array([104, 0, 105]))).toBe(true);
    expect((readUpload('c.txt', new Uint8Array([0xff, 0xfe, 0x41])) as { error: string }).error).toMatch(/UTF-8/);
    expect((readUpload('d.txt', new Uint8Array(50_000_001)) as { error: string }).error).toMatch(/limit is 50 MB/);
    expect(readUpload('e.txt', new TextEncoder().encode('héllo'))).toEqual({ text: 'héllo' });
  });
});
