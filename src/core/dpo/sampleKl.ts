/**
 * How far the policy has moved from the reference, measured on the policy's own fresh samples:
 * the mean over samples of the sum over completion tokens of (log pi - log pi_ref), the k1
 * estimator PPO logs as objective/kl (ppoTrainer.ts), at the same sampling temperature (logits
 * divided by it, as TRL). Logged by DPO and KTO runs so their points sit on the same KL axis as
 * PPO's in the KL-reward frontier (Rafailov et al. 2023, Figure 2).
 */
import * as tf from '@tensorflow/tfjs';
import type { GPT } from '../model/gpt.ts';
import { responseLogprobs, sequenceBatch } from '../ppo/policyValue.ts';

/** Rows per forward pass: two models' [rows * L, V] logits stay small. */
const CHUNK = 16;

/**
 * Mean sequence KL (nats) of `completions` (token ids, end-of-text kept where sampling stopped on
 * it) after `prompts`; 0 when there are none. One read per chunk, no dataSync.
 */
export async function sampledSequenceKl(policy: GPT, reference: GPT, prompts: readonly number[][], completions: readonly number[][], temperature: number, padId: number): Promise<number> {
  let total = 0;
  let count = 0;
  for (let start = 0; start < prompts.length; start += CHUNK) {
    const rowPrompts = prompts.slice(start, start + CHUNK);
    const rows = completions.slice(start, start + CHUNK);
    const T = Math.max(1, ...rows.map((r) => r.length));
    const batch = sequenceBatch(rowPrompts, rows, T, padId);
    // Empty slots of a shorter completion select no position, so both log-probs are 0 there.
    const perRow = tf.tidy(() => tf.sum(tf.sub(responseLogprobs(policy, batch, temperature).logprobs, responseLogprobs(reference, batch, temperature).logprobs), 1)); // [rows]
    const sums = await perRow.data();
    perRow.dispose();
    for (const s of sums) total += s;
    count += rows.length;
  }
  return count ? total / count : 0;
}
