/**
 * Autoregressive sampling from the GPT: one forward pass per new token over the last
 * n_positions tokens, stopping at the end-of-text token or max_new_tokens.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import type { Sample, SamplingConfig } from '../train/pretrainConfig.ts';
import type { GPT } from './gpt.ts';
import { sampleToken } from './sampling.ts';

export async function generateIds(model: GPT, promptIds: number[], s: SamplingConfig, eosId: number, rng: Rng): Promise<number[]> {
  const T = model.config.n_positions;
  const ids = promptIds.length > 0 ? [...promptIds] : [eosId];
  const out: number[] = [];
  for (let n = 0; n < s.max_new_tokens; n++) {
    const window = ids.slice(-T);
    const last = tf.tidy(() => {
      const logits = model.forward(tf.tensor2d(window, [1, window.length], 'int32')); // [t, V]
      return tf.slice(logits, [window.length - 1, 0], [1, -1]); // [1, V]
    });
    const row = await last.data();
    last.dispose();
    const next = sampleToken(row, s, rng);
    if (next === eosId) break;
    ids.push(next);
    out.push(next);
  }
  return out;
}

export async function generateSamples(model: GPT, tokenizer: Tokenizer, prompts: readonly string[], s: SamplingConfig, rng: Rng): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (const prompt of prompts) {
    const ids = await generateIds(model, tokenizer.encode(prompt), s, tokenizer.eosId, rng);
    samples.push({ prompt, completion: tokenizer.decode(ids) });
  }
  return samples;
}
