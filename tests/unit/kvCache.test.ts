import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/core/backend.ts';
import type { ModelConfig } from '../../src/core/model/config.ts';
import { GPT } from '../../src/core/model/gpt.ts';
import { KVCache } from '../../src/core/model/kvCache.ts';
import { sampleToken } from '../../src/core/model/sampling.ts';
import { sampleResponses } from '../../src/core/ppo/rollout.ts';
import { Rng } from '../../src/core/rng.ts';
import { setupWasm } from './tfSetup.ts';

// d 16 over 4 heads: head width 4, so the wasm fused kernels run in the prefill as in real models.
const config: ModelConfig = { vocab_size: 13, n_positions: 12, n_embd: 16, n_layer: 2, n_head: 4 };
const PAD = 12;
/** Ragged prompts: lengths 3, 7, 1 and 5. */
const PROMPTS = [[1, 2, 3], [4, 5, 6, 7, 8, 9, 10], [11], [2, 4, 6, 8, 10]];

/** GPT.forward on one row alone (no padding at all): logits [V] at its last position. */
async function lastLogits(model: GPT, seq: number[]): Promise<Float32Array> {
  const row = tf.tidy(() => tf.slice(model.forward(tf.tensor2d(seq, [1, seq.length], 'int32')), [seq.length - 1, 0], [1, -1]));
  const data = (await row.data()) as Float32Array;
  row.dispose();
  return data;
}

async function expectRowsMatchForward(model: GPT, logits: tf.Tensor2D, seqs: number[][], tolerance: number): Promise<void> {
  const V = config.vocab_size;
  const flat = await logits.data();
  for (let b = 0; b < seqs.length; b++) {
    const want = await lastLogits(model, seqs[b]);
    for (let j = 0; j < V; j++) expect(Math.abs(flat[b * V + j] - want[j]), `row ${b} token ${j} at length ${seqs[b].length}`).toBeLessThan(tolerance);
  }
}

/** Prefill, then append a token per row until the longest row fills the context, checking every step. */
async function checkAgainstForward(tolerance: number): Promise<void> {
  const model = GPT.create(config, 7);
  const rng = new Rng(3);
  const seqs = PROMPTS.map((p) => [...p]);
  const { cache, logits } = KVCache.prefill(model, PROMPTS, PAD);
  await expectRowsMatchForward(model, logits, seqs, tolerance);
  logits.dispose();
  const steps = config.n_positions - Math.max(...PROMPTS.map((p) => p.length));
  for (let n = 0; n < steps; n++) {
    const tokens = seqs.map(() => rng.int(config.vocab_size));
    seqs.forEach((s, b) => s.push(tokens[b]));
    const next = cache.append(tokens);
    await expectRowsMatchForward(model, next, seqs, tolerance);
    next.dispose();
  }
  expect(() => cache.append(seqs.map(() => 0))).toThrow(/context of 12/);
  cache.dispose();
  model.dispose();
}

/** The rollout as it was before the cache: one full forward over the padded batch per new token. */
async function sampleWithFullForward(model: GPT, prompts: number[][], responseLength: number, temperature: number, eos: number, rng: Rng): Promise<number[][]> {
  const seqs = prompts.map((p) => [...p]);
  const responses: number[][] = prompts.map(() => []);
  const done = prompts.map(() => false);
  const s = { temperature, top_k: 0, top_p: 1, max_new_tokens: responseLength };
  for (let n = 0; n < responseLength && done.includes(false); n++) {
    for (let b = 0; b < prompts.length; b++) {
      if (done[b]) continue;
      const next = sampleToken(await lastLogits(model, seqs[b]), s, rng);
      responses[b].push(next);
      seqs[b].push(next);
      if (next === eos) done[b] = true;
    }
  }
  return responses;
}

describe('KVCache', () => {
  beforeAll(setupWasm);
  afterAll(setupWasm);

  it('gives GPT.forward logits at every step on the cpu backend, with ragged prompts', async () => {
    await useBackend('cpu');
    await checkAgainstForward(1e-4);
  });

  it('gives GPT.forward logits at every step on the wasm backend (fused kernels in the prefill)', async () => {
    await setupWasm();
    await checkAgainstForward(1e-4);
  });

  it('keeps the tensor count flat across rollouts and frees its cache', async () => {
    await setupWasm();
    const model = GPT.create(config, 1);
    const n0 = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      await sampleResponses(model, PROMPTS, 5, 1, PAD, new Rng(i));
      expect(tf.memory().numTensors).toBe(n0);
    }
    model.dispose();
  });

  it('refuses an empty prompt and a prompt longer than the context', () => {
    const model = GPT.create(config, 1);
    expect(() => KVCache.prefill(model, [[1], []], PAD)).toThrow(/at least one token/);
    expect(() => KVCache.prefill(model, [new Array(13).fill(1)], PAD)).toThrow(/context of 12/);
    model.dispose();
  });
});

describe('sampleResponses on the KV cache', () => {
  beforeAll(setupWasm);

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`samples the same tokens as full forward passes with the same Rng (${backend})`, async () => {
      if (backend === 'cpu') await useBackend('cpu');
      else await setupWasm();
      const model = GPT.create(config, 5);
      // End-of-text is token 3 (about 1 in 13 under a random model): some rows stop early, the others run to 5.
      for (const seed of [0, 1, 2]) {
        const cached = await sampleResponses(model, PROMPTS, 5, 1, 3, new Rng(seed));
        const full = await sampleWithFullForward(model, PROMPTS, 5, 1, 3, new Rng(seed));
        expect(cached).toEqual(full);
        expect(cached.every((r) => r.length >= 1 && r.length <= 5)).toBe(true);
      }
      model.dispose();
      await setupWasm();
    });
  }
});
