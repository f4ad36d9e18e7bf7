/**
 * Choosing the next token from a row of logits: temperature, then top-k, then top-p (nucleus),
 * as Hugging Face's generate applies its warpers. Plain arrays: the row is read once per token.
 */
import type { Rng } from '../rng.ts';
import type { SamplingConfig } from '../train/pretrainConfig.ts';

/** The probability of each token after the warpers (zeros where filtered out). */
export function warpedProbabilities(logits: ArrayLike<number>, s: Pick<SamplingConfig, 'temperature' | 'top_k' | 'top_p'>): Float64Array {
  const V = logits.length;
  const probs = new Float64Array(V);
  if (s.temperature <= 0) {
    // Temperature 0 means greedy decoding.
    let best = 0;
    for (let i = 1; i < V; i++) if (logits[i] > logits[best]) best = i;
    probs[best] = 1;
    return probs;
  }
  let max = -Infinity;
  for (let i = 0; i < V; i++) max = Math.max(max, logits[i] / s.temperature);
  let sum = 0;
  for (let i = 0; i < V; i++) {
    probs[i] = Math.exp(logits[i] / s.temperature - max);
    sum += probs[i];
  }
  for (let i = 0; i < V; i++) probs[i] /= sum;
  // No filter asked for: skip the sort, as Hugging Face skips these warpers (PPO samples like this,
  // one row per token of every rollout, and the sort cost more than the model's decoding step).
  if ((s.top_k <= 0 || s.top_k >= V) && s.top_p >= 1) return probs;

  const order = [...Array(V).keys()].sort((a, b) => probs[b] - probs[a]);
  const keep = s.top_k > 0 ? Math.min(s.top_k, V) : V;
  let cumulative = 0;
  let kept = 0;
  for (let r = 0; r < V; r++) {
    const i = order[r];
    // Keep the smallest prefix whose mass reaches top_p (always at least one token).
    if (r >= keep || (kept > 0 && cumulative >= s.top_p)) probs[i] = 0;
    else {
      cumulative += probs[i];
      kept++;
    }
  }
  let total = 0;
  for (let i = 0; i < V; i++) total += probs[i];
  for (let i = 0; i < V; i++) probs[i] /= total;
  return probs;
}

export function sampleToken(logits: ArrayLike<number>, s: SamplingConfig, rng: Rng): number {
  const probs = warpedProbabilities(logits, s);
  let u = rng.next();
  for (let i = 0; i < probs.length; i++) {
    u -= probs[i];
    if (u < 0) return i;
  }
  for (let i = probs.length - 1; i >= 0; i--) if (probs[i] > 0) return i;
  return 0;
}
