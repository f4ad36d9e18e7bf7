/**
 * The reward model's loss and metrics, as TRL's RewardTrainer defines them.
 *
 * Bradley-Terry: P(chosen preferred) = sigmoid(r_chosen - r_rejected), so the negative
 * log-likelihood of the labels is
 *   loss = -logsigmoid(r_chosen - r_rejected - margin).mean()
 * (the margin, when the labeler gave one, asks for at least that gap), plus, when
 * center_rewards_coefficient is set, coefficient * mean((r_chosen + r_rejected)^2), which pulls
 * rewards toward mean zero (Eisenstein et al. 2023) since the loss alone only fixes differences.
 */
import * as tf from '@tensorflow/tfjs';

/** r_chosen [B], r_rejected [B], margin [B] or null -> scalar. Call inside tf.tidy. */
export function rewardLoss(rChosen: tf.Tensor1D, rRejected: tf.Tensor1D, margin: tf.Tensor1D | null, centerRewardsCoefficient: number | null): tf.Scalar {
  const diff = margin ? tf.sub(tf.sub(rChosen, rRejected), margin) : tf.sub(rChosen, rRejected);
  let loss = tf.neg(tf.mean(logSigmoid(diff))) as tf.Scalar;
  if (centerRewardsCoefficient) loss = tf.add(loss, tf.mul(centerRewardsCoefficient, tf.mean(tf.square(tf.add(rChosen, rRejected))))) as tf.Scalar;
  return loss;
}

/**
 * log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|)): never exp of a large positive number, so
 * neither a very confident right answer (x >> 0) nor a very wrong one (x << 0) overflows.
 */
export function logSigmoid(x: tf.Tensor): tf.Tensor {
  return tf.sub(tf.minimum(x, 0), tf.log(tf.add(1, tf.exp(tf.neg(tf.abs(x))))));
}

/** TRL's reward logs for one batch (or one held-out set) of rewards. */
export interface RewardMetrics {
  /** Fraction of pairs with r_chosen > r_rejected (a tie counts as wrong, as in TRL). */
  accuracy: number;
  /** mean(r_chosen - r_rejected). */
  margin: number;
  /** Over all rewards, chosen and rejected together. */
  mean_reward: number;
  min_reward: number;
  max_reward: number;
}

export function rewardMetrics(chosen: ArrayLike<number>, rejected: ArrayLike<number>): RewardMetrics {
  const n = chosen.length;
  let right = 0;
  let gap = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    if (chosen[i] > rejected[i]) right++;
    gap += chosen[i] - rejected[i];
    sum += chosen[i] + rejected[i];
    min = Math.min(min, chosen[i], rejected[i]);
    max = Math.max(max, chosen[i], rejected[i]);
  }
  return { accuracy: right / n, margin: gap / n, mean_reward: sum / (2 * n), min_reward: min, max_reward: max };
}

/** The plain-number loss (held-out sets are scored without gradients). */
export function rewardLossValue(chosen: ArrayLike<number>, rejected: ArrayLike<number>, margins: ArrayLike<number> | null, centerRewardsCoefficient: number | null): number {
  const n = chosen.length;
  let nll = 0;
  let center = 0;
  for (let i = 0; i < n; i++) {
    const x = chosen[i] - rejected[i] - (margins ? margins[i] : 0);
    nll -= Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x)));
    center += (chosen[i] + rejected[i]) ** 2;
  }
  return nll / n + (centerRewardsCoefficient ? (centerRewardsCoefficient * center) / n : 0);
}

/** Averages per-step metric rows over a logging window, as TRL averages its metrics at log time. */
export function averageRows<K extends string>(rows: readonly Record<K, number>[]): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const key of Object.keys(rows[0] ?? {}) as K[]) out[key] = rows.reduce((s, r) => s + r[key], 0) / rows.length;
  return out;
}
