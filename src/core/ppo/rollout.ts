/**
 * Batched sampling of PPO responses: every row of the batch advances one token per forward pass.
 * Rows are right-padded (each keeps its own positions; attention is causal, so the padding after a
 * row's last token cannot change its next-token logits), and each row's logits are read at its own
 * last position. A row stops at end-of-text (kept as its last token, TRL's stop_token) or after
 * response_length tokens; sampling ends when every row has stopped.
 */
import * as tf from '@tensorflow/tfjs';
import type { GPT } from '../model/gpt.ts';
import { sampleToken } from '../model/sampling.ts';
import type { Rng } from '../rng.ts';

export async function sampleResponses(lm: GPT, prompts: readonly number[][], responseLength: number, temperature: number, eosId: number, rng: Rng): Promise<number[][]> {
  const B = prompts.length;
  const seqs = prompts.map((p) => [...p]);
  const responses: number[][] = prompts.map(() => []);
  const done = new Array<boolean>(B).fill(false);
  const sampling = { temperature, top_k: 0, top_p: 1, max_new_tokens: responseLength };
  for (let n = 0; n < responseLength && done.includes(false); n++) {
    const L = Math.max(...seqs.map((s) => s.length));
    const ids = new Int32Array(B * L).fill(eosId);
    const last = new Int32Array(B);
    seqs.forEach((s, b) => {
      ids.set(s, b * L);
      last[b] = b * L + s.length - 1;
    });
    const rowsLogits = tf.tidy(() => tf.gather(lm.forward(tf.tensor2d(ids, [B, L], 'int32')), tf.tensor1d(last, 'int32'))); // [B, V]
    const flat = await rowsLogits.data();
    rowsLogits.dispose();
    const V = flat.length / B;
    for (let b = 0; b < B; b++) {
      if (done[b]) continue;
      const next = sampleToken(flat.subarray(b * V, (b + 1) * V), sampling, rng);
      responses[b].push(next);
      seqs[b].push(next);
      if (next === eosId) done[b] = true;
    }
  }
  return responses;
}
