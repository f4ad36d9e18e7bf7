/**
 * The best-of-n baseline of the overoptimization chart, measured: n_max completions of each of
 * num_prompts prompts from a starting checkpoint, scored by the proxy (reward functions combined with
 * their weights, as a GRPO run would be) and by the gold function, reduced to a curve by bestOfN.ts.
 * The prompts are the first num_prompts of the same built-in story requests a GRPO run with this seed
 * trains on. Knows nothing of workers.
 */
import type { GPT } from '../model/gpt.ts';
import { parseCheckpoint, modelFromCheckpoint } from '../model/checkpoint.ts';
import { instructionPrompts } from '../data/instructions.ts';
import { encodePrompts } from '../ppo/ppoTrainer.ts';
import { goldScore, HAPPY_ENDING_SPEC, type GoldSpec } from '../preferences/goldScore.ts';
import { sampleResponses } from '../ppo/rollout.ts';
import { Rng } from '../rng.ts';
import type { CheckpointFiles } from '../train/pretrainConfig.ts';
import { ConfigError, fieldChecks, type FieldError } from '../train/validate.ts';
import { bestOfNCurve, bestOfNSizes, type BestOfNPoint, type ScoredGroup } from './bestOfN.ts';
import { combineRewards } from './groupAdvantages.ts';
import { makeRewardFunctions, type CodeRewardFactory, type GrpoRewardSource } from './rewardSources.ts';

export interface BestOfNSettings {
  /** Prompts the curve averages over. */
  num_prompts: number;
  /** Completions sampled per prompt: the largest n of the curve. */
  n_max: number;
  max_completion_length: number;
  temperature: number;
  seed: number;
}

export interface BestOfNRequest extends BestOfNSettings {
  from: CheckpointFiles;
  /** The proxy: the reward functions a GRPO run would optimise, combined with reward_weights. */
  rewards: GrpoRewardSource[];
  reward_weights?: number[] | null;
  goldSpec?: GoldSpec;
  /** The prompts (default: the first num_prompts built-in story requests of `seed`); at most num_prompts are used. */
  prompts?: string[];
}

export interface BestOfNResult {
  points: BestOfNPoint[];
  /** Prompts actually scored (fewer when stopped early). */
  prompts: number;
}

export function defaultBestOfNSettings(): BestOfNSettings {
  // 16 prompts x 32 samples: about 500 completions, a few seconds on wasm, n up to 32 (sqrt(KL) ~1.6).
  return { num_prompts: 16, n_max: 32, max_completion_length: 48, temperature: 1, seed: 0 };
}

export function validateBestOfNSettings(s: BestOfNSettings): FieldError[] {
  const errors: FieldError[] = [];
  const { int, num } = fieldChecks(s, errors);
  int('num_prompts', 1, 1000);
  int('n_max', 2, 256);
  int('max_completion_length', 1, 4096);
  num('temperature', 0, 100, true);
  int('seed', 0, 2 ** 32 - 1);
  return errors;
}

/**
 * Samples and scores prompt by prompt, reporting progress after each; `shouldStop` ends it early with
 * the prompts done so far. Throws a ConfigError for bad settings or reward sources.
 */
export async function bestOfNBaseline(
  request: BestOfNRequest,
  onProgress: (done: number, total: number) => void,
  shouldStop: () => boolean = () => false,
  codeReward?: CodeRewardFactory,
): Promise<BestOfNResult> {
  const errors = validateBestOfNSettings(request);
  if (!request.rewards.length) errors.push({ field: 'rewards', message: 'needs the proxy reward to rank completions by' });
  if (errors.length) throw new ConfigError(errors);
  const parsed = parseCheckpoint(request.from);
  const tokenizer = parsed.tokenizer;
  const texts = (request.prompts ?? instructionPrompts(request.num_prompts, request.seed).map((p) => p.prompt)).slice(0, request.num_prompts);
  let ids: number[][];
  try {
    ids = encodePrompts(texts, tokenizer, parsed.modelConfig.n_positions, request.max_completion_length);
  } catch (e) {
    // PPO's check names response_length; here the same length is max_completion_length.
    if (e instanceof ConfigError) throw new ConfigError(e.errors.map((x) => ({ ...x, field: x.field === 'response_length' ? 'max_completion_length' : x.field, message: x.message.replace('response_length', 'max_completion_length') })));
    throw e;
  }
  const functions = makeRewardFunctions(request.rewards, tokenizer, codeReward);
  const weights = request.reward_weights ?? functions.map(() => 1);
  const spec = request.goldSpec ?? HAPPY_ENDING_SPEC;
  const rng = new Rng(request.seed + 3);
  let lm: GPT | null = null;
  const groups: ScoredGroup[] = [];
  try {
    lm = modelFromCheckpoint(parsed);
    for (let p = 0; p < ids.length && !shouldStop(); p++) {
      const completionIds = await sampleResponses(lm, Array<number[]>(request.n_max).fill(ids[p]), request.max_completion_length, request.temperature, tokenizer.eosId, rng);
      const completions = completionIds.map((c) => tokenizer.decode(c.filter((id) => id !== tokenizer.eosId)));
      const prompts = completions.map(() => texts[p]);
      const perFunction: number[][] = [];
      // As in training: a user function's failed calls score NaN ("cannot judge") instead of ending the baseline.
      for (const f of functions) perFunction.push(f.scoreBatch ? (await f.scoreBatch(prompts, completions)).scores : await f.score(prompts, completions));
      groups.push({ proxy: combineRewards(perFunction, weights), gold: completions.map((c) => goldScore(texts[p], c, spec)) });
      onProgress(p + 1, ids.length);
    }
  } finally {
    lm?.dispose();
    for (const f of functions) f.dispose?.();
  }
  return { points: bestOfNCurve(groups, bestOfNSizes(request.n_max)), prompts: groups.length };
}
