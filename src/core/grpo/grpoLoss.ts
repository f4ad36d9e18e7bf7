/**
 * The policy losses of GRPO and RLOO, as TRL's GRPOTrainer._compute_loss and
 * RLOOTrainer._compute_loss (commit 13b4eb95, TRL v0.24-v0.25). Call inside tf.tidy (or an
 * optimizer step's loss closure); every output is a tensor the caller keeps or lets tidy free.
 *
 * GRPO, per completion token (token-level importance sampling):
 *   ratio  = exp(logp - old_logp)            old_logp = logp detached when num_iterations = 1
 *   loss_t = -min(ratio * A, clip(ratio, 1 - epsilon, 1 + epsilon_high) * A) + beta * kl_t
 *   kl_t   = exp(ref - logp) - (ref - logp) - 1      (k3, >= 0; only when beta != 0)
 * then reduced by loss_type over the completion mask (already zero for truncated completions
 * when mask_truncated_completions is on):
 *   grpo    mean over each completion's tokens, then mean over completions
 *   bnpo    sum over all tokens / number of tokens in this batch
 *   dr_grpo sum over all tokens / (completions * max_completion_length)
 *   dapo    sum over all tokens / num_items_in_batch (tokens in the whole generation batch)
 *
 * RLOO, per completion (sequence-level): ratio = exp(sum logp - sum old_logp), the same clipped
 * surrogate on the sequence's advantage, mean over completions; its KL is in the reward instead.
 */
import * as tf from '@tensorflow/tfjs';

/** x with no gradient flowing back (torch's .detach(); tfjs has no stopGradient op). */
const detach = tf.customGrad(((x: tf.Tensor) => ({ value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor;

export type GrpoLossType = 'grpo' | 'bnpo' | 'dr_grpo' | 'dapo';

export interface ClipSettings {
  epsilon: number;
  /** Upper clip; TRL: None means epsilon. */
  epsilon_high: number;
}

export interface GrpoLossInputs {
  /** [B, T] log-probabilities of the completion tokens under the policy being trained (with gradients). */
  logprobs: tf.Tensor2D;
  /** [B, T] the same at sampling time; null when on-policy (num_iterations 1): then logprobs, detached. */
  old_logprobs: tf.Tensor2D | null;
  /** [B, T] under the frozen reference; needed only when beta != 0. */
  ref_logprobs: tf.Tensor2D | null;
  /** [B] one advantage per completion. */
  advantages: tf.Tensor1D;
  /** [B, T] 1 on completion tokens (up to and including end-of-text), 0 on padding and on masked truncated completions. */
  mask: tf.Tensor2D;
}

export interface GrpoLossSettings extends ClipSettings {
  beta: number;
  loss_type: GrpoLossType;
  max_completion_length: number;
  /** dapo's normaliser: completion tokens in the whole generation batch (TRL's num_items_in_batch). */
  num_items_in_batch: number;
}

export interface PolicyLossOutputs {
  loss: tf.Scalar;
  /** Masked batch mean of the per-token k3 KL (TRL logs it only when beta != 0); 0 otherwise. */
  kl: tf.Scalar;
  /** Share of tokens (RLOO: completions) whose ratio fell below 1 - epsilon with A < 0, above 1 + epsilon_high with A > 0, either. */
  clip_low: tf.Scalar;
  clip_high: tf.Scalar;
  clip_region: tf.Scalar;
}

/** Clipped surrogate -min(ratio * A, clip(ratio) * A) and the clipping indicators, any matching shapes. */
function clippedSurrogate(ratio: tf.Tensor, advantages: tf.Tensor, clip: ClipSettings) {
  const clipped = tf.clipByValue(ratio, 1 - clip.epsilon, 1 + clip.epsilon_high);
  const loss = tf.neg(tf.minimum(tf.mul(ratio, advantages), tf.mul(clipped, advantages)));
  const low = tf.cast(tf.logicalAnd(tf.less(ratio, 1 - clip.epsilon), tf.less(advantages, 0)), 'float32');
  const high = tf.cast(tf.logicalAnd(tf.greater(ratio, 1 + clip.epsilon_high), tf.greater(advantages, 0)), 'float32');
  return { loss, low, high, region: tf.maximum(low, high) };
}

export function grpoLoss(x: GrpoLossInputs, s: GrpoLossSettings): PolicyLossOutputs {
  const [B] = x.logprobs.shape;
  const old = x.old_logprobs ?? detach(x.logprobs);
  const ratio = tf.exp(tf.sub(x.logprobs, old)); // [B, T]
  const A = tf.reshape(x.advantages, [B, 1]); // broadcast over tokens
  const surrogate = clippedSurrogate(ratio, A, s);
  let perToken: tf.Tensor = surrogate.loss; // [B, T]
  let klPerToken: tf.Tensor | null = null;
  if (s.beta !== 0) {
    if (!x.ref_logprobs) throw new Error('grpoLoss: beta != 0 needs ref_logprobs');
    const d = tf.sub(x.ref_logprobs, x.logprobs);
    klPerToken = tf.sub(tf.sub(tf.exp(d), d), 1);
    perToken = tf.add(perToken, tf.mul(klPerToken, s.beta));
  }
  const masked = tf.mul(perToken, x.mask);
  const tokens = tf.maximum(tf.sum(x.mask), 1); // clamp(min=1)
  let loss: tf.Scalar;
  if (s.loss_type === 'grpo') loss = tf.mean(tf.div(tf.sum(masked, 1), tf.maximum(tf.sum(x.mask, 1), 1)));
  else if (s.loss_type === 'bnpo') loss = tf.div(tf.sum(masked), tokens);
  else if (s.loss_type === 'dr_grpo') loss = tf.div(tf.sum(masked), B * s.max_completion_length);
  else loss = tf.div(tf.sum(masked), s.num_items_in_batch);
  const maskedMean = (t: tf.Tensor) => tf.div(tf.sum(tf.mul(t, x.mask)), tokens) as tf.Scalar;
  return {
    loss,
    kl: klPerToken ? maskedMean(klPerToken) : tf.scalar(0),
    clip_low: maskedMean(surrogate.low),
    clip_high: maskedMean(surrogate.high),
    clip_region: maskedMean(surrogate.region),
  };
}

export interface RlooLossInputs {
  /** [B, T] policy log-probabilities (with gradients). */
  logprobs: tf.Tensor2D;
  /** [B] each completion's summed log-probability at sampling time (TRL's old_logps). */
  old_logps: tf.Tensor1D;
  /** [B] */
  advantages: tf.Tensor1D;
  /** [B, T] */
  mask: tf.Tensor2D;
}

export function rlooLoss(x: RlooLossInputs, clip: ClipSettings): PolicyLossOutputs {
  const logps = tf.sum(tf.mul(x.logprobs, x.mask), 1); // [B]
  const ratio = tf.exp(tf.sub(logps, x.old_logps)); // [B]
  const surrogate = clippedSurrogate(ratio, x.advantages, clip);
  return {
    loss: tf.mean(surrogate.loss),
    kl: tf.scalar(0),
    clip_low: tf.mean(surrogate.low),
    clip_high: tf.mean(surrogate.high),
    clip_region: tf.mean(surrogate.region),
  };
}

/** Masked mean [scalar] of per-token entropies [B, T] (TRL's `entropy` metric). */
export function maskedTokenMean(values: tf.Tensor2D, mask: tf.Tensor2D): tf.Scalar {
  return tf.div(tf.sum(tf.mul(values, mask)), tf.maximum(tf.sum(mask), 1));
}
