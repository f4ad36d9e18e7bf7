import type { RewardFailure } from './userRewardSource.ts';

/**
 * A reward function as GRPO and RLOO use them (TRL's reward_funcs): scores for a batch of
 * (prompt, completion) texts, completions without the end-of-text token. Several combine with
 * weights (TRL's reward_weights) into one reward per completion; each is also logged on its own as
 * `rewards/<name>/mean` and `rewards/<name>/std`.
 *
 * A function may return NaN for a completion it cannot judge (TRL: None); the combined reward
 * ignores NaN terms (nansum), and a completion every function gave NaN to gets reward NaN.
 */
export interface RewardFunction {
  /** Short name used in metric keys: rewards/<name>/mean. Letters, digits, _ and - only. */
  readonly name: string;
  /** Rejects when the function fails, on any completion (user functions: the first failure, as a RewardFunctionError). */
  score(prompts: readonly string[], completions: readonly string[]): Promise<number[]>;
  /**
   * Functions that can fail on one completion (user-written JavaScript) report those failures
   * instead of throwing: a failed completion scores NaN ("cannot judge") and its failure is in
   * `failures`, in completion order. Rejects (with a RewardFunctionError) only when the whole
   * function fails: its source cannot be built, its sandbox cannot start.
   */
  scoreBatch?(prompts: readonly string[], completions: readonly string[]): Promise<ScoredBatch>;
  /** Frees what the function holds (a reward model's weights, a sandbox worker). */
  dispose?(): void;
}

/** One batch's scores [N] (NaN where the function failed or cannot judge) and the calls that failed. */
export interface ScoredBatch {
  scores: number[];
  failures: RewardFailure[];
}
