/**
 * Per-token rewards for PPO, as TRL's PPOTrainer builds them from the reward model's score and
 * the KL penalty to the reference policy. All arrays are [B, T] (batch x response length) with a
 * mask of 1 on real response tokens (up to and including EOS) and 0 on padding; scores are [B].
 *
 *   non_score_reward[b, t] = -kl_coef * kl[b, t]              (kl from klEstimators.ts)
 *   rewards[b, t]          = non_score_reward[b, t] + (t == end[b] ? score[b] : 0)
 *
 * end[b] is the response's last real token: its EOS, or its last token when it ran to
 * response_length (sequence_lengths in TRL, = first padding index - 1). Padding gets 0 reward.
 *
 * TRL itself adds the score at sequence_lengths + 1 (the first padding slot, or the last token
 * when there is none) and keeps one extra value position (padding_mask_p1); this is discussed as
 * a bug in huggingface/trl#1893 and #3750. scorePlacement 'trl_first_pad' reproduces it.
 */
import type { KlEstimator } from './ppoConfig.ts';
import { maskedWhiten, zeroPadding, type Matrix } from './maskedStats.ts';
import { perTokenKl } from './klEstimators.ts';

export type ScorePlacement = 'last_token' | 'trl_first_pad';

/** Index of each row's last real token (TRL's sequence_lengths); -1 for an empty response. */
export function sequenceLengths(mask: Matrix): number[] {
  return mask.map((row) => row.lastIndexOf(1));
}

/** Whether each response [B, T] contains eosTokenId (TRL's contain_eos_token). */
export function containsEos(responses: number[][], eosTokenId: number): boolean[] {
  return responses.map((row) => row.includes(eosTokenId));
}

/** TRL's missing_eos_penalty: score - penalty for responses without EOS; null leaves scores alone. */
export function applyMissingEosPenalty(scores: number[], containEos: boolean[], missingEosPenalty: number | null): number[] {
  if (missingEosPenalty === null) return scores.slice();
  return scores.map((s, b) => (containEos[b] ? s : s - missingEosPenalty));
}

export interface RewardInputs {
  /** Policy log-probabilities of the sampled tokens at rollout time [B, T]. */
  logprobs: Matrix;
  /** Reference policy log-probabilities of the same tokens [B, T]. */
  ref_logprobs: Matrix;
  /** Reward-model scores, missing_eos_penalty already applied [B]. */
  scores: number[];
  /** 1 on real response tokens, 0 on padding [B, T]. */
  mask: Matrix;
  kl_coef: number;
  kl_estimator: KlEstimator;
  scorePlacement?: ScorePlacement;
}

export interface RewardOutputs {
  /** Per-token KL estimate [B, T] (0 on padding); objective/kl = mean over rows of kl.sum(1). */
  kl: Matrix;
  /** -kl_coef * kl [B, T]. */
  non_score_reward: Matrix;
  /** non_score_reward plus the score on each row's last token [B, T]. */
  rewards: Matrix;
}

export function computeRewards(inputs: RewardInputs): RewardOutputs {
  const { logprobs, ref_logprobs, scores, mask, kl_coef, kl_estimator } = inputs;
  const kl = perTokenKl(logprobs, ref_logprobs, mask, kl_estimator);
  const nonScore = kl.map((row) => row.map((k) => (k === 0 ? 0 : -kl_coef * k)));
  const rewards = nonScore.map((row) => row.slice());
  const lengths = sequenceLengths(mask);
  for (let b = 0; b < rewards.length; b++) {
    rewards[b][scoreIndex(lengths[b], rewards[b].length, inputs.scorePlacement ?? 'last_token')] += scores[b];
  }
  return { kl, non_score_reward: nonScore, rewards };
}

/** Where the score lands for a response whose last real token is at sequenceLength, in T slots. */
export function scoreIndex(sequenceLength: number, T: number, placement: ScorePlacement): number {
  if (placement === 'trl_first_pad' && sequenceLength + 1 < T) return sequenceLength + 1;
  return Math.max(sequenceLength, 0);
}

/** TRL's whiten_rewards: rescale by the masked std, keeping the mean (shift_mean=false), padding 0. */
export function whitenRewards(rewards: Matrix, mask: Matrix): Matrix {
  return zeroPadding(maskedWhiten(rewards, mask, false), mask);
}
