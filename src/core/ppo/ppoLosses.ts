/**
 * PPO's clipped losses on tensors, as TRL's PPOTrainer computes them inside a training step.
 * Every input is [B, T] (batch x response length); masks are float 1 on counted tokens, 0 on
 * padding. Call inside tf.tidy (or an optimizer.minimize closure); only the losses carry useful
 * gradients, the rest are metrics to log (TRL's policy/approxkl_avg, policy/clipfrac_avg,
 * val/clipfrac_avg, val/ratio, loss/policy_avg, loss/value_avg).
 */
import * as tf from '@tensorflow/tfjs';
import { maskedMeanTensor } from './maskedStats.ts';

export interface PolicyLossOutputs {
  /** masked_mean(max(-A * r, -A * clip(r, 1 - c, 1 + c))). */
  pg_loss: tf.Scalar;
  /** Fraction of counted tokens where the clipped branch won. */
  pg_clipfrac: tf.Scalar;
  /** 0.5 * mean((logprobs - old_logprobs)^2) over all B*T positions (padding contributes 0, as in TRL). */
  approxkl: tf.Scalar;
  /** mean(ratio) over all B*T positions (padding contributes 1, as in TRL's val/ratio). */
  ratio_mean: tf.Scalar;
}

/**
 * Clipped surrogate policy loss (Schulman et al. 2017), minimised:
 *   r = exp(logprobs - old_logprobs)                      (padding: difference forced to 0, r = 1)
 *   pg_losses  = -A * r
 *   pg_losses2 = -A * clip(r, 1 - cliprange, 1 + cliprange)
 *   pg_loss    = masked_mean(max(pg_losses, pg_losses2), mask)   (the pessimistic branch)
 *   pg_clipfrac = masked_mean(pg_losses2 > pg_losses, mask)
 */
export function policyLoss(logprobs: tf.Tensor2D, oldLogprobs: tf.Tensor2D, advantages: tf.Tensor2D, mask: tf.Tensor2D, cliprange: number): PolicyLossOutputs {
  const logprobsDiff = tf.mul(tf.sub(logprobs, oldLogprobs), mask);
  const ratio = tf.exp(logprobsDiff);
  const pgLosses = tf.neg(tf.mul(advantages, ratio));
  const pgLosses2 = tf.neg(tf.mul(advantages, tf.clipByValue(ratio, 1 - cliprange, 1 + cliprange)));
  return {
    pg_loss: maskedMeanTensor(tf.maximum(pgLosses, pgLosses2), mask),
    pg_clipfrac: maskedMeanTensor(tf.cast(tf.greater(pgLosses2, pgLosses), 'float32'), mask),
    approxkl: tf.mul(0.5, tf.mean(tf.square(logprobsDiff))) as tf.Scalar,
    ratio_mean: tf.mean(ratio) as tf.Scalar,
  };
}

export interface ValueLossOutputs {
  /** 0.5 * masked_mean(max((v - R)^2, (v_clipped - R)^2)). */
  vf_loss: tf.Scalar;
  /** Fraction of counted tokens where the clipped branch won. */
  vf_clipfrac: tf.Scalar;
}

/**
 * Clipped value loss:
 *   vpredclipped = clip(vpred, values - cliprange_value, values + cliprange_value)   (values: rollout-time)
 *   vf_losses1 = (vpred - returns)^2,  vf_losses2 = (vpredclipped - returns)^2
 *   vf_loss = 0.5 * masked_mean(max(vf_losses1, vf_losses2), mask)
 *   vf_clipfrac = masked_mean(vf_losses2 > vf_losses1, mask)
 */
export function valueLoss(vpred: tf.Tensor2D, values: tf.Tensor2D, returns: tf.Tensor2D, mask: tf.Tensor2D, cliprangeValue: number): ValueLossOutputs {
  const vpredClipped = tf.minimum(tf.maximum(vpred, tf.sub(values, cliprangeValue)), tf.add(values, cliprangeValue));
  const vfLosses1 = tf.square(tf.sub(vpred, returns));
  const vfLosses2 = tf.square(tf.sub(vpredClipped, returns));
  return {
    vf_loss: tf.mul(0.5, maskedMeanTensor(tf.maximum(vfLosses1, vfLosses2), mask)) as tf.Scalar,
    vf_clipfrac: maskedMeanTensor(tf.cast(tf.greater(vfLosses2, vfLosses1), 'float32'), mask),
  };
}

export interface PpoLossInputs {
  /** Current policy log-probabilities of the rollout's tokens [B, T] (carries the gradient). */
  logprobs: tf.Tensor2D;
  /** Rollout-time log-probabilities [B, T]. */
  old_logprobs: tf.Tensor2D;
  /** Whitened GAE advantages [B, T]. */
  advantages: tf.Tensor2D;
  /** Current value predictions [B, T] (carries the gradient). */
  vpred: tf.Tensor2D;
  /** Rollout-time value predictions [B, T]. */
  values: tf.Tensor2D;
  /** GAE returns [B, T]. */
  returns: tf.Tensor2D;
  /** Tokens counted by the policy loss [B, T]. */
  mask: tf.Tensor2D;
  /** Tokens counted by the value loss [B, T]; defaults to mask (TRL: padding_mask_p1's complement). */
  value_mask?: tf.Tensor2D;
}

export interface PpoLossOutputs extends PolicyLossOutputs, ValueLossOutputs {
  /** pg_loss + vf_coef * vf_loss. */
  loss: tf.Scalar;
}

/** TRL's PPO loss: loss = pg_loss + vf_coef * vf_loss, with every metric alongside. */
export function ppoLoss(x: PpoLossInputs, cfg: { cliprange: number; cliprange_value: number; vf_coef: number }): PpoLossOutputs {
  const pg = policyLoss(x.logprobs, x.old_logprobs, x.advantages, x.mask, cfg.cliprange);
  const vf = valueLoss(x.vpred, x.values, x.returns, x.value_mask ?? x.mask, cfg.cliprange_value);
  return { ...pg, ...vf, loss: tf.add(pg.pg_loss, tf.mul(cfg.vf_coef, vf.vf_loss)) as tf.Scalar };
}
