/**
 * A GRPO or RLOO run, as TRL's GRPOTrainer / RLOOTrainer loop (commit 13b4eb95, TRL v0.24-v0.25),
 * one generation batch per step: pick per_device_train_batch_size / num_generations prompts, sample
 * num_generations completions of each (PPO's KV-cached sampler), score them with every reward
 * function, combine with reward_weights, turn rewards into group-relative advantages
 * (groupAdvantages.ts), then num_iterations optimizer steps of the clipped loss (grpoLoss.ts) on
 * the whole batch. No value model: the group is the baseline. A reward function failing on some
 * completions (user code: stepRewards.ts) leaves those unjudged and the run goes on; the step
 * reports the failures (a rewardFailures event). Completions no function judged are left out of
 * learning; a step with none judged makes no update, and MAX_UNJUDGED_STEPS such steps in a row end
 * the run. The gold score is always logged
 * (gold/score_mean), whatever the policy optimises, so reward hacking shows. Checkpoints are
 * language-model checkpoints, stage 'grpo'. Knows nothing of workers or files.
 */
import * as tf from '@tensorflow/tfjs';
import { activeBackend } from '../backend.ts';
import { instructionPrompts } from '../data/instructions.ts';
import type { NamedRewardFailure, RunOutcome, TrainEvent, TrainingJob } from '../engine/engineApi.ts';
import { checkpointFiles, modelFromCheckpoint, parseCheckpoint, type ParsedCheckpoint } from '../model/checkpoint.ts';
import { countParameters, type GPT } from '../model/gpt.ts';
import { sequenceBatch } from '../ppo/policyValue.ts';
import { goldScorer } from '../ppo/ppoReward.ts';
import { encodePrompts } from '../ppo/ppoTrainer.ts';
import { sampleResponses } from '../ppo/rollout.ts';
import { HAPPY_ENDING_SPEC, type GoldSpec } from '../preferences/goldScore.ts';
import type { RewardFunction } from '../rewards/rewardFunction.ts';
import { epochDraws, Rng } from '../rng.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { learningRateAt } from '../train/lrSchedule.ts';
import type { CheckpointFiles, MetricRow, Sample } from '../train/pretrainConfig.ts';
import type { RunControls } from '../train/runControls.ts';
import { StepCheckpoints } from '../train/stepCheckpoints.ts';
import { makeOptimizerStep } from '../train/trainStep.ts';
import { ConfigError } from '../train/validate.ts';
import { completionLogprobsAndEntropy } from './completionLogprobs.ts';
import { combineRewards, grpoAdvantages, mean, nanMean, nanStd, rlooAdvantages, rlooKlPenalisedRewards, withoutUnjudged } from './groupAdvantages.ts';
import { epsilonHigh, validateGrpoConfig, type GroupMethod, type GrpoConfig } from './grpoConfig.ts';
import { grpoLoss, maskedTokenMean, rlooLoss } from './grpoLoss.ts';
import { makeRewardFunctions, type CodeRewardFactory, type GrpoRewardSource } from './rewardSources.ts';
import { MAX_UNJUDGED_STEPS, failureMetrics, rewardFailuresEvents, scoreStep, unjudgedMessage } from './stepRewards.ts';

export interface GrpoRequest {
  method: GroupMethod;
  config: GrpoConfig;
  /** The starting policy (an SFT or base language-model checkpoint); the reference (beta > 0) is a frozen copy. */
  from: CheckpointFiles;
  /** What `from` is, in words; saved with the checkpoints. */
  fromLabel?: string;
  /** The reward functions (TRL's reward_funcs), weighted by config.reward_weights. */
  rewards: GrpoRewardSource[];
  /** The gold score logged beside the rewards (default: the happy-ending preference). */
  goldSpec?: GoldSpec;
  /** The prompts to optimise on (default: config.num_prompts built-in story requests). */
  prompts?: string[];
}

/** One shown completion: its combined reward, each function's score, advantage and gold score. */
export interface GrpoSample extends Sample {
  /** NaN: no function judged it (left out of learning, advantage 0). */
  reward: number;
  /** Each reward function's score by name (NaN: that function could not judge it). */
  rewards: Record<string, number>;
  advantage: number;
  gold_score: number;
}

/** Completions shown per step: the first prompt's group, so they can be compared with each other. */
const SAMPLES_PER_STEP = 4;
/** Per optimizer step, kept past the step for log time. */
const STEP_STATS = ['loss', 'kl', 'clip_ratio/low_mean', 'clip_ratio/high_mean', 'clip_ratio/region_mean', 'entropy', 'objective/kl'] as const;

const toMatrix = (flat: ArrayLike<number>, N: number, T: number): number[][] => Array.from({ length: N }, (_, b) => Array.from({ length: T }, (_, t) => flat[b * T + t]));

export class GrpoRun implements TrainingJob {
  model: GPT | null = null;
  tokenizer: Tokenizer | null = null;

  /**
   * `rewardFunctions` replaces the request's reward sources (tests); `codeReward` builds the
   * request's 'code' sources (the engine's sandbox: a worker in the browser, node:vm in Node).
   */
  constructor(private readonly request: GrpoRequest, private readonly options: { rewardFunctions?: RewardFunction[]; codeReward?: CodeRewardFactory } = {}) {}

  async run(onEvents: (events: TrainEvent[]) => void, controls: RunControls): Promise<RunOutcome> {
    const { config, from, method } = this.request;
    if (method !== 'grpo' && method !== 'rloo') throw new ConfigError([{ field: 'method', message: `must be grpo or rloo (got ${String(method)})` }]);
    const nFunctions = this.options.rewardFunctions?.length ?? this.request.rewards.length;
    const errors = validateGrpoConfig(config, nFunctions);
    if (!nFunctions) errors.push({ field: 'reward_funcs', message: 'needs at least one reward function' });
    if (errors.length) throw new ConfigError(errors);
    let parsed: ParsedCheckpoint;
    try {
      parsed = parseCheckpoint(from);
    } catch (e) {
      throw new ConfigError([{ field: 'from', message: `the starting checkpoint cannot be read: ${(e as Error).message}` }]);
    }
    const tokenizer = (this.tokenizer = parsed.tokenizer);
    const eos = tokenizer.eosId;
    const T = config.max_completion_length;
    const G = config.num_generations;
    const N = config.per_device_train_batch_size;
    const promptsPerStep = N / G;
    const promptTexts = this.request.prompts ?? instructionPrompts(config.num_prompts, config.seed).map((p) => p.prompt);
    let promptIds: number[][];
    try {
      promptIds = encodePrompts(promptTexts, tokenizer, parsed.modelConfig.n_positions, T);
    } catch (e) {
      // PPO's check names response_length; here the same length is max_completion_length.
      if (e instanceof ConfigError) throw new ConfigError(e.errors.map((x) => (x.field === 'response_length' ? { field: 'max_completion_length', message: x.message.replace('response_length', 'max_completion_length') } : x)));
      throw e;
    }
    const functions = this.options.rewardFunctions ?? makeRewardFunctions(this.request.rewards, tokenizer, this.options.codeReward);
    const weights = config.reward_weights ?? functions.map(() => 1);
    const gold = goldScorer(this.request.goldSpec ?? HAPPY_ENDING_SPEC);
    const clip = { epsilon: config.epsilon, epsilon_high: epsilonHigh(config) };

    const lm = (this.model = modelFromCheckpoint(parsed));
    // The reference is needed for the KL term, and to log how far the policy has moved (log_sequence_kl).
    const ref = config.beta !== 0 || config.log_sequence_kl ? modelFromCheckpoint(parsed) : null;
    const optimizer = tf.train.adam(config.learning_rate, 0.9, 0.999, 1e-8);
    const optimizerStep = makeOptimizerStep(lm.params, optimizer, config);
    const drawPrompts = epochDraws(new Rng(config.seed + 1), promptIds.length);
    const sampleRng = new Rng(config.seed + 2);
    const nextPrompts = (): number[] => drawPrompts(promptsPerStep);
    const info = (step: number) => ({ stage: 'grpo', step, run_config: { ...config, method, reward_funcs: functions.map((f) => f.name), started_from: this.request.fromLabel ?? 'a checkpoint' } });

    onEvents([{ type: 'started', backend: activeBackend(), nParams: countParameters(lm.config), vocabSize: tokenizer.vocabSize, numTrainExamples: promptIds.length }]);

    let pending: tf.Tensor[] = [];
    const saves = new StepCheckpoints((at) => checkpointFiles(lm, tokenizer, info(at)), config.save_steps, config.max_steps);
    let step = 0;
    /** Steps in a row with no judged completion, and their failures. */
    let unjudgedSteps = 0;
    const streak: NamedRewardFailure[] = [];
    const keptNote = () => `The last good checkpoint${saves.step !== undefined ? ` (step ${saves.step})` : ''} is kept.`;
    const failed = (what: string, value: number): RunOutcome => ({
      status: 'failed',
      step: step + 1,
      checkpointStep: saves.step,
      message: `the ${what} became ${value} at step ${step + 1}; training stopped. ${what === 'loss' ? 'Try a lower learning_rate. ' : ''}${keptNote()}`,
    });
    try {
      while (step < config.max_steps) {
        await controls.waitWhilePaused();
        if (controls.shouldStop()) break;
        const t0 = performance.now();
        const lr = learningRateAt(step, config.learning_rate, config.lr_scheduler_type, 0, config.max_steps);

        // 1. Generation: each chosen prompt num_generations times, side by side (TRL's repeat_interleave order).
        const idx = nextPrompts().flatMap((i) => Array<number>(G).fill(i));
        const queries = idx.map((i) => promptIds[i]);
        const completionIds = await sampleResponses(lm, queries, T, config.temperature, eos, sampleRng);
        const layout = sequenceBatch(queries, completionIds, T, eos);
        const terminated = completionIds.map((c) => c[c.length - 1] === eos);
        // Completion tokens up to and including end-of-text; truncated ones dropped when asked.
        let mask: number[][] = completionIds.map((c, b) => Array.from({ length: T }, (_, t) => (t < c.length && (terminated[b] || !config.mask_truncated_completions) ? 1 : 0)));
        // Every sampled token, truncated or not: objective/kl measures the whole completion.
        const lengthMask = completionIds.map((c) => Array.from({ length: T }, (_, t) => (t < c.length ? 1 : 0)));
        const needOld = method === 'rloo' || config.num_iterations > 1;
        let oldLogprobs: number[][] | null = null;
        let refLogprobs: number[][] | null = null;
        if (needOld || ref) {
          const outs = tf.tidy(() => [...(needOld ? [completionLogprobsAndEntropy(lm, layout, config.temperature).logprobs] : []), ...(ref ? [completionLogprobsAndEntropy(ref, layout, config.temperature).logprobs] : [])]);
          const flats = await Promise.all(outs.map((t) => t.data()));
          tf.dispose(outs);
          if (needOld) oldLogprobs = toMatrix(flats[0], N, T);
          if (ref) refLogprobs = toMatrix(flats[needOld ? 1 : 0], N, T);
        }

        // 2. Rewards: every function's scores (texts without end-of-text), combined with the weights.
        const prompts = idx.map((i) => promptTexts[i]);
        const completions = completionIds.map((c) => tokenizer.decode(c.filter((id) => id !== eos)));
        const scored = await scoreStep(functions, prompts, completions, step + 1);
        if ('problem' in scored) return { status: 'failed', step: step + 1, checkpointStep: saves.step, message: `${scored.problem} ${keptNote()}` };
        const { perFunction, failures } = scored;
        const combined = combineRewards(perFunction, weights);
        // NaN: no function judged that completion (left out of learning below); anything else non-finite ends the run.
        const badReward = combined.find((r) => !Number.isNaN(r) && !Number.isFinite(r));
        if (badReward !== undefined) return failed('reward', badReward);
        const anyJudged = combined.some((r) => !Number.isNaN(r));
        if (anyJudged) streak.length = 0;
        else streak.push(...failures);
        unjudgedSteps = anyJudged ? 0 : unjudgedSteps + 1;
        // Unjudged completions add nothing to the loss, its token count or the entropy logged.
        mask = withoutUnjudged(mask, combined);
        const goldScores = await gold.score(prompts, completions);

        // 3. Advantages: the group is the baseline.
        let rlooKl: number[] | null = null;
        let adv;
        if (method === 'grpo') adv = grpoAdvantages(combined, G, config.scale_rewards);
        else {
          let rewards = combined;
          if (config.beta !== 0) ({ rewards, kl: rlooKl } = rlooKlPenalisedRewards(combined, oldLogprobs!, refLogprobs!, mask, config.beta));
          adv = rlooAdvantages(rewards, G, config.normalize_advantages);
        }
        const numItems = Math.max(1, mask.flat().reduce((a: number, b) => a + b, 0));

        // 4. num_iterations optimizer steps on the whole batch; none when no completion was judged.
        let stat: ((k: number) => number[]) | null = null;
        if (anyJudged) {
          for (let it = 0; it < config.num_iterations; it++) {
            const kept: { stats?: tf.Tensor } = {};
            const loss = optimizerStep(() => {
              const now = completionLogprobsAndEntropy(lm, layout, config.temperature);
              const maskT = tf.tensor2d(mask, [N, T]);
              const advantages = tf.tensor1d(adv.advantages);
              const refT = refLogprobs ? tf.tensor2d(refLogprobs, [N, T]) : null;
              const out =
                method === 'grpo'
                  ? grpoLoss(
                      { logprobs: now.logprobs, old_logprobs: oldLogprobs ? tf.tensor2d(oldLogprobs, [N, T]) : null, ref_logprobs: refT, advantages, mask: maskT },
                      { ...clip, beta: config.beta, loss_type: config.loss_type, max_completion_length: T, num_items_in_batch: numItems },
                    )
                  : rlooLoss({ logprobs: now.logprobs, old_logps: tf.tensor1d(oldLogprobs!.map((row, b) => row.reduce((s, lp, t) => s + lp * mask[b][t], 0))), advantages, mask: maskT }, clip);
              // k1 summed over each completion, averaged over the batch, on the first iteration only:
              // before any update of this batch, so it is the KL at sampling time (the one logged).
              const sequenceKl = refT && it === 0 ? tf.div(tf.sum(tf.mul(tf.sub(now.logprobs, refT), tf.tensor2d(lengthMask, [N, T]))), N) : tf.scalar(0);
              kept.stats = tf.keep(tf.stack([out.kl, out.clip_low, out.clip_high, out.clip_region, maskedTokenMean(now.entropy, maskT), sequenceKl]));
              return out.loss;
            }, lr);
            pending.push(loss, kept.stats!);
          }
          const stacked = tf.tidy(() => tf.concat(pending.map((t) => tf.reshape(t, [-1]))));
          const statsFlat = await stacked.data();
          stacked.dispose();
          tf.dispose(pending);
          pending = [];
          const per = STEP_STATS.length;
          stat = (k: number) => Array.from({ length: config.num_iterations }, (_, u) => statsFlat[u * per + k]);
          const badLoss = stat(0).find((l) => !Number.isFinite(l));
          if (badLoss !== undefined) return failed('loss', badLoss);
        }
        step++;

        // 5. Metrics under TRL's names, samples, checkpoint.
        const lengths = completionIds.map((c) => c.length);
        const terminatedLengths = lengths.filter((_, b) => terminated[b]);
        // The update's own numbers, when there was one.
        const updateMetrics = (stat: (k: number) => number[]): Record<string, number> => ({
          loss: mean(stat(0)),
          // GRPO: k3 per token from the loss; RLOO: k1 per token at sampling time. TRL logs it only when beta != 0.
          ...(config.beta !== 0 ? { kl: method === 'grpo' ? mean(stat(1)) : rlooKl!.reduce((a, b) => a + b, 0) / numItems } : {}),
          ...(config.log_sequence_kl ? { 'objective/kl': stat(6)[0] } : {}),
          entropy: mean(stat(5)),
          'clip_ratio/low_mean': mean(stat(2)),
          'clip_ratio/low_min': Math.min(...stat(2)),
          'clip_ratio/high_mean': mean(stat(3)),
          'clip_ratio/high_max': Math.max(...stat(3)),
          'clip_ratio/region_mean': mean(stat(4)),
        });
        const row: MetricRow = {
          step,
          episode: step * N,
          ...(stat ? updateMetrics(stat) : {}),
          // Over the judged completions; none judged: nothing to report.
          ...(anyJudged ? { reward: adv.reward, reward_std: adv.reward_std, frac_reward_zero_std: adv.frac_reward_zero_std } : {}),
          ...Object.fromEntries(functions.flatMap((f, i) => [[`rewards/${f.name}/mean`, nanMean(perFunction[i])], [`rewards/${f.name}/std`, nanStd(perFunction[i])]])),
          ...failureMetrics(functions, failures),
          'gold/score_mean': mean(goldScores),
          'completions/mean_length': mean(lengths),
          'completions/min_length': Math.min(...lengths),
          'completions/max_length': Math.max(...lengths),
          'completions/clipped_ratio': 1 - terminatedLengths.length / N,
          ...(terminatedLengths.length ? { 'completions/mean_terminated_length': mean(terminatedLengths), 'completions/min_terminated_length': Math.min(...terminatedLengths), 'completions/max_terminated_length': Math.max(...terminatedLengths) } : {}),
          learning_rate: lr,
          seconds_per_step: (performance.now() - t0) / 1000,
        };
        const samples = completions.slice(0, SAMPLES_PER_STEP).map((completion, b): GrpoSample => ({
          prompt: prompts[b],
          completion,
          reward: combined[b],
          rewards: Object.fromEntries(functions.map((f, i) => [f.name, perFunction[i][b]])),
          advantage: adv.advantages[b],
          gold_score: goldScores[b],
        }));
        await saves.send(step, [{ type: 'metrics', rows: [row] }, { type: 'samples', step, samples }, ...rewardFailuresEvents(step, failures)], onEvents);
        if (unjudgedSteps >= MAX_UNJUDGED_STEPS) return { status: 'failed', step, checkpointStep: saves.step, message: `${unjudgedMessage(step, functions, streak)} ${keptNote()}` };
      }
      return await saves.end(step, onEvents);
    } finally {
      tf.dispose(pending);
      optimizer.dispose();
      ref?.dispose();
      if (!this.options.rewardFunctions) for (const f of functions) f.dispose?.();
    }
  }

  dispose(): void {
    this.model?.dispose();
    this.model = null;
  }
}
