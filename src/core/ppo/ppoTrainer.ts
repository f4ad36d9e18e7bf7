/**
 * A PPO run, as TRL's PPOTrainer loops (v0.14+): each iteration samples responses for a batch of
 * prompts, scores them (reward model or gold score), computes logprobs under the policy and the
 * frozen reference, values, the per-token KL penalty and GAE advantages (the pure functions of
 * this folder), then num_ppo_epochs x num_mini_batches clipped policy + value updates. Logs TRL's
 * metric names, the gold score, a few samples per iteration, and policy checkpoints (stage 'ppo',
 * a language-model checkpoint plus the value head, ppoCheckpoint.ts; a run from one resumes its head).
 * Knows nothing of workers or files.
 */
import * as tf from '@tensorflow/tfjs';
import { activeBackend } from '../backend.ts';
import { instructionPrompts } from '../data/instructions.ts';
import type { RunOutcome, TrainEvent, TrainingJob } from '../engine/engineApi.ts';
import { modelFromCheckpoint, parseCheckpoint, type ParsedCheckpoint } from '../model/checkpoint.ts';
import { countParameters, type GPT } from '../model/gpt.ts';
import { HAPPY_ENDING_SPEC, type GoldSpec } from '../preferences/goldScore.ts';
import { epochDraws, Rng } from '../rng.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { learningRateAt } from '../train/lrSchedule.ts';
import type { CheckpointFiles, MetricRow, Sample } from '../train/pretrainConfig.ts';
import type { RunControls } from '../train/runControls.ts';
import { StepCheckpoints } from '../train/stepCheckpoints.ts';
import { makeOptimizerStep } from '../train/trainStep.ts';
import { ConfigError } from '../train/validate.ts';
import { computeAdvantages } from './gae.ts';
import { AdaptiveKLController, FixedKLController, type KLController } from './klController.ts';
import type { Matrix } from './maskedStats.ts';
import { ppoLoss } from './ppoLosses.ts';
import { rolloutBatchSize, validatePpoRunConfig, type PpoRunConfig } from './ppoRunConfig.ts';
import { goldScorer, makeScorer, type PpoRewardSource, type PpoScorer } from './ppoReward.ts';
import { ppoCheckpointFiles, savedValueHead } from './ppoCheckpoint.ts';
import { PolicyWithValueHead, responseLogprobs, sequenceBatch } from './policyValue.ts';
import { applyMissingEosPenalty, computeRewards, containsEos, whitenRewards } from './rewards.ts';
import { sampleResponses } from './rollout.ts';

export interface PpoRequest {
  config: PpoRunConfig;
  /** The starting policy (an SFT or base language-model checkpoint); the reference is a frozen copy. */
  from: CheckpointFiles;
  /** What `from` is, in words; saved with the checkpoints. */
  fromLabel?: string;
  /** A reward checkpoint or the gold score. */
  reward: PpoRewardSource;
  /** The gold score logged beside a reward model's scores (default: the happy-ending preference). */
  goldSpec?: GoldSpec;
  /** The prompts to optimise on (default: config.num_prompts built-in story requests). */
  prompts?: string[];
}

/** One shown response: its scores and, per response token, its text and log(pi / pi_ref) at rollout time. */
export interface PpoSample extends Sample {
  score: number;
  gold_score: number;
  /** Summed per-token KL estimate of the response (objective/kl's per-row term). */
  kl: number;
  /** The response's tokens as text, end-of-text shown as '<eos>' [T_b]. */
  tokens: string[];
  /** logprob - ref_logprob of each response token (k1 per token, before kl_coef) [T_b]. */
  logratio: number[];
}

/** Samples shown per iteration. */
const SAMPLES_PER_ITERATION = 4;
/** Per mini-batch, kept past the step for log time: pg_loss, vf_loss, pg_clipfrac, vf_clipfrac, approxkl, ratio. */
const UPDATE_STATS = ['loss/policy_avg', 'loss/value_avg', 'policy/clipfrac_avg', 'val/clipfrac_avg', 'policy/approxkl_avg', 'val/ratio'] as const;

const toMatrix = (flat: ArrayLike<number>, B: number, T: number): Matrix => Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => flat[b * T + t]));
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const rowSums = (m: Matrix) => m.map((row) => row.reduce((a, b) => a + b, 0));

/** Token ids of each prompt, checked against the model's context (prompt + response_length must fit). */
export function encodePrompts(prompts: readonly string[], tokenizer: Tokenizer, context: number, responseLength: number): number[][] {
  if (!prompts.length) throw new ConfigError([{ field: 'prompts', message: 'needs at least one prompt' }]);
  return prompts.map((p, i) => {
    const ids = tokenizer.encode(p);
    if (ids.length + responseLength > context) {
      throw new ConfigError([{ field: ids.length >= context ? 'prompts' : 'response_length', message: `prompt ${i + 1} has ${ids.length} tokens; with response_length ${responseLength} that exceeds the model's context of ${context} tokens` }]);
    }
    return ids.length ? ids : [tokenizer.eosId];
  });
}

export class PpoRun implements TrainingJob {
  model: GPT | null = null;
  tokenizer: Tokenizer | null = null;

  /** `scorer` replaces the request's reward source (tests; custom rewards in Node). */
  constructor(private readonly request: PpoRequest, private readonly options: { scorer?: PpoScorer } = {}) {}

  async run(onEvents: (events: TrainEvent[]) => void, controls: RunControls): Promise<RunOutcome> {
    const { config, from, reward } = this.request;
    const errors = validatePpoRunConfig(config);
    if (errors.length) throw new ConfigError(errors);
    let parsed: ParsedCheckpoint;
    let valueHead: Float32Array | undefined;
    try {
      parsed = parseCheckpoint(from);
      valueHead = savedValueHead(from, parsed.modelConfig.n_embd);
    } catch (e) {
      throw new ConfigError([{ field: 'from', message: `the starting checkpoint cannot be read: ${(e as Error).message}` }]);
    }
    const tokenizer = (this.tokenizer = parsed.tokenizer);
    const eos = tokenizer.eosId;
    const T = config.response_length;
    const promptTexts = this.request.prompts ?? instructionPrompts(config.num_prompts, config.seed).map((p) => p.prompt);
    const promptIds = encodePrompts(promptTexts, tokenizer, parsed.modelConfig.n_positions, T);
    const scorer = this.options.scorer ?? makeScorer(reward, tokenizer);
    const gold = goldScorer(reward.kind === 'gold' ? reward.spec : (this.request.goldSpec ?? HAPPY_ENDING_SPEC));

    const lm = (this.model = modelFromCheckpoint(parsed));
    const ref = modelFromCheckpoint(parsed);
    const policy = new PolicyWithValueHead(lm, valueHead);
    const optimizer = tf.train.adam(config.learning_rate, 0.9, 0.999, 1e-8);
    const optimizerStep = makeOptimizerStep(policy.trainableParams(), optimizer, config);
    const klCtl: KLController = config.adap_kl_ctrl ? new AdaptiveKLController(config.kl_coef, config.target, config.horizon) : new FixedKLController(config.kl_coef);
    const B = rolloutBatchSize(config);
    const mbSize = config.per_device_train_batch_size;
    // Also shuffles the mini-batches: one stream, so seeded runs draw as before.
    const promptRng = new Rng(config.seed + 1);
    const drawPrompts = epochDraws(promptRng, promptIds.length);
    const sampleRng = new Rng(config.seed + 2);
    const nextPrompts = (): number[] => drawPrompts(B);
    const info = (step: number) => ({ stage: 'ppo', step, run_config: { ...config, reward: reward.kind === 'gold' ? 'gold' : 'reward model', started_from: this.request.fromLabel ?? 'a checkpoint' } });

    onEvents([{ type: 'started', backend: activeBackend(), nParams: countParameters(lm.config) + lm.config.n_embd, vocabSize: tokenizer.vocabSize, numTrainExamples: promptIds.length }]);

    let pending: tf.Tensor[] = [];
    const saves = new StepCheckpoints((at) => ppoCheckpointFiles(policy, tokenizer, info(at)), config.save_steps, config.max_steps);
    let step = 0;
    const failed = (what: string, value: number): RunOutcome => ({
      status: 'failed',
      step: step + 1,
      checkpointStep: saves.step,
      message: `the ${what} became ${value} at iteration ${step + 1}; training stopped. Try a lower learning_rate. The last good checkpoint${saves.step !== undefined ? ` (iteration ${saves.step})` : ''} is kept.`,
    });
    try {
      while (step < config.max_steps) {
        await controls.waitWhilePaused();
        if (controls.shouldStop()) break;
        const t0 = performance.now();
        const lr = learningRateAt(step, config.learning_rate, config.lr_scheduler_type, 0, config.max_steps);

        // 1. Rollout: responses, then one forward each of policy and reference over prompt + response.
        const idx = nextPrompts();
        const queries = idx.map((i) => promptIds[i]);
        const responses = await sampleResponses(lm, queries, T, config.temperature, eos, sampleRng);
        const layout = sequenceBatch(queries, responses, T, eos);
        const [lpT, vT, refT] = tf.tidy(() => {
          const p = responseLogprobs(lm, layout, config.temperature, policy.valueHead);
          return [p.logprobs, p.values!, responseLogprobs(ref, layout, config.temperature).logprobs];
        });
        const [lpFlat, vFlat, refFlat] = await Promise.all([lpT.data(), vT.data(), refT.data()]);
        tf.dispose([lpT, vT, refT]);
        const mask: Matrix = responses.map((r) => Array.from({ length: T }, (_, t) => (t < r.length ? 1 : 0)));
        const logprobs = toMatrix(lpFlat, B, T);
        const values = toMatrix(vFlat, B, T);
        const refLogprobs = toMatrix(refFlat, B, T);

        // 2. Scores (texts without the end-of-text token), then the KL-penalised per-token rewards.
        const prompts = idx.map((i) => promptTexts[i]);
        const completions = responses.map((r) => tokenizer.decode(r.filter((id) => id !== eos)));
        const rawScores = await scorer.score(prompts, completions);
        const badScore = rawScores.find((s) => !Number.isFinite(s));
        if (badScore !== undefined) return failed('reward', badScore);
        const goldScores = reward.kind === 'gold' && !this.options.scorer ? rawScores : await gold.score(prompts, completions);
        const scores = applyMissingEosPenalty(rawScores, containsEos(responses, eos), config.missing_eos_penalty);
        const r = computeRewards({ logprobs, ref_logprobs: refLogprobs, scores, mask, kl_coef: klCtl.value, kl_estimator: config.kl_estimator });
        const rewards = config.whiten_rewards ? whitenRewards(r.rewards, mask) : r.rewards;
        const { advantages, returns } = computeAdvantages(rewards, values, mask, { gamma: config.gamma, lam: config.lam });

        // 3. num_ppo_epochs x num_mini_batches clipped updates of policy + value head.
        for (let epoch = 0; epoch < config.num_ppo_epochs; epoch++) {
          const perm = promptRng.permutation(B);
          for (let m = 0; m < config.num_mini_batches; m++) {
            const sub = perm.slice(m * mbSize, (m + 1) * mbSize);
            const subLayout = sequenceBatch(sub.map((i) => queries[i]), sub.map((i) => responses[i]), T, eos);
            const rowsOf = (x: Matrix) => tf.tensor2d(sub.map((i) => x[i]), [sub.length, T]);
            const kept: { stats?: tf.Tensor } = {};
            const loss = optimizerStep(() => {
              const now = responseLogprobs(lm, subLayout, config.temperature, policy.valueHead);
              const out = ppoLoss({ logprobs: now.logprobs, old_logprobs: rowsOf(logprobs), advantages: rowsOf(advantages), vpred: now.values!, values: rowsOf(values), returns: rowsOf(returns), mask: rowsOf(mask) }, config);
              kept.stats = tf.keep(tf.stack([out.pg_loss, out.vf_loss, out.pg_clipfrac, out.vf_clipfrac, out.approxkl, out.ratio_mean]));
              return out.loss;
            }, lr);
            pending.push(loss, kept.stats!);
          }
        }
        const stacked = tf.tidy(() => tf.concat(pending.map((t) => tf.reshape(t, [-1]))));
        const statsFlat = await stacked.data();
        stacked.dispose();
        tf.dispose(pending);
        pending = [];
        const perUpdate = 1 + UPDATE_STATS.length;
        const updates = statsFlat.length / perUpdate;
        const lossValues = Array.from({ length: updates }, (_, u) => statsFlat[u * perUpdate]);
        const badLoss = lossValues.find((l) => !Number.isFinite(l));
        if (badLoss !== undefined) return failed('loss', badLoss);
        step++;

        // 4. Metrics (TRL's names), samples, checkpoint.
        const klSums = rowSums(r.kl);
        const meanKl = mean(klSums);
        const meanNonScore = mean(rowSums(r.non_score_reward));
        const row: MetricRow = {
          step,
          episode: step * B,
          'objective/kl': meanKl,
          // TRL: (-logprobs).sum(1).mean(), the sampled tokens' negative log-likelihood (padding 0 here).
          'objective/entropy': mean(rowSums(logprobs.map((row, b) => row.map((lp, t) => -lp * mask[b][t])))),
          'objective/non_score_reward': meanNonScore,
          'objective/rlhf_reward': meanNonScore + mean(scores),
          'objective/scores': mean(scores),
          'gold/score_mean': mean(goldScores),
          ...Object.fromEntries(UPDATE_STATS.map((name, k) => [name, mean(Array.from({ length: updates }, (_, u) => statsFlat[u * perUpdate + 1 + k]))])),
          'val/num_eos_tokens': responses.reduce((n, resp) => n + resp.filter((id) => id === eos).length, 0),
          'completions/mean_length': mean(responses.map((resp) => resp.length)),
          kl_coef: klCtl.value,
          // The adaptive controller's target, drawn beside objective/kl (not a TRL metric).
          ...(config.adap_kl_ctrl ? { kl_target: config.target } : {}),
          learning_rate: lr,
          seconds_per_iteration: (performance.now() - t0) / 1000,
        };
        klCtl.update(meanKl, B);
        const samples = responses.slice(0, SAMPLES_PER_ITERATION).map((resp, b): PpoSample => ({
          prompt: prompts[b],
          completion: completions[b],
          score: scores[b],
          gold_score: goldScores[b],
          kl: klSums[b],
          tokens: resp.map((id) => (id === eos ? '<eos>' : tokenizer.decode([id]))),
          logratio: resp.map((_, t) => logprobs[b][t] - refLogprobs[b][t]),
        }));
        await saves.send(step, [{ type: 'metrics', rows: [row] }, { type: 'samples', step, samples }], onEvents);
      }
      return await saves.end(step, onEvents);
    } finally {
      tf.dispose(pending);
      optimizer.dispose();
      policy.dispose();
      ref.dispose();
      scorer.dispose();
    }
  }

  dispose(): void {
    this.model?.dispose();
    this.model = null;
  }
}
