/**
 * A reward-model run, start to end: load the starting checkpoint with a scalar head, split the
 * pairs into train and held-out, then the step loop (TRL's RewardTrainer loss and logs), held-out
 * evaluation with the scoring view's report, and reward checkpoints. Knows nothing of workers or
 * files: progress leaves through `onEvents`, control comes in through `controls`.
 */
import * as tf from '@tensorflow/tfjs';
import { activeBackend } from '../backend.ts';
import type { RunOutcome, TrainEvent, TrainingJob } from '../engine/engineApi.ts';
import { countParameters, type GPT } from '../model/gpt.ts';
import { goldPrefers, type GoldSpec } from '../preferences/goldScore.ts';
import type { PreferencePair } from '../preferences/types.ts';
import { Rng } from '../rng.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { learningRateAt } from '../train/lrSchedule.ts';
import type { CheckpointFiles, MetricRow } from '../train/pretrainConfig.ts';
import { yieldToEventLoop, type RunControls } from '../train/runControls.ts';
import { makeOptimizerStep } from '../train/trainStep.ts';
import { ConfigError } from '../train/validate.ts';
import { loadRewardModel, rewardCheckpointFiles } from './rewardCheckpoint.ts';
import { totalRewardSteps, type RewardConfig } from './rewardConfig.ts';
import { encodePairs, EpochBatches, pairBatch, splitIndices } from './rewardData.ts';
import { evaluateRewardModel, type GoldVerdict, type HeldOutSet } from './rewardEval.ts';
import { averageRows, rewardLoss, rewardMetrics } from './rewardLoss.ts';
import type { RewardModel } from './rewardModel.ts';
import { validateAgainstModel, validatePairs, validateRewardConfig } from './rewardValidate.ts';

export interface RewardRequest {
  config: RewardConfig;
  pairs: PreferencePair[];
  /** The starting checkpoint: a language model (a new head is added) or a reward model (continued). */
  from: CheckpointFiles;
  /** The gold preference for eval/gold_accuracy (default: the happy-ending preference). */
  goldSpec?: GoldSpec;
}

/** What a step leaves to read at log time: its loss and its rewards [2B] (chosen, then rejected). */
interface PendingStep {
  loss: tf.Scalar;
  rewards: tf.Tensor1D;
}

export class RewardRun implements TrainingJob {
  /** A reward model cannot generate, so the samples panel has no model to draw from. */
  readonly model: GPT | null = null;
  tokenizer: Tokenizer | null = null;
  rewardModel: RewardModel | null = null;

  constructor(private readonly request: RewardRequest) {}

  async run(onEvents: (events: TrainEvent[]) => void, controls: RunControls): Promise<RunOutcome> {
    const { config, pairs, from } = this.request;
    const errors = [...validateRewardConfig(config), ...validatePairs(pairs)];
    if (errors.length) throw new ConfigError(errors);
    let loaded;
    try {
      loaded = loadRewardModel(from, config.seed);
    } catch (e) {
      throw new ConfigError([{ field: 'from', message: `the starting checkpoint cannot be read: ${(e as Error).message}` }]);
    }
    this.rewardModel = loaded.model;
    this.tokenizer = loaded.tokenizer;
    const model = loaded.model;
    const tokenizer = loaded.tokenizer;
    const modelErrors = validateAgainstModel(config, pairs, tokenizer, model.trunk.config.n_positions);
    if (modelErrors.length) throw new ConfigError(modelErrors);

    const split = splitIndices(pairs.length, config.eval_fraction, config.seed);
    const train = encodePairs(tokenizer, pairs, split.train, config.max_length);
    const heldOut: HeldOutSet = {
      encoded: encodePairs(tokenizer, pairs, split.eval, config.max_length).pairs,
      pairs,
      gold: split.eval.map((i): GoldVerdict => {
        const verdict = goldPrefers(pairs[i].prompt, pairs[i].chosen, pairs[i].rejected, this.request.goldSpec);
        return verdict === 'a' ? 'chosen' : verdict === 'b' ? 'rejected' : 'tie';
      }),
    };
    const hasMargins = pairs.some((p) => p.margin !== undefined);
    const padId = tokenizer.eosId;
    const B = config.per_device_train_batch_size;
    const totalSteps = totalRewardSteps(config, train.pairs.length);
    const startStep = loaded.hadScoreHead ? loaded.info.step : 0;
    const endStep = startStep + totalSteps;

    const optimizer = tf.train.adam(config.learning_rate, 0.9, 0.999, 1e-8);
    const optimizerStep = makeOptimizerStep(model.trainableParams(config.trainable_layers), optimizer, config);
    const batches = new EpochBatches(train.pairs.length, B, new Rng(config.seed + 1));
    const info = (s: number) => ({ stage: 'reward', step: s, run_config: config });

    onEvents([{ type: 'started', backend: activeBackend(), nParams: countParameters(model.trunk.config) - model.trunk.config.vocab_size * model.trunk.config.n_embd + model.trunk.config.n_embd, vocabSize: tokenizer.vocabSize, numTrainExamples: train.pairs.length, numEvalExamples: heldOut.encoded.length }]);

    let pending: PendingStep[] = [];
    let numTokens = 0;
    let checkpointStep: number | undefined;
    let step = startStep;

    /** Held-out metrics, the scoring view's report and a checkpoint; null when the rewards went NaN. */
    const evaluate = async (withCheckpoint = true): Promise<TrainEvent[] | null> => {
      const { row, report } = await evaluateRewardModel(model, heldOut, padId, step, config.center_rewards_coefficient);
      if (!Number.isFinite(row['eval/loss']) || !Number.isFinite(row['eval/mean_reward'])) return null;
      const events: TrainEvent[] = [
        { type: 'metrics', rows: [row as MetricRow] },
        { type: 'rewardEval', report },
      ];
      if (withCheckpoint) {
        events.push({ type: 'checkpoint', step, files: await rewardCheckpointFiles(model, tokenizer, info(step)) });
        checkpointStep = step;
      }
      return events;
    };
    const failed = (at: number, what: string, value: number): RunOutcome => ({
      status: 'failed',
      step: at,
      checkpointStep,
      message: `the ${what} became ${value} at step ${at}; training stopped. Try a lower learning rate. The last good checkpoint${checkpointStep !== undefined ? ` (step ${checkpointStep})` : ''} is kept.`,
    });

    try {
      if (config.eval_on_start) {
        // Before any step: nothing is trained yet, so no checkpoint.
        const before = await evaluate(false);
        if (!before) return failed(step, 'held-out reward', NaN);
        onEvents(before);
      }
      while (step < endStep) {
        await controls.waitWhilePaused();
        if (controls.shouldStop()) break;
        const lr = learningRateAt(step - startStep, config.learning_rate, config.lr_scheduler_type, config.warmup_steps, totalSteps);
        const batch = pairBatch(batches.next().map((i) => train.pairs[i]), padId);
        const n = batch.rows / 2;
        numTokens += batch.lastIndex.reduce((s, last) => s + last + 1, 0);
        let rewards: tf.Tensor1D | null = null;
        const loss = optimizerStep(() => {
          const r = model.rewards(tf.tensor2d(batch.ids, [batch.rows, batch.T], 'int32'), tf.tensor1d(batch.lastIndex, 'int32')); // [2B]
          rewards = tf.keep(r);
          const [chosen, rejected] = tf.split(r, [n, n]) as tf.Tensor1D[]; // [B] each
          return rewardLoss(chosen, rejected, hasMargins ? tf.tensor1d(batch.margins) : null, config.center_rewards_coefficient);
        }, lr);
        pending.push({ loss, rewards: rewards! });
        step++;

        const isLast = step === endStep;
        const events: TrainEvent[] = [];
        if (step % config.logging_steps === 0 || isLast) {
          const rows = [];
          for (const p of pending) {
            const [l] = await p.loss.data();
            const r = await p.rewards.data();
            const half = r.length / 2;
            rows.push({ loss: l, ...rewardMetrics(r.subarray(0, half), r.subarray(half)) });
          }
          const bad = rows.findIndex((r) => !Number.isFinite(r.loss) || !Number.isFinite(r.mean_reward));
          if (bad >= 0) return failed(step - rows.length + bad + 1, 'loss', Number.isFinite(rows[bad].loss) ? rows[bad].mean_reward : rows[bad].loss);
          disposePending(pending);
          pending = [];
          events.push({ type: 'metrics', rows: [{ step, ...averageRows(rows), learning_rate: lr, num_tokens: numTokens, epoch: batches.progress() }] });
        }
        if (step % config.eval_steps === 0 || isLast) {
          const evalEvents = await evaluate();
          if (!evalEvents) {
            onEvents(events);
            return failed(step, 'held-out reward', NaN);
          }
          events.push(...evalEvents);
        }
        if (events.length) onEvents(events);
        await yieldToEventLoop();
      }
      if (step < endStep && step > startStep && checkpointStep !== step) {
        // Stopped early: keep what was learned since the last checkpoint.
        const evalEvents = await evaluate();
        if (evalEvents) onEvents(evalEvents);
        return { status: 'stopped', step, checkpointStep };
      }
      return { status: step < endStep ? 'stopped' : 'finished', step, checkpointStep };
    } finally {
      disposePending(pending);
      optimizer.dispose();
    }
  }

  dispose(): void {
    this.rewardModel?.dispose();
    this.rewardModel = null;
  }
}

function disposePending(pending: PendingStep[]): void {
  for (const p of pending) {
    p.loss.dispose();
    p.rewards.dispose();
  }
}
