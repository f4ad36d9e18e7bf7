/**
 * Rewards to advantages for the group-relative methods, exactly as Hugging Face TRL computes them
 * (followed: trl/trainer/grpo_trainer.py and rloo_trainer.py `_generate_and_score_completions` at
 * commit 13b4eb95 on main, TRL v0.24-v0.25). Plain arrays: a batch is a few dozen numbers, and the
 * run needs them on the CPU anyway to log and show them.
 *
 * Rewards are laid out [prompts * num_generations], the completions of one prompt next to each
 * other (TRL's repeat_interleave order). torch's std is the sample std (divides by n - 1).
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
 * EVERY function gave NaN the result is NaN (torch's nansum would give 0; the RewardFunction
 * contract makes an unjudged completion visible instead of silently scoring it 0).
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
  /** [N] one advantage per completion. */
  advantages: number[];
  /** [N / G] each group's mean reward. */
  mean_grouped_rewards: number[];
  /** [N] the std each advantage was (or, for 'none', would have been) divided by. */
  std_rewards: number[];
  /** TRL's metrics: mean of the group means, mean of std_rewards, share of std_rewards that is 0. */
  reward: number;
  reward_std: number;
  frac_reward_zero_std: number;
}

/**
 * GRPO: advantage = reward - its group's mean; with scale_rewards 'group' divided by the group's
 * std + 1e-4, with 'batch' by the whole batch's std + 1e-4, with 'none' not divided (Dr. GRPO).
 * A group whose completions all scored the same gets advantages 0: nothing to learn from it.
 */
export function grpoAdvantages(rewards: readonly number[], numGenerations: number, scaleRewards: ScaleRewards): GroupAdvantages {
  const G = numGenerations;
  const groups = Array.from({ length: rewards.length / G }, (_, g) => rewards.slice(g * G, (g + 1) * G));
  const groupMeans = groups.map(mean);
  const groupStds = groups.map(sampleStd);
  const batchStd = sampleStd(rewards);
  // 'none' still reports the group std, as TRL logs it.
  const std_rewards = rewards.map((_, i) => (scaleRewards === 'batch' ? batchStd : groupStds[Math.floor(i / G)]));
  const advantages = rewards.map((r, i) => {
    const centred = r - groupMeans[Math.floor(i / G)];
    return scaleRewards === 'none' ? centred : centred / (std_rewards[i] + 1e-4);
  });
  return {
    advantages,
    mean_grouped_rewards: groupMeans,
    std_rewards,
    reward: mean(groupMeans),
    reward_std: mean(std_rewards),
    frac_reward_zero_std: mean(std_rewards.map((s) => (isCloseToZero(s) ? 1 : 0))),
  };
}

/**
 * RLOO: advantage = reward - the mean of the OTHER G-1 rewards of its group (leave-one-out
 * baseline, (group sum - reward) / (G - 1)); with normalize_advantages, then standardised over the
 * whole batch ((a - mean) / (std + 1e-4)). TRL logs the group std here too (one per group, not per completion).
 * `rewards` already include RLOO's KL penalty (rlooKlPenalisedRewards) when beta > 0.
 */
export function rlooAdvantages(rewards: readonly number[], numGenerations: number, normalizeAdvantages: boolean): GroupAdvantages {
  const G = numGenerations;
  const groups = Array.from({ length: rewards.length / G }, (_, g) => rewards.slice(g * G, (g + 1) * G));
  const groupSums = groups.map(sum);
  const groupStds = groups.map((g) => (G > 1 ? sampleStd(g) : 0));
  let advantages = rewards.map((r, i) => (G > 1 ? r - (groupSums[Math.floor(i / G)] - r) / (G - 1) : 0));
  if (normalizeAdvantages) {
    const m = mean(advantages);
    const s = sampleStd(advantages);
    advantages = advantages.map((a) => (a - m) / (s + 1e-4));
  }
  const groupMeans = groups.map(mean);
  return {
    advantages,
    mean_grouped_rewards: groupMeans,
    std_rewards: groupStds,
    reward: mean(groupMeans),
    reward_std: mean(groupStds),
    frac_reward_zero_std: mean(groupStds.map((s) => (isCloseToZero(s) ? 1 : 0))),
  };
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
