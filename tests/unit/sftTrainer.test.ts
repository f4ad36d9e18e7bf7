import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildInstructionSet } from '../../src/core/data/instructions.ts';
import type { SftRequest, TrainEvent } from '../../src/core/engine/engineApi.ts';
import { checkpointFiles, modelFromCheckpoint, parseCheckpoint } from '../../src/core/model/checkpoint.ts';
import { generateSamples } from '../../src/core/model/generate.ts';
import { GPT } from '../../src/core/model/gpt.ts';
import { Rng } from '../../src/core/rng.ts';
import { defaultSftConfig, type SftConfig } from '../../src/core/sft/sftConfig.ts';
import { SftRun } from '../../src/core/sft/sftTrainer.ts';
import { CharTokenizer } from '../../src/core/tokenizer/charTokenizer.ts';
import type { Tokenizer } from '../../src/core/tokenizer/tokenizer.ts';
import { makeBatch, tokenizeRows } from '../../src/core/sft/sftData.ts';
import { DEFAULT_SAMPLING } from '../../src/core/train/defaults.ts';
import type { CheckpointFiles, MetricRow } from '../../src/core/train/pretrainConfig.ts';
import type { RunControls } from '../../src/core/train/runControls.ts';
import { ConfigError } from '../../src/core/train/validate.ts';
import { setupWasm } from './tfSetup.ts';

beforeAll(setupWasm);

const sampling = { ...DEFAULT_SAMPLING, max_new_tokens: 6 };
const free: RunControls = { shouldStop: () => false, waitWhilePaused: async () => undefined, sampling: () => sampling };

/** Requests answered by a rule the model must learn: the answer depends on the prompt's word. */
const ROWS = Array.from({ length: 40 }, (_, i) => (i % 2 ? { prompt: `sad ${i % 7}:`, completion: ' boo' } : { prompt: `fun ${i % 7}:`, completion: ' yay!' }));

let tinyFiles: CheckpointFiles;
beforeAll(async () => {
  const tok = CharTokenizer.train(ROWS.map((r) => r.prompt + r.completion).join(''));
  const model = GPT.create({ vocab_size: tok.vocabSize, n_positions: 16, n_embd: 32, n_layer: 1, n_head: 2 }, 1);
  tinyFiles = await checkpointFiles(model, tok, { stage: 'pretrain', step: 0, run_config: null });
  model.dispose();
});

function tinyConfig(over: Partial<SftConfig> = {}): SftConfig {
  return { ...defaultSftConfig(), learning_rate: 1e-2, warmup_steps: 0, lr_scheduler_type: 'constant', max_steps: 40, per_device_train_batch_size: 8, max_length: 16, logging_steps: 5, eval_steps: 20, sample_steps: 20, eval_fraction: 0.2, ...over };
}

function request(over: Partial<SftRequest> = {}): SftRequest {
  return { config: tinyConfig(), rows: ROWS, from: tinyFiles, fromLabel: 'a tiny model', sampling, prompts: ['fun 1:', 'sad 2:'], ...over };
}

async function collect(run: SftRun, controls = free) {
  const events: TrainEvent[] = [];
  const outcome = await run.run((e) => events.push(...e), controls);
  return { outcome, events, rows: events.flatMap((e) => (e.type === 'metrics' ? e.rows : [])) as MetricRow[] };
}

describe('SftRun', () => {
  it('fine-tunes: completion loss falls, TRL metric names, samples before and after, sft checkpoints, tensors released', async () => {
    const n0 = tf.memory().numTensors;
    const run = new SftRun(request());
    const { outcome, events, rows } = await collect(run);
    expect(outcome).toMatchObject({ status: 'finished', step: 40, checkpointStep: 40 });
    const started = events.find((e) => e.type === 'started');
    expect(started).toMatchObject({ numTrainExamples: 32, numEvalExamples: 8 });
    const train = rows.filter((r) => r.loss !== undefined);
    expect(train.map((r) => r.step)).toEqual([5, 10, 15, 20, 25, 30, 35, 40]);
    expect(Object.keys(train[0]).sort()).toEqual(['epoch', 'learning_rate', 'loss', 'mean_token_accuracy', 'num_tokens', 'step']);
    expect(train.at(-1)!.loss!).toBeLessThan(train[0].loss! * 0.6);
    expect(train.at(-1)!.mean_token_accuracy!).toBeGreaterThan(train[0].mean_token_accuracy!);
    // num_tokens is cumulative: every row is prompt + completion + end-of-text, no padding.
    expect(train[1].num_tokens! - train[0].num_tokens!).toBeGreaterThan(5 * 8 * 5);
    expect(train.at(-1)!.epoch).toBeCloseTo((40 * 8) / 32, 6);
    const evals = rows.filter((r) => r['eval/loss'] !== undefined);
    expect(evals.map((r) => r.step)).toEqual([0, 20, 40]);
    expect(evals.at(-1)!['eval/loss']!).toBeLessThan(evals[0]['eval/loss']!);
    expect(evals[0]['eval/mean_token_accuracy']).toBeGreaterThanOrEqual(0);
    expect(events.filter((e) => e.type === 'samples').map((e) => e.step)).toEqual([0, 20, 40]);
    const checkpoints = events.filter((e) => e.type === 'checkpoint');
    expect(checkpoints.map((e) => e.step)).toEqual([20, 40]);
    const last = checkpoints.at(-1)!;
    if (last.type === 'checkpoint') expect(parseCheckpoint(last.files).info).toMatchObject({ stage: 'sft', step: 40, run_config: { completion_only_loss: true, started_from: 'a tiny model', num_rows: 40 } });
    // The fine-tuned model answers each request with its own answer.
    const samples = await generateSamples(run.model!, run.tokenizer!, ['fun 3:', 'sad 4:'], { ...sampling, temperature: 0.01 }, new Rng(0));
    expect(samples.map((s) => s.completion)).toEqual([' yay!', ' boo']);
    run.dispose();
    expect(tf.memory().numTensors).toBe(n0);
  });

  it('tensor count is flat across steps', async () => {
    const counts: number[] = [];
    const run = new SftRun(request({ config: tinyConfig({ logging_steps: 1, eval_steps: 1000, sample_steps: 1000, max_steps: 12 }), prompts: [] }));
    await run.run(() => counts.push(tf.memory().numTensors), free);
    run.dispose();
    // The first step creates Adam's moment variables; after that nothing accumulates.
    expect(counts.length).toBeGreaterThan(10);
    expect(new Set(counts.slice(2)).size).toBe(1);
  });

  it('the whole-sequence loss counts prompt tokens too; num_train_epochs sets the steps when max_steps is -1', async () => {
    const run = new SftRun(request({ config: tinyConfig({ completion_only_loss: false, max_steps: -1, num_train_epochs: 2, logging_steps: 1 }), prompts: [] }));
    const { outcome, rows } = await collect(run);
    run.dispose();
    expect(outcome.step).toBe(8); // 2 epochs x 32 rows / batch 8
    // Prompts are 5-6 characters: the first loss over all tokens starts near ln(vocab), like the completion's.
    expect(rows.find((r) => r.loss !== undefined)!.loss!).toBeGreaterThan(2);
  });

  it('refuses a max_length over the model context, and bad fields, naming the field', async () => {
    const refuse = async (r: SftRequest) => {
      const run = new SftRun(r);
      try {
        await run.run(() => undefined, free);
        return null;
      } catch (e) {
        return e instanceof ConfigError ? e.errors[0] : e;
      } finally {
        run.dispose();
      }
    };
    expect(await refuse(request({ config: tinyConfig({ max_length: 64 }) }))).toMatchObject({ field: 'max_length', message: expect.stringMatching(/at most 16/) });
    expect(await refuse(request({ config: tinyConfig({ learning_rate: 0 }) }))).toMatchObject({ field: 'learning_rate' });
    expect(await refuse(request({ rows: ROWS.slice(0, 1) }))).toMatchObject({ field: 'dataset', message: expect.stringMatching(/at least 2 rows/) });
  });

  it('stopping early keeps a checkpoint of the last step', async () => {
    let logged = 0;
    const run = new SftRun(request({ config: tinyConfig({ max_steps: 1000, logging_steps: 1 }), prompts: [] }));
    const events: TrainEvent[] = [];
    const outcome = await run.run((e) => {
      events.push(...e);
      logged += e.filter((x) => x.type === 'metrics' && x.rows.some((r) => r.loss !== undefined)).length;
    }, { ...free, shouldStop: () => logged >= 3 });
    run.dispose();
    expect(outcome).toEqual({ status: 'stopped', step: 3, checkpointStep: 3 });
    expect(events.at(-1)).toMatchObject({ type: 'checkpoint', step: 3 });
  });
});

describe('SFT from the shipped base on the built-in mood requests', () => {
  /**
   * Does the model prefer stories that end in the requested mood? For held-out stories, the
   * completion loss under the request's own mood vs under the opposite mood ("Write a sad story
   * ..." for a happy story): a model that follows the mood finds the story likelier under its own
   * request. Forward passes only, so it is cheap and not noisy the way sampling is.
   */
  async function moodPreference(model: GPT, tokenizer: Tokenizer, stories: { prompt: string; completion: string; attributes: Record<string, string> }[]): Promise<number> {
    const flip = (p: string) => p.replace(/\b(happy|sad) story/, (_, m: string) => `${m === 'happy' ? 'sad' : 'happy'} story`);
    const rows = stories.flatMap((s) => [{ prompt: s.prompt, completion: s.completion }, { prompt: flip(s.prompt), completion: s.completion }]);
    const { examples } = tokenizeRows(tokenizer, rows, 64);
    const T = Math.max(...examples.map((e) => e.ids.length - 1));
    const batch = makeBatch(examples, T, tokenizer.eosId, true);
    const perRow = tf.tidy(() => {
      const logp = tf.logSoftmax(model.forward(tf.tensor2d(batch.inputs, [batch.rows, T], 'int32'))); // [R*T, V]
      const picked = tf.sum(tf.mul(logp, tf.oneHot(tf.tensor1d(batch.labels, 'int32'), tokenizer.vocabSize)), -1); // [R*T]
      return tf.sum(tf.reshape(tf.mul(picked, tf.tensor1d(batch.weights)), [batch.rows, T]), 1); // [R] log p(completion | prompt)
    });
    const ll = await perRow.data();
    perRow.dispose();
    let preferred = 0;
    for (let i = 0; i < stories.length; i++) if (ll[2 * i] > ll[2 * i + 1]) preferred++;
    return preferred / stories.length;
  }

  it('makes the model prefer stories that end in the requested mood', { timeout: 60_000 }, async () => {
    const buf = readFileSync('public/base/model.safetensors');
    const from: CheckpointFiles = { model: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer, config: readFileSync('public/base/config.json', 'utf8'), tokenizer: readFileSync('public/base/tokenizer.json', 'utf8') };
    const parsed = parseCheckpoint(from);
    const heldOut = buildInstructionSet({ count: 96, seed: 99, kind: 'mood_topic', tokenizer: parsed.tokenizer });
    const base = modelFromCheckpoint(parsed);
    const before = await moodPreference(base, parsed.tokenizer, heldOut);
    base.dispose();

    const rows = buildInstructionSet({ count: 400, seed: 1, kind: 'mood_topic', tokenizer: parsed.tokenizer }).map(({ prompt, completion }) => ({ prompt, completion }));
    const steps = 60;
    const config = { ...defaultSftConfig(), learning_rate: 6e-3, max_steps: steps, eval_fraction: 0, logging_steps: 20, eval_steps: 1000, sample_steps: 1000 };
    const run = new SftRun({ config, rows, from, sampling, prompts: [] });
    const { outcome, rows: metrics } = await collect(run);
    expect(outcome.status).toBe('finished');
    const losses = metrics.filter((r) => r.loss !== undefined).map((r) => r.loss!);
    expect(losses.at(-1)!).toBeLessThan(losses[0]);
    const after = await moodPreference(run.model!, parsed.tokenizer, heldOut);
    run.dispose();
    console.log(`stories likelier under their own mood: base ${before}, after ${steps} SFT steps ${after}`);
    expect(after).toBeGreaterThanOrEqual(before + 0.2);
  });
});
