/**
 * Batched sampling of PPO responses. The prompts run through the policy once, then every row
 * advances one token per step on a KV cache (model/kvCache.ts): each step attends over the kept
 * keys and values instead of recomputing the whole growing batch. Rows are prompts of different
 * lengths; each row's next token depends only on its own tokens, at its own positions. A row stops
 * at end-of-text (kept as its last token, TRL's stop_token) or after response_length tokens;
 * sampling ends when every row has stopped.
 */
import type * as tf from '@tensorflow/tfjs';
import type { GPT } from '../model/gpt.ts';
import { KVCache } from '../model/kvCache.ts';
import { sampleToken } from '../model/sampling.ts';
import type { Rng } from '../rng.ts';

export async function sampleResponses(lm: GPT, prompts: readonly number[][], responseLength: number, temperature: number, eosId: number, rng: Rng): Promise<number[][]> {
  const B = prompts.length;
  const responses: number[][] = prompts.map(() => []);
  const done = new Array<boolean>(B).fill(false);
  const sampling = { temperature, top_k: 0, top_p: 1, max_new_tokens: responseLength };
  const start = KVCache.prefill(lm, prompts, eosId);
  const cache = start.cache;
  let logits: tf.Tensor2D = start.logits; // [B, V]: each row's next-token logits
  try {
    for (let n = 0; n < responseLength; n++) {
      const flat = await logits.data();
      logits.dispose();
      const V = flat.length / B;
      for (let b = 0; b < B; b++) {
        if (done[b]) continue;
        const next = sampleToken(flat.subarray(b * V, (b + 1) * V), sampling, rng);
        responses[b].push(next);
        if (next === eosId) done[b] = true;
      }
      if (n + 1 === responseLength || !done.includes(false)) break;
      // Stopped rows are fed end-of-text; their logits are not read again.
      logits = cache.append(responses.map((r, b) => (done[b] ? eosId : r[n])));
    }
  } finally {
    logits.dispose();
    cache.dispose();
  }
  return responses;
}
