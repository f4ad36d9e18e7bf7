/**
 * An offline preference-optimisation run (TRL's DPOTrainer, KTOTrainer, ORPOTrainer, CPOTrainer):
 * load the policy from a checkpoint and, where the method has one, the reference (a frozen copy of
 * the policy unless another checkpoint is given; or precomputed log-probs; or none), split the
 * pairs into train and held-out, then per step one forward over the batch's chosen + rejected rows,
 * the method's loss (preferenceObjectives.ts) and an optimizer step. Logs TRL's metric names;
 * every eval_steps the same on the held-out pairs plus eval/gold_win_rate (fresh samples against
 * the reference's, by the gold score), gold/score_mean and, with a live reference model,
 * objective/kl (sampleKl.ts) on those samples; samples for the request's prompts; and
 * language-model checkpoints (stage 'dpo'). A NaN ends the run 'failed' with the last good
 * checkpoint kept. Knows nothing of workers or files.
 */
import * as tf from '@tensorflow/tfjs';
import { activeBackend } from '../backend.ts';
import type { RunOutcome, TrainEvent, TrainingJob } from '../engine/engineApi.ts';
import { checkpointFiles, modelFromCheckpoint, parseCheckpoint, type ParsedCheckpoint } from '../model/checkpoint.ts';
import { countParameters, type GPT } from '../model/gpt.ts';
import { goldScore, HAPPY_ENDING_SPEC, type GoldSpec } from '../preferences/goldScore.ts';
import type { PreferencePair } from '../preferences/types.ts';
import { EpochBatches, splitIndices } from '../reward/rewardData.ts';
import { Rng } from '../rng.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { learningRateAt } from '../train/lrSchedule.ts';
import type { CheckpointFiles, MetricRow, Sample, SamplingConfig } from '../train/pretrainConfig.ts';
import { yieldToEventLoop, type RunControls } from '../train/runControls.ts';
import { makeOptimizerStep } from '../train/trainStep.ts';
import { ConfigError } from '../train/validate.ts';
import { buildDataset, stepBatch, type StepBatch } from './dpoBatches.ts';
import { totalDpoSteps, validateDpoRunConfig, type DpoRunConfig } from './dpoConfig.ts';
import { validateAgainstModels, validateDpoPairs } from './dpoValidate.ts';
import { decodeCompletions, goldWinRate, promptSet, sampleCompletionIds, sampleCompletions } from './goldWinRate.ts';
import { flipTrainingLabels, validateLabelNoise, type LabelNoise } from './labelNoise.ts';
import { metricNames, metricVector, OBJECTIVES, usesReference, type Objective } from './preferenceObjectives.ts';
import { liveReference, noReference, precomputeReference, type ReferenceLogps } from './referenceLogps.ts';
import { sampledSequenceKl } from './sampleKl.ts';
import { pairLogps, rowLogps } from './sequenceLogps.ts';

export interface DpoRequest {
  config: DpoRunConfig;
  pairs: PreferencePair[];
  /** The model to optimise (an SFT or base language-model checkpoint). */
  from: CheckpointFiles;
  /** What `from` is, in words; saved with the checkpoints. */
  fromLabel?: string;
  /** The reference model (default: a frozen copy of `from`); must share its tokenizer. */
  reference?: CheckpointFiles;
  /** The gold preference for eval/gold_win_rate (default: the happy-ending preference). */
  goldSpec?: GoldSpec;
  /** Sampling for the samples panel and the win rate (its temperature and max_new_tokens). */
  sampling: SamplingConfig;
  /** Fixed prompts for the samples panel. */
  prompts: string[];
  /** The label-noise experiment: swap chosen/rejected on this share of the training pairs (held-out pairs stay as labeled). */
  label_noise?: LabelNoise;
}

/** A prompt's sample from the policy beside the reference model's sample drawn before training. */
export interface DpoSample extends Sample {
  reference_completion: string;
  gold_score: number;
  reference_gold_score: number;
}

export interface DpoRunOptions {
  /** Replaces the method's loss (tests; custom objectives in Node). */
  objective?: Objective;
}

const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

export class DpoRun implements TrainingJob {
  model: GPT | null = null;
  tokenizer: Tokenizer | null = null;

  constructor(private readonly request: DpoRequest, private readonly options: DpoRunOptions = {}) {}

  async run(onEvents: (events: TrainEvent[]) => void, controls: RunControls): Promise<RunOutcome> {
    const { config, pairs, sampling } = this.request;
    const errors = [...validateDpoRunConfig(config), ...validateDpoPairs(pairs), ...validateLabelNoise(this.request.label_noise)];
    if (errors.length) throw new ConfigError(errors);
    const parsed = readCheckpoint(this.request.from, 'from', 'the starting checkpoint');
    const refParsed = this.request.reference ? readCheckpoint(this.request.reference, 'reference', 'the reference checkpoint') : null;
    const modelErrors = validateAgainstModels(config.max_length, parsed.modelConfig.n_positions, refParsed ? { tokenizer: refParsed.tokenizer, context: refParsed.modelConfig.n_positions, policyTokenizer: parsed.tokenizer } : undefined);
    if (modelErrors.length) throw new ConfigError(modelErrors);

    const tokenizer = (this.tokenizer = parsed.tokenizer);
    const eos = tokenizer.eosId;
    const split = config.eval_fraction > 0 ? splitIndices(pairs.length, config.eval_fraction, config.seed) : { train: pairs.map((_, i) => i), eval: [] };
    const labeled = this.request.label_noise ? flipTrainingLabels(pairs, split.train, this.request.label_noise).pairs : pairs;
    const data = buildDataset(tokenizer, labeled, split, config.max_length, config.method === 'kto');
    const totalSteps = totalDpoSteps(config, data.train.length);
    const B = config.per_device_train_batch_size;
    const spec = this.request.goldSpec ?? HAPPY_ENDING_SPEC;
    const context = parsed.modelConfig.n_positions;
    // The win rate's prompts: the held-out pairs' prompts in turn (the train prompts when none are held out).
    const evalSource = (data.eval.length ? data.eval : data.train).map((p) => p.prompt);
    const winPrompts = promptSet(tokenizer, Array.from({ length: config.num_eval_prompts }, (_, i) => evalSource[i % evalSource.length]), context, sampling.max_new_tokens);
    const shownPrompts = promptSet(tokenizer, this.request.prompts, context, sampling.max_new_tokens);
    const objective = this.options.objective ?? OBJECTIVES[config.method];
    const names = metricNames(config.method);

    const lm = (this.model = modelFromCheckpoint(parsed));
    // The reference model: needed for log-probs (dpo, kto) and, when given, for the "before" samples.
    let refModel: GPT | null = usesReference(config) || refParsed ? modelFromCheckpoint(refParsed ?? parsed) : null;
    const optimizer = tf.train.adam(config.learning_rate, 0.9, 0.999, 1e-8);
    const optimizerStep = makeOptimizerStep(lm.params, optimizer, config);
    const batches = new EpochBatches(data.train.length, B, new Rng(config.seed + 1));
    const sampleRng = new Rng(config.seed + 2);
    const info = (step: number) => ({ stage: 'dpo', step, run_config: { ...config, started_from: this.request.fromLabel ?? 'a checkpoint', num_pairs: pairs.length, ...(this.request.label_noise ? { label_noise: this.request.label_noise } : {}) } });

    let pending: tf.Tensor1D[] = [];
    let unlogged: Float32Array[] = [];
    let checkpointStep: number | undefined;
    let step = 0;
    try {
      onEvents([{ type: 'started', backend: activeBackend(), nParams: countParameters(lm.config), vocabSize: tokenizer.vocabSize, numTrainExamples: data.train.length, numEvalExamples: data.eval.length }]);

      // Before training: the reference's samples (the win rate's opponent and the samples panel's "before").
      const before = refModel ?? lm;
      const refRng = new Rng(config.seed + 3);
      const refWin = await sampleCompletions(before, tokenizer, winPrompts, sampling.temperature, refRng);
      const refShown = await sampleCompletions(before, tokenizer, shownPrompts, sampling.temperature, refRng);
      let reference: ReferenceLogps = noReference();
      if (usesReference(config) && refModel) {
        reference = config.precompute_ref_log_probs ? await precomputeReference(refModel, data.rows, eos, 2 * B) : liveReference(refModel);
      }
      if (refModel && (config.precompute_ref_log_probs || !usesReference(config))) {
        refModel.dispose();
        refModel = null;
      }

      const forward = (sb: StepBatch) => {
        const ref = reference.logps(sb.main.rowIds, sb.main.batch); // [2B]
        const kl = sb.kl ? { policy: tf.tidy(() => rowLogps(lm, sb.kl!.batch).logps), ref: reference.logps(sb.kl.rowIds, sb.kl.batch) } : null; // [2B] each
        return { ref, kl, dispose: () => tf.dispose([ref, ...(kl ? [kl.policy, kl.ref] : [])]) };
      };
      const stats = (sb: StepBatch, pre: ReturnType<typeof forward>): { loss: tf.Scalar; vector: tf.Tensor1D } => {
        const policy = pairLogps(lm, sb.main.batch);
        const [refChosen, refRejected] = tf.split(pre.ref, 2) as tf.Tensor1D[];
        const out = objective({ policy, ref_chosen_logps: refChosen, ref_rejected_logps: refRejected, kl_policy_logps: pre.kl?.policy, kl_ref_logps: pre.kl?.ref }, config);
        return { loss: out.loss, vector: metricVector(out, policy, config) };
      };

      /** Held-out metrics (weighted by pairs per batch) and the fresh-sample win rate; null when not finite. */
      const evaluate = async (): Promise<{ row: MetricRow; samples: DpoSample[] } | null> => {
        const row: MetricRow = { step };
        if (data.eval.length) {
          const sums = new Array<number>(names.length).fill(0);
          for (let i = 0; i < data.eval.length; i += B) {
            const sb = stepBatch(data, data.eval.slice(i, i + B), eos);
            const pre = forward(sb);
            const v = tf.tidy(() => stats(sb, pre).vector);
            pre.dispose();
            const values = await v.data();
            v.dispose();
            values.forEach((x, k) => (sums[k] += x * sb.pairs));
          }
          names.forEach((name, k) => (row[`eval/${name}`] = sums[k] / data.eval.length));
          if (!names.every((name) => Number.isFinite(row[`eval/${name}`]))) return null;
        }
        const freshIds = await sampleCompletionIds(lm, tokenizer, winPrompts, sampling.temperature, sampleRng);
        const fresh = decodeCompletions(tokenizer, freshIds);
        if (winPrompts.texts.length) {
          const win = goldWinRate(winPrompts.texts, fresh, refWin, spec);
          row['eval/gold_win_rate'] = win.win_rate;
          row['eval/gold_win_rate_tie_margin'] = win.win_rate_tie_margin;
          row['gold/score_mean'] = win.score_mean;
          row['gold/reference_score_mean'] = win.reference_score_mean;
          // Held only by runs with a live reference (dpo, kto; not with precompute_ref_log_probs): the KL axis of the KL-reward frontier.
          if (refModel) row['objective/kl'] = await sampledSequenceKl(lm, refModel, winPrompts.ids, freshIds, sampling.temperature, eos);
        }
        const shown = await sampleCompletions(lm, tokenizer, shownPrompts, sampling.temperature, sampleRng);
        const samples = shownPrompts.texts.map((prompt, i): DpoSample => ({
          prompt,
          completion: shown[i],
          reference_completion: refShown[i],
          gold_score: goldScore(prompt, shown[i], spec),
          reference_gold_score: goldScore(prompt, refShown[i], spec),
        }));
        return { row, samples };
      };
      /** Reads the steps not yet read; the first non-finite loss or metric fails the run. */
      const readPending = async (): Promise<number | null> => {
        for (let i = 0; i < pending.length; i++) {
          const values = await pending[i].data();
          const bad = Array.from(values).find((x) => !Number.isFinite(x));
          if (bad !== undefined) return bad;
          unlogged.push(values as Float32Array);
        }
        tf.dispose(pending);
        pending = [];
        return null;
      };
      const failed = (what: string, value: number): RunOutcome => ({
        status: 'failed',
        step,
        checkpointStep,
        message: `the ${what} became ${value} at step ${step}; training stopped. Try a lower learning_rate or beta. The last good checkpoint${checkpointStep !== undefined ? ` (step ${checkpointStep})` : ''} is kept.`,
      });
      const checkpoint = async (): Promise<TrainEvent> => {
        checkpointStep = step;
        return { type: 'checkpoint', step, files: await checkpointFiles(lm, tokenizer, info(step)) };
      };

      while (step < totalSteps) {
        await controls.waitWhilePaused();
        if (controls.shouldStop()) break;
        const lr = learningRateAt(step, config.learning_rate, config.lr_scheduler_type, config.warmup_steps, totalSteps);
        const sb = stepBatch(data, batches.next().map((i) => data.train[i]), eos);
        const pre = forward(sb);
        const kept: { vector?: tf.Tensor1D } = {};
        const loss = optimizerStep(() => {
          const s = stats(sb, pre);
          kept.vector = tf.keep(s.vector);
          return s.loss;
        }, lr);
        loss.dispose();
        pre.dispose();
        pending.push(kept.vector!);
        step++;

        const isLast = step === totalSteps;
        const logNow = step % config.logging_steps === 0 || isLast;
        const evalNow = step % config.eval_steps === 0 || isLast;
        const saveNow = step % config.save_steps === 0 || isLast;
        if (!(logNow || evalNow || saveNow)) continue;
        // Every checkpoint and eval follows a read of the steps before it: NaN weights are never saved.
        const bad = await readPending();
        if (bad !== null) return failed('loss', bad);
        const events: TrainEvent[] = [];
        if (logNow) {
          const row: MetricRow = { step, epoch: batches.progress(), learning_rate: lr };
          names.forEach((name, k) => (row[name] = mean(unlogged.map((v) => v[k]))));
          unlogged = [];
          events.push({ type: 'metrics', rows: [row] });
        }
        if (evalNow) {
          const e = await evaluate();
          if (!e) {
            onEvents(events);
            return failed('held-out loss', NaN);
          }
          if (Object.keys(e.row).length > 1) events.push({ type: 'metrics', rows: [e.row] });
          if (e.samples.length) events.push({ type: 'samples', step, samples: e.samples });
        }
        if (saveNow) events.push(await checkpoint());
        onEvents(events);
        await yieldToEventLoop();
      }
      if (step < totalSteps && step > 0 && checkpointStep !== step) {
        // Stopped early: keep what was learned since the last checkpoint, if it is finite.
        const bad = await readPending();
        if (bad !== null) return failed('loss', bad);
        onEvents([await checkpoint()]);
      }
      return { status: step < totalSteps ? 'stopped' : 'finished', step, checkpointStep };
    } finally {
      tf.dispose(pending);
      optimizer.dispose();
      refModel?.dispose();
    }
  }

  dispose(): void {
    this.model?.dispose();
    this.model = null;
  }
}

function readCheckpoint(files: CheckpointFiles, field: string, what: string): ParsedCheckpoint {
  try {
    return parseCheckpoint(files);
  } catch (e) {
    throw new ConfigError([{ field, message: `${what} cannot be read: ${(e as Error).message}` }]);
  }
}
