/**
 * Rewards to advantages for the group-relative methods, exactly as Hugging Face TRL computes them
 * (followed: trl/trainer/grpo_trainer.py and rloo_trainer.py `_generate_and_score_completions` at
 * commit 13b4eb95 on main, TRL v0.24-v0.25). Plain arrays: a batch is a few dozen numbers, and the
 * run needs them on the CPU anyway to log and show them.
 *
 * Rewards are laid out [prompts * num_generations], the completions of one prompt next to each
 * other (TRL's repeat_interleave order). torch's std is the sample std (divides by n - 1).
 *
 * Not TRL's: a reward of NaN means no reward function judged that completion (each failed on it
 * or returned "cannot judge"). TRL's nansum would score it 0 and train on that 0 as if it were a
 * verdict, pushing the completion up or down by where 0 falls in its group. Here it is left out:
 * advantage 0, no part in its group's mean and std (nor in RLOO's baseline), and its loss-mask row
 * is zeroed (withoutUnjudged), because a failure of the reward code must not teach the model
 * anything. A group with fewer than 2 judged completions has nothing to compare: advantages 0 and
 * std 0. With every completion judged, all of this is TRL's computation unchanged.
 */

export type ScaleRewards = 'group' | 'batch' | 'none';

/** torch.isclose(std, 0) with its default atol 1e-8, rtol 1e-5: |std| <= 1e-8. */
const isCloseToZero = (x: number) => Math.abs(x) <= 1e-8;

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
export const mean = (xs: readonly number[]) => sum(xs) / xs.length;

/** torch.std (Bessel-corrected); NaN for fewer than 2 values, as torch. */
export function sampleStd(xs: readonly number[]): number {
  const m = mean(xs);
  return Math.sqrt(sum(xs.map((x) => (x - m) ** 2)) / (xs.length - 1));
}

/** TRL's nanmean: the mean of the non-NaN values (NaN when there are none). */
export function nanMean(xs: readonly number[]): number {
  const kept = xs.filter((x) => !Number.isNaN(x));
  return kept.length ? mean(kept) : NaN;
}

/** TRL's nanstd: the sample std of the non-NaN values. */
export function nanStd(xs: readonly number[]): number {
  return sampleStd(xs.filter((x) => !Number.isNaN(x)));
}

/**
 * One reward per completion from each function's scores [F][N] and reward_weights [F]: TRL's
 * (rewards_per_func * weights).nansum(dim=1), so a function's NaN ("cannot judge") drops out. Where
 * EVERY function gave NaN the result is NaN (torch's nansum would give 0): an unjudged completion,
 * left out of learning (see the top of this file).
 */
export function combineRewards(perFunction: readonly (readonly number[])[], weights: readonly number[]): number[] {
  const n = perFunction[0]?.length ?? 0;
  return Array.from({ length: n }, (_, i) => {
    let total = 0;
    let judged = false;
    perFunction.forEach((scores, f) => {
      if (Number.isNaN(scores[i])) return;
      total += scores[i] * weights[f];
      judged = true;
    });
    return judged ? total : NaN;
  });
}

export interface GroupAdvantages {
  /** [N] one advantage per completion (0 for an unjudged one). */
  advantages: number[];
  /** [N / G] each group's mean judged reward (NaN: none judged). */
  mean_grouped_rewards: number[];
  /** [N] the std each advantage was (or, for 'none', would have been) divided by. */
  std_rewards: number[];
  /** TRL's metrics over the judged completions: mean of the group means, mean of std_rewards, share of std_rewards that is 0. */
  reward: number;
  reward_std: number;
  frac_reward_zero_std: number;
}

const judged = (r: number) => !Number.isNaN(r);

/** The mean of f(i) over the indices i that `keep` holds; NaN when it holds none. */
function meanWhere(keep: readonly boolean[], f: (i: number) => number): number {
  const values = keep.flatMap((k, i) => (k ? [f(i)] : []));
  return values.length ? mean(values) : NaN;
}

/** [N / G] the judged rewards of each group of G. */
function judgedGroups(rewards: readonly number[], G: number): number[][] {
  return Array.from({ length: rewards.length / G }, (_, g) => rewards.slice(g * G, (g + 1) * G).filter(judged));
}

/** The sample std of judged rewards, 0 for fewer than 2 (nothing to compare). */
const spread = (xs: readonly number[]) => (xs.length >= 2 ? sampleStd(xs) : 0);

/**
 * GRPO: advantage = reward - its group's mean; with scale_rewards 'group' divided by the group's
 * std + 1e-4, with 'batch' by the whole batch's std + 1e-4, with 'none' not divided (Dr. GRPO).
 * A group whose completions all scored the same gets advantages 0: nothing to learn from it.
 * Means and stds are over the judged (non-NaN) rewards only.
 */
export function grpoAdvantages(rewards: readonly number[], numGenerations: number, scaleRewards: ScaleRewards): GroupAdvantages {
  const G = numGenerations;
  const group = (i: number) => Math.floor(i / G);
  const groups = judgedGroups(rewards, G);
  const groupMeans = groups.map((g) => (g.length ? mean(g) : NaN));
  const groupStds = groups.map(spread);
  const batchStd = spread(rewards.filter(judged));
  const isJudged = rewards.map(judged);
  // 'none' still reports the group std, as TRL logs it.
  const std_rewards = rewards.map((_, i) => (scaleRewards === 'batch' ? batchStd : groupStds[group(i)]));
  const advantages = rewards.map((r, i) => {
    if (!isJudged[i] || groups[group(i)].length < 2) return 0;
    const centred = r - groupMeans[group(i)];
    return scaleRewards === 'none' ? centred : centred / (std_rewards[i] + 1e-4);
  });
  return {
    advantages,
    mean_grouped_rewards: groupMeans,
    std_rewards,
    // TRL averages these per completion; here over the judged completions.
    reward: meanWhere(isJudged, (i) => groupMeans[group(i)]),
    reward_std: meanWhere(isJudged, (i) => std_rewards[i]),
    frac_reward_zero_std: meanWhere(isJudged, (i) => (isCloseToZero(std_rewards[i]) ? 1 : 0)),
  };
}

/**
 * RLOO: advantage = reward - the mean of the OTHER judged rewards of its group (leave-one-out
 * baseline, (group sum - reward) / (k - 1) for k judged, k = G when all are); with
 * normalize_advantages, then standardised over the batch's judged completions ((a - mean) / (std + 1e-4)).
 * TRL logs the group std here too (one per group, not per completion).
 * `rewards` already include RLOO's KL penalty (rlooKlPenalisedRewards) when beta > 0.
 */
export function rlooAdvantages(rewards: readonly number[], numGenerations: number, normalizeAdvantages: boolean): GroupAdvantages {
  const G = numGenerations;
  const group = (i: number) => Math.floor(i / G);
  const groups = judgedGroups(rewards, G);
  const groupSums = groups.map(sum);
  const groupStds = groups.map(spread);
  // Judged, in a group with someone to compare with: the completions that get an advantage.
  const learns = rewards.map((r, i) => judged(r) && groups[group(i)].length >= 2);
  let advantages = rewards.map((r, i) => (learns[i] ? r - (groupSums[group(i)] - r) / (groups[group(i)].length - 1) : 0));
  if (normalizeAdvantages && learns.some(Boolean)) {
    const kept = advantages.filter((_, i) => learns[i]);
    const m = mean(kept);
    const s = sampleStd(kept);
    advantages = advantages.map((a, i) => (learns[i] ? (a - m) / (s + 1e-4) : 0));
  }
  const groupMeans = groups.map((g) => (g.length ? mean(g) : NaN));
  const anyJudged = groups.map((g) => g.length > 0);
  return {
    advantages,
    mean_grouped_rewards: groupMeans,
    std_rewards: groupStds,
    reward: meanWhere(anyJudged, (g) => groupMeans[g]),
    reward_std: meanWhere(anyJudged, (g) => groupStds[g]),
    frac_reward_zero_std: meanWhere(anyJudged, (g) => (isCloseToZero(groupStds[g]) ? 1 : 0)),
  };
}

/** The loss mask [N][T] with the rows of unjudged completions (reward NaN) zeroed: they add nothing to the loss or its token count. */
export function withoutUnjudged(mask: readonly (readonly number[])[], rewards: readonly number[]): number[][] {
  return mask.map((row, i) => (judged(rewards[i]) ? [...row] : row.map(() => 0)));
}

/**
 * RLOO puts its KL penalty into the reward, not the loss: reward - beta * sum over the completion's
 * tokens of (old_logp - ref_logp) (k1, per sequence), with old_logp the policy's at sampling time.
 * `logprobs`, `refLogprobs`, `mask` are [N][T]. Returns the penalised rewards and each completion's KL [N].
 */
export function rlooKlPenalisedRewards(rewards: readonly number[], logprobs: readonly (readonly number[])[], refLogprobs: readonly (readonly number[])[], mask: readonly (readonly number[])[], beta: number): { rewards: number[]; kl: number[] } {
  const kl = rewards.map((_, i) => sum(logprobs[i].map((lp, t) => (lp - refLogprobs[i][t]) * mask[i][t])));
  return { rewards: rewards.map((r, i) => r - beta * kl[i]), kl };
}
