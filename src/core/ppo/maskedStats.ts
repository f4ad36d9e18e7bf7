/**
 * Masked statistics over a batch of responses, as TRL's masked_mean / masked_var / masked_whiten.
 * values and mask are [B, T] (batch x response length); mask is 1 on real response tokens and 0
 * on padding. Statistics are over the whole batch (all real tokens together), not per row.
 * Plain-array versions for the rollout phase (no gradients) and a tensor masked mean for losses.
 */
import * as tf from '@tensorflow/tfjs';

export type Matrix = number[][];

/** masked_mean = sum(values * mask) / sum(mask). NaN when the mask is empty (as TRL's 0/0). */
export function maskedMean(values: Matrix, mask: Matrix): number {
  let sum = 0;
  let count = 0;
  for (let b = 0; b < values.length; b++) {
    for (let t = 0; t < values[b].length; t++) {
      sum += values[b][t] * mask[b][t];
      count += mask[b][t];
    }
  }
  return sum / count;
}

/**
 * masked_var = masked_mean((values - mean)^2); with unbiased (the default, as TRL) times
 * n / (n - 1), n = sum(mask) (Bessel's correction). Throws when n is 0, or 1 with unbiased.
 */
export function maskedVar(values: Matrix, mask: Matrix, unbiased = true): number {
  const n = maskSum(mask);
  if (n === 0) throw new Error('maskedVar: the mask is empty');
  if (unbiased && n === 1) throw new Error('maskedVar: one unmasked value, unbiased variance divides by zero');
  const mean = maskedMean(values, mask);
  const variance = maskedMean(values.map((row) => row.map((v) => (v - mean) ** 2)), mask);
  return unbiased ? (variance * n) / (n - 1) : variance;
}

/**
 * masked_whiten = (values - mean) / sqrt(var + 1e-8), mean and unbiased var over the mask; with
 * shift_mean = false the mean is added back (only the scale changes: TRL's reward whitening).
 * Padding positions are transformed too; callers zero them (TRL's masked_fill).
 */
export function maskedWhiten(values: Matrix, mask: Matrix, shiftMean = true): Matrix {
  const mean = maskedMean(values, mask);
  const invStd = 1 / Math.sqrt(maskedVar(values, mask) + 1e-8);
  return values.map((row) => row.map((v) => (v - mean) * invStd + (shiftMean ? 0 : mean)));
}

/** Positions where mask is 0 set to 0 (TRL's torch.masked_fill(x, padding_mask, 0)). */
export function zeroPadding(values: Matrix, mask: Matrix): Matrix {
  return values.map((row, b) => row.map((v, t) => (mask[b][t] ? v : 0)));
}

function maskSum(mask: Matrix): number {
  let n = 0;
  for (const row of mask) for (const m of row) n += m;
  return n;
}

/** Tensor masked_mean: sum(values * mask) / sum(mask), both [B, T] -> scalar. Call inside tf.tidy. */
export function maskedMeanTensor(values: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  return tf.div(tf.sum(tf.mul(values, mask)), tf.sum(mask)) as tf.Scalar;
}
