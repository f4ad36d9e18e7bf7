/**
 * A pretraining run, start to end: data, tokenizer, model, the step loop with logging, eval,
 * samples and checkpoints. It knows nothing of workers or files: progress leaves through
 * `onEvents` in batches, and control (pause, stop, sampling) comes in through `controls`.
 */
import * as tf from '@tensorflow/tfjs';
import { generateStories, storyTexts } from '../data/storyCorpus.ts';
import { checkpointFiles, modelFromCheckpoint, parseCheckpoint } from '../model/checkpoint.ts';
import { generateSamples } from '../model/generate.ts';
import { countParameters, GPT } from '../model/gpt.ts';
import { Rng } from '../rng.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { trainTokenizer } from '../tokenizer/tokenizers.ts';
import type { PretrainRequest, RunOutcome, TrainEvent, TrainingJob } from '../engine/engineApi.ts';
import { activeBackend } from '../backend.ts';
import { learningRateAt } from './lrSchedule.ts';
import type { MetricRow, PretrainConfig } from './pretrainConfig.ts';
import { yieldToEventLoop, type RunControls } from './runControls.ts';

export type { RunControls };
import { evalBatches, randomBatch, splitTokens, tokenizeDocuments } from './tokenStream.ts';
import { evaluateLoss, makeTrainStep } from './trainStep.ts';
import { ConfigError, validatePretrainConfig } from './validate.ts';

/** BPE merges are learned from at most this much text: enough for a small vocabulary, and fast. */
const TOKENIZER_SAMPLE_CHARS = 1_000_000;
/** Validation loss is averaged over at most this many held-out windows. */
const MAX_EVAL_WINDOWS = 64;

export function corpusDocuments(config: PretrainConfig, corpusText?: string): string[] {
  if (config.corpus.kind === 'stories') return storyTexts(generateStories(config.corpus.num_stories, config.corpus.seed));
  // Uploaded text: paragraphs (separated by blank lines) are the documents.
  return (corpusText ?? '').split(/\n\s*\n/).map((d) => d.trim()).filter((d) => d.length > 0);
}

export class PretrainRun implements TrainingJob {
  model: GPT | null = null;
  tokenizer: Tokenizer | null = null;

  constructor(private readonly request: PretrainRequest) {}

  async run(onEvents: (events: TrainEvent[]) => void, controls: RunControls): Promise<RunOutcome> {
    const { config, corpusText, from } = this.request;
    const errors = validatePretrainConfig(config, corpusText);
    if (errors.length) throw new ConfigError(errors);

    const documents = corpusDocuments(config, corpusText);
    let startStep = 0;
    if (from) {
      const parsed = parseCheckpoint(from);
      this.tokenizer = parsed.tokenizer;
      this.model = modelFromCheckpoint(parsed);
      startStep = this.request.fromStep ?? parsed.info.step;
    } else {
      const sample = documents.join('\n\n').slice(0, TOKENIZER_SAMPLE_CHARS);
      this.tokenizer = trainTokenizer(config.tokenizer, sample);
    }
    const tokenizer = this.tokenizer;
    const T = this.model?.config.n_positions ?? config.model.n_positions;
    const stream = tokenizeDocuments(tokenizer, documents);
    if (stream.length < 2 * (T + 1)) {
      throw new ConfigError([{ field: 'model.n_positions', message: `the context (${T} tokens) is longer than the corpus allows: it has only ${stream.length} tokens; use a shorter context or more text` }]);
    }
    const splits = splitTokens(stream, config.eval_fraction, T);
    if (!this.model) this.model = GPT.create({ ...config.model, vocab_size: tokenizer.vocabSize }, config.seed);
    const model = this.model;

    const B = config.per_device_train_batch_size;
    const optimizer = tf.train.adam(config.learning_rate, 0.9, 0.999, 1e-8);
    const trainStep = makeTrainStep(model, optimizer, config);
    const evalSet = evalBatches(splits.eval, B, T, MAX_EVAL_WINDOWS);
    const rng = new Rng(config.seed + 1);
    const sampleRng = new Rng(config.seed + 2);
    const prompts = this.request.prompts;

    onEvents([{ type: 'started', backend: activeBackend(), nParams: countParameters(model.config), vocabSize: tokenizer.vocabSize, numTrainTokens: splits.train.length, numEvalTokens: splits.eval.length }]);

    let pendingLosses: tf.Scalar[] = [];
    let lastLogTime = performance.now();
    let stepsSinceLog = 0;
    let checkpointStep: number | undefined;
    let step = startStep;
    const endStep = startStep + config.max_steps;
    const info = (s: number) => ({ stage: 'pretrain', step: s, run_config: config });

    try {
      while (step < endStep) {
        await controls.waitWhilePaused();
        if (controls.shouldStop()) break;
        const local = step - startStep;
        const lr = learningRateAt(local, config.learning_rate, config.lr_scheduler_type, config.warmup_steps, config.max_steps);
        const { inputs, targets } = randomBatch(splits.train, B, T, rng);
        pendingLosses.push(trainStep(inputs, targets, B, lr));
        step++;
        stepsSinceLog++;

        const isLast = step === endStep;
        const events: TrainEvent[] = [];
        if (step % config.logging_steps === 0 || isLast) {
          const stacked = tf.stack(pendingLosses);
          const losses = await stacked.data();
          stacked.dispose();
          pendingLosses.forEach((l) => l.dispose());
          pendingLosses = [];
          const bad = losses.findIndex((l) => !Number.isFinite(l));
          if (bad >= 0) {
            const at = step - losses.length + bad + 1;
            return { status: 'failed', step: at, checkpointStep, message: `the loss became ${losses[bad]} at step ${at}; training stopped. Try a lower learning rate. The last good checkpoint${checkpointStep !== undefined ? ` (step ${checkpointStep})` : ''} is kept.` };
          }
          const now = performance.now();
          const loss = Array.from(losses).reduce((a, b) => a + b, 0) / losses.length;
          const row: MetricRow = {
            step,
            loss,
            perplexity: Math.exp(loss),
            learning_rate: lr,
            tokens_per_second: (stepsSinceLog * B * T) / ((now - lastLogTime) / 1000),
            epoch: (step * B * T) / splits.train.length,
          };
          lastLogTime = now;
          stepsSinceLog = 0;
          events.push({ type: 'metrics', rows: [row] });
        }
        if (step % config.eval_steps === 0 || isLast) {
          const evalLoss = await evaluateLoss(model, evalSet);
          if (!Number.isFinite(evalLoss)) {
            onEvents(events);
            return { status: 'failed', step, checkpointStep, message: `the validation loss became ${evalLoss} at step ${step}; training stopped. The last good checkpoint is kept.` };
          }
          events.push({ type: 'metrics', rows: [{ step, 'eval/loss': evalLoss, 'eval/perplexity': Math.exp(evalLoss) }] });
          events.push({ type: 'checkpoint', step, files: await checkpointFiles(model, tokenizer, info(step)) });
          checkpointStep = step;
        }
        if (prompts.length && (step % config.sample_steps === 0 || isLast)) {
          events.push({ type: 'samples', step, samples: await generateSamples(model, tokenizer, prompts, controls.sampling(), sampleRng) });
        }
        if (events.length) onEvents(events);
        await yieldToEventLoop();
        // Time spent on eval and samples is not training throughput.
        if (events.length) lastLogTime = performance.now();
      }
      if (step < endStep) {
        // Stopped early: keep what was learned since the last checkpoint.
        const evalLoss = await evaluateLoss(model, evalSet);
        if (Number.isFinite(evalLoss)) {
          onEvents([
            { type: 'metrics', rows: [{ step, 'eval/loss': evalLoss, 'eval/perplexity': Math.exp(evalLoss) }] },
            { type: 'checkpoint', step, files: await checkpointFiles(model, tokenizer, info(step)) },
          ]);
          checkpointStep = step;
        }
        return { status: 'stopped', step, checkpointStep };
      }
      return { status: 'finished', step, checkpointStep };
    } finally {
      pendingLosses.forEach((l) => l.dispose());
      optimizer.dispose();
    }
  }

  dispose(): void {
    this.model?.dispose();
    this.model = null;
  }
}
