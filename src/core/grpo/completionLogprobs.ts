/**
 * Per-token log-probabilities AND entropies [B, T] of completions, TRL's
 * _get_per_token_logps_and_entropies: one forward pass of prompt + completion laid out by PPO's
 * sequenceBatch (src/core/ppo/policyValue.ts), logits divided by temperature (+ 1e-7, as TRL).
 * The entropy is of the whole next-token distribution at each completion slot, -sum_v p log p.
 * Call inside tf.tidy.
 */
import * as tf from '@tensorflow/tfjs';
import type { GPT } from '../model/gpt.ts';
import { linear } from '../model/ops.ts';
import type { SequenceBatch } from '../ppo/policyValue.ts';

export function completionLogprobsAndEntropy(lm: GPT, batch: SequenceBatch, temperature: number): { logprobs: tf.Tensor2D; entropy: tf.Tensor2D } {
  const { rows: B, L, T } = batch;
  const hidden = lm.hidden(tf.tensor2d(batch.ids, [B, L], 'int32')); // [BL, D]
  const logits = tf.div(linear(hidden, lm.params.get('lm_head.weight') as unknown as tf.Tensor2D), temperature + 1e-7); // [BL, V]
  const V = logits.shape[1] as number;
  const logp = tf.logSoftmax(logits); // [BL, V]
  const picked = tf.sum(tf.mul(logp, tf.oneHot(tf.tensor1d(batch.targets, 'int32'), V)), 1); // [BL]
  const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), 1)); // [BL]
  // A one-hot selection [B, L, T] moves positions to completion slots (gather's gradient needs a kernel wasm lacks).
  const select = tf.tensor3d(batch.select, [B, L, T]);
  const toSlots = (perPosition: tf.Tensor) => tf.sum(tf.mul(tf.reshape(perPosition, [B, L, 1]), select), 1) as tf.Tensor2D; // [B, T]
  return { logprobs: toSlots(picked), entropy: toSlots(entropy) };
}
