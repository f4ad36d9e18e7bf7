import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/core/backend.ts';
import { encodeCompletion, logpBatch, pairLogps, pairRows, rowLogps, type CompletionRow } from '../../src/core/dpo/sequenceLogps.ts';
import type { ModelConfig } from '../../src/core/model/config.ts';
import { GPT } from '../../src/core/model/gpt.ts';
import { trainTokenizer } from '../../src/core/tokenizer/tokenizers.ts';
import { setupWasm } from './tfSetup.ts';

const tokenizer = trainTokenizer({ kind: 'char', vocabSize: 0 }, 'abcdefghijklmnopqrstuvwxyz .!\n');
const config: ModelConfig = { vocab_size: tokenizer.vocabSize, n_positions: 24, n_embd: 16, n_layer: 2, n_head: 2 };
const PAIRS = [
  { prompt: 'a cat\n', chosen: 'was glad.', rejected: 'was sad and cried.' },
  { prompt: 'the dog ', chosen: 'ran!', rejected: 'sat.' },
  { prompt: '', chosen: 'hi', rejected: 'no no' },
];

/** By hand: one row alone through GPT.forward, log-softmax of each completion token from the position before it. */
async function handLogps(model: GPT, row: CompletionRow): Promise<{ sum: number; count: number; logitSum: number }> {
  const logits = tf.tidy(() => model.forward(tf.tensor2d(row.ids, [1, row.ids.length], 'int32')));
  const flat = Array.from(await logits.data());
  logits.dispose();
  const V = config.vocab_size;
  let sum = 0;
  let logitSum = 0;
  let count = 0;
  for (let t = row.start; t < row.ids.length; t++) {
    const at = flat.slice((t - 1) * V, t * V);
    const max = Math.max(...at);
    const lse = max + Math.log(at.reduce((s, x) => s + Math.exp(x - max), 0));
    sum += at[row.ids[t]] - lse;
    logitSum += at.reduce((s, x) => s + x, 0) / V;
    count++;
  }
  return { sum, count, logitSum };
}

describe('sequence log-probs', () => {
  beforeAll(async () => {
    tf.env().set('PROD', true);
    await useBackend('cpu');
  });
  afterAll(async () => {
    await setupWasm();
  });

  it('encodes prompt + completion + end-of-text and cuts the prompt first when too long', () => {
    const r = encodeCompletion(tokenizer, 'abc', 'de', 10);
    expect(r.ids).toEqual([...tokenizer.encode('abcde'), tokenizer.eosId]);
    expect(r.start).toBe(3);
    const cut = encodeCompletion(tokenizer, 'abcdef', 'gh', 5);
    expect(cut.ids).toEqual([...tokenizer.encode('efgh'), tokenizer.eosId]);
    expect([cut.start, cut.truncated]).toEqual([2, 4]);
    // An empty prompt is one end-of-text token of context.
    expect(encodeCompletion(tokenizer, '', 'x', 10)).toMatchObject({ ids: [tokenizer.eosId, ...tokenizer.encode('x'), tokenizer.eosId], start: 1 });
  });

  it('sums the completion tokens of each row as a hand loop over GPT.forward does, with prompt and padding masked', async () => {
    const model = GPT.create(config, 3);
    const rows = pairRows(tokenizer, PAIRS, 24);
    const batch = logpBatch(rows, tokenizer.eosId);
    const [logps, lengths, logitSums] = tf.tidy(() => {
      const r = rowLogps(model, batch);
      return [r.logps, r.lengths, r.logitSums];
    });
    const got = { logps: await logps.data(), lengths: await lengths.data(), logitSums: await logitSums.data() };
    tf.dispose([logps, lengths, logitSums]);
    for (let i = 0; i < rows.length; i++) {
      const want = await handLogps(model, rows[i]);
      expect(got.logps[i]).toBeCloseTo(want.sum, 4);
      expect(got.lengths[i]).toBe(want.count);
      expect(got.logitSums[i]).toBeCloseTo(want.logitSum, 4);
    }
    // Chosen rows first, rejected after; the pair view splits them and takes TRL's batch means.
    const p = tf.tidy(() => {
      const x = pairLogps(model, batch);
      return tf.concat([x.chosen_logps, x.rejected_logps, x.chosen_lengths, tf.stack([x.mean_chosen_logits, x.mean_rejected_logits, x.chosen_nll])]);
    });
    const v = await p.data();
    p.dispose();
    const hand = await Promise.all(rows.map((r) => handLogps(model, r)));
    const n = PAIRS.length;
    expect(Array.from(v.slice(0, 2 * n))).toEqual(Array.from(got.logps.slice(0, 2 * n)));
    const chosenTokens = hand.slice(0, n).reduce((s, h) => s + h.count, 0);
    expect(v[3 * n]).toBeCloseTo(hand.slice(0, n).reduce((s, h) => s + h.logitSum, 0) / chosenTokens, 4);
    expect(v[3 * n + 1]).toBeCloseTo(hand.slice(n).reduce((s, h) => s + h.logitSum, 0) / hand.slice(n).reduce((s, h) => s + h.count, 0), 4);
    expect(v[3 * n + 2]).toBeCloseTo(-hand.slice(0, n).reduce((s, h) => s + h.sum, 0) / chosenTokens, 4);
    model.dispose();
  });

  it('has gradients for every weight on the wasm backend (no gather gradient needed)', async () => {
    await setupWasm();
    const model = GPT.create(config, 4);
    const batch = logpBatch(pairRows(tokenizer, PAIRS, 24), tokenizer.eosId);
    const n0 = tf.memory().numTensors;
    const norms = tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.sum(rowLogps(model, batch).logps) as tf.Scalar, model.variables);
      return tf.stack(model.variables.map((v) => tf.sum(tf.abs(grads[v.name]))));
    });
    const values = Array.from(await norms.data());
    norms.dispose();
    expect(tf.memory().numTensors).toBe(n0);
    expect(values.every((x) => Number.isFinite(x))).toBe(true);
    expect(values.filter((x) => x > 0).length).toBe(values.length);
    model.dispose();
    await useBackend('cpu');
  });
});
