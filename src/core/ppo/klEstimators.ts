/**
 * Per-token estimators of KL(policy || reference) from the sampled token's log-probabilities
 * (Schulman, "Approximating KL Divergence", http://joschu.net/blog/kl-approx.html), as TRL's
 * PPOTrainer uses them for the KL penalty. With logr = ref_logprob - logprob:
 *   k1 = -logr = logprob - ref_logprob              unbiased; negative on some tokens
 *   k3 = (exp(logr) - 1) - logr                      unbiased, >= 0 (since e^x >= 1 + x), lower variance
 */
import type { KlEstimator } from './ppoConfig.ts';
import type { Matrix } from './maskedStats.ts';

export function klK1(logprob: number, refLogprob: number): number {
  return logprob - refLogprob;
}

export function klK3(logprob: number, refLogprob: number): number {
  const logr = refLogprob - logprob;
  return Math.expm1(logr) - logr;
}

/** logprobs, ref_logprobs [B, T] -> kl [B, T], 0 where mask is 0 (padding). */
export function perTokenKl(logprobs: Matrix, refLogprobs: Matrix, mask: Matrix, estimator: KlEstimator): Matrix {
  const k = estimator === 'k1' ? klK1 : klK3;
  return logprobs.map((row, b) => row.map((lp, t) => (mask[b][t] ? k(lp, refLogprobs[b][t]) : 0)));
}
