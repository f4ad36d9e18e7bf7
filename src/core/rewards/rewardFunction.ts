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
  score(prompts: readonly string[], completions: readonly string[]): Promise<number[]>;
  /** Frees what the function holds (a reward model's weights, a sandbox worker). */
  dispose?(): void;
}
