/**
 * A supervised fine-tuning run, as TRL's SFTTrainer does it on (prompt, completion) rows: start
 * from a checkpoint (its weights and tokenizer), append end-of-text after each completion,
 * right-pad, and minimise the cross-entropy of the completion tokens (or of every token).
 * Logs TRL's SFT metrics (loss, eval/loss, mean_token_accuracy, num_tokens, learning_rate,
 * epoch), samples the fixed prompts before the first step and while training, and sends the
 * last good checkpoint at each evaluation. Knows nothing of workers or files.
 */
import * as tf from '@tensorflow/tfjs';
import { activeBackend } from '../backend.ts';
import type { RunOutcome, SftRequest, TrainEvent, TrainingJob } from '../engine/engineApi.ts';
import { checkpointFiles, modelFromCheckpoint, parseCheckpoint } from '../model/checkpoint.ts';
import { generateSamples } from '../model/generate.ts';
import { countParameters, type GPT } from '../model/gpt.ts';
import { Rng } from '../rng.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { learningRateAt } from '../train/lrSchedule.ts';
import type { MetricRow } from '../train/pretrainConfig.ts';
import { yieldToEventLoop, type RunControls } from '../train/runControls.ts';
import { makeOptimizerStep } from '../train/trainStep.ts';
import { ConfigError, type FieldError } from '../train/validate.ts';
import { totalSteps, validateSftConfig } from './sftConfig.ts';
import { EpochSampler, makeBatch, splitExamples, tokenizeRows, type SftBatch, type SftExample, type SftRow } from './sftData.ts';
import { maskedCrossEntropy, meanTokenAccuracy } from './sftLoss.ts';

/** Problems with the rows themselves (the table editor and importers catch most of them first). */
export function validateSftRows(rows: readonly SftRow[]): FieldError[] {
  if (!Array.isArray(rows) || rows.length < 2) return [{ field: 'dataset', message: `needs at least 2 rows (got ${Array.isArray(rows) ? rows.length : 0})` }];
  const empty = rows.findIndex((r) => typeof r?.prompt !== 'string' || typeof r?.completion !== 'string' || r.completion.trim() === '');
  if (empty >= 0) return [{ field: 'dataset', message: `row ${empty + 1} has no completion` }];
  return [];
}

/** Held-out loss and accuracy, weighted by counted tokens (forward passes only). */
async function evaluate(model: GPT, batches: readonly SftBatch[], T: number): Promise<{ loss: number; accuracy: number }> {
  let loss = 0;
  let accuracy = 0;
  let counted = 0;
  for (const b of batches) {
    const n = b.weights.reduce((a, w) => a + w, 0);
    const [l, a] = tf.tidy(() => {
      const logits = model.forward(tf.tensor2d(b.inputs, [b.rows, T], 'int32')); // [B*T, V]
      const labels = tf.tensor1d(b.labels, 'int32');
      const weights = tf.tensor1d(b.weights, 'float32');
      return [maskedCrossEntropy(logits, labels, weights), meanTokenAccuracy(logits, labels, weights)];
    });
    loss += (await l.data())[0] * n;
    accuracy += (await a.data())[0] * n;
    l.dispose();
    a.dispose();
    counted += n;
  }
  return { loss: loss / Math.max(1, counted), accuracy: accuracy / Math.max(1, counted) };
}

export class SftRun implements TrainingJob {
  model: GPT | null = null;
  tokenizer: Tokenizer | null = null;

  constructor(private readonly request: SftRequest) {}

  async run(onEvents: (events: TrainEvent[]) => void, controls: RunControls): Promise<RunOutcome> {
    const { config, rows, from, prompts } = this.request;
    const errors = [...validateSftConfig(config), ...validateSftRows(rows)];
    if (errors.length) throw new ConfigError(errors);
    const parsed = parseCheckpoint(from);
    const context = parsed.modelConfig.n_positions;
    if (config.max_length > context) {
      throw new ConfigError([{ field: 'max_length', message: `must be at most ${context}, the context of the model being fine-tuned (got ${config.max_length})` }]);
    }
    const tokenizer = (this.tokenizer = parsed.tokenizer);
    const { examples } = tokenizeRows(tokenizer, rows, config.max_length);
    const splitRng = new Rng(config.seed);
    const split = splitExamples(examples, config.eval_fraction, splitRng);
    // One fixed width for the run: the longest example decides it (inputs are ids without the last).
    const T = Math.max(1, ...examples.map((e) => e.ids.length - 1));
    const maxSteps = totalSteps(config, split.train.length);
    const B = config.per_device_train_batch_size;
    const batchOf = (list: readonly SftExample[]) => makeBatch(list, T, tokenizer.eosId, config.completion_only_loss);
    const evalSet: SftBatch[] = [];
    for (let i = 0; i < split.eval.length; i += B) evalSet.push(batchOf(split.eval.slice(i, i + B)));

    const model = (this.model = modelFromCheckpoint(parsed));
    const optimizer = tf.train.adam(config.learning_rate, 0.9, 0.999, 1e-8);
    const optimizerStep = makeOptimizerStep(model.params, optimizer, config);
    const sampler = new EpochSampler(split.train, new Rng(config.seed + 1));
    const sampleRng = new Rng(config.seed + 2);
    const info = (step: number) => ({ stage: 'sft', step, run_config: { ...config, started_from: this.request.fromLabel ?? 'a checkpoint', num_rows: rows.length } });
    const sample = async (step: number): Promise<TrainEvent> => ({ type: 'samples', step, samples: await generateSamples(model, tokenizer, prompts, controls.sampling(), sampleRng) });

    onEvents([{
      type: 'started', backend: activeBackend(), nParams: countParameters(model.config), vocabSize: tokenizer.vocabSize,
      numTrainExamples: split.train.length, numEvalExamples: split.eval.length,
      numTrainTokens: split.train.reduce((n, e) => n + e.ids.length, 0), numEvalTokens: split.eval.reduce((n, e) => n + e.ids.length, 0),
    }]);
    // Before any step: the "before" side of the before/after samples, and the starting eval loss.
    const before: TrainEvent[] = [];
    if (evalSet.length) {
      const e = await evaluate(model, evalSet, T);
      before.push({ type: 'metrics', rows: [{ step: 0, 'eval/loss': e.loss, 'eval/mean_token_accuracy': e.accuracy }] });
    }
    if (prompts.length) before.push(await sample(0));
    if (before.length) onEvents(before);

    let pending: { loss: tf.Scalar; accuracy: tf.Scalar }[] = [];
    let numTokens = 0;
    let checkpointStep: number | undefined;
    let step = 0;
    try {
      while (step < maxSteps) {
        await controls.waitWhilePaused();
        if (controls.shouldStop()) break;
        const lr = learningRateAt(step, config.learning_rate, config.lr_scheduler_type, config.warmup_steps, maxSteps);
        const batch = batchOf(sampler.take(B));
        numTokens += batch.numTokens;
        const kept: { accuracy?: tf.Scalar } = {};
        const loss = optimizerStep(() => {
          const logits = model.forward(tf.tensor2d(batch.inputs, [B, T], 'int32')); // [B*T, V]
          const labels = tf.tensor1d(batch.labels, 'int32');
          const weights = tf.tensor1d(batch.weights, 'float32');
          // Kept past the step's tidy: read with the loss at logging time.
          kept.accuracy = tf.keep(meanTokenAccuracy(logits, labels, weights));
          return maskedCrossEntropy(logits, labels, weights);
        }, lr);
        pending.push({ loss, accuracy: kept.accuracy! });
        step++;

        const isLast = step === maxSteps;
        const events: TrainEvent[] = [];
        if (step % config.logging_steps === 0 || isLast) {
          const stacked = tf.stack(pending.flatMap((p) => [p.loss, p.accuracy]));
          const values = await stacked.data();
          stacked.dispose();
          pending.forEach((p) => (p.loss.dispose(), p.accuracy.dispose()));
          const n = pending.length;
          pending = [];
          const losses = Array.from({ length: n }, (_, i) => values[2 * i]);
          const bad = losses.findIndex((l) => !Number.isFinite(l));
          if (bad >= 0) {
            const at = step - n + bad + 1;
            return { status: 'failed', step: at, checkpointStep, message: `the loss became ${losses[bad]} at step ${at}; training stopped. Try a lower learning rate. The last good checkpoint${checkpointStep !== undefined ? ` (step ${checkpointStep})` : ''} is kept.` };
          }
          const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
          const row: MetricRow = {
            step,
            loss: mean(losses),
            mean_token_accuracy: mean(Array.from({ length: n }, (_, i) => values[2 * i + 1])),
            num_tokens: numTokens,
            learning_rate: lr,
            epoch: (step * B) / split.train.length,
          };
          events.push({ type: 'metrics', rows: [row] });
        }
        if (step % config.eval_steps === 0 || isLast) {
          if (evalSet.length) {
            const e = await evaluate(model, evalSet, T);
            if (!Number.isFinite(e.loss)) {
              onEvents(events);
              return { status: 'failed', step, checkpointStep, message: `the validation loss became ${e.loss} at step ${step}; training stopped. The last good checkpoint is kept.` };
            }
            events.push({ type: 'metrics', rows: [{ step, 'eval/loss': e.loss, 'eval/mean_token_accuracy': e.accuracy }] });
          }
          events.push({ type: 'checkpoint', step, files: await checkpointFiles(model, tokenizer, info(step)) });
          checkpointStep = step;
        }
        if (prompts.length && (step % config.sample_steps === 0 || isLast)) events.push(await sample(step));
        if (events.length) onEvents(events);
        await yieldToEventLoop();
      }
      if (step < maxSteps) {
        // Stopped early: keep what was learned since the last checkpoint, and show where it got to.
        const events: TrainEvent[] = [];
        if (step > 0 && checkpointStep !== step) {
          events.push({ type: 'checkpoint', step, files: await checkpointFiles(model, tokenizer, info(step)) });
          checkpointStep = step;
        }
        if (prompts.length && step > 0) events.push(await sample(step));
        if (events.length) onEvents(events);
        return { status: 'stopped', step, checkpointStep };
      }
      return { status: 'finished', step, checkpointStep };
    } finally {
      pending.forEach((p) => (p.loss.dispose(), p.accuracy.dispose()));
      optimizer.dispose();
    }
  }

  dispose(): void {
    this.model?.dispose();
    this.model = null;
  }
}
