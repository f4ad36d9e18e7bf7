/**
 * Incremental decoding of a batch with the GPT: the prompts run through the model once (GPT.hidden,
 * the fused kernels on wasm), each layer's keys and values [B, H, S, dh] are kept, and every later
 * step feeds one new token per row, attending over the kept keys instead of recomputing the whole
 * growing sequence. The logits are those of GPT.forward on the same sequences (tests/unit/kvCache.test.ts).
 *
 * Rows are prompts of different lengths, right-padded to the longest (S starts at that length). A
 * row's padding slots stay in the cache but are masked out of its attention, and its new tokens sit
 * at its own positions (prompt length, prompt length + 1, ...), so each row sees only its own tokens.
 * One query per row needs no causal mask: every kept slot is in that query's past.
 */
import * as tf from '@tensorflow/tfjs';
import type { GPT } from './gpt.ts';
import { embedding, layerNorm, linear, quickGelu } from './ops.ts';

/** Added to the attention score of a slot a row must not see, as GPT's causal mask does. */
const MASKED = -1e9;

function param<R extends tf.Rank>(model: GPT, name: string): tf.Tensor<R> {
  return model.params.get(name) as unknown as tf.Tensor<R>;
}

export class KVCache {
  /** Per layer: keys and values [B, H, S, dh] of every slot so far; S grows by one per step. */
  private keys: tf.Tensor4D[];
  private values: tf.Tensor4D[];
  /** [B][S]: 0 where the row may attend to the slot, MASKED on its padding. */
  private readonly slotMask: number[][];
  /** The position of each row's next token: the number of its own tokens so far. */
  private readonly positions: number[];

  private constructor(private readonly model: GPT, keys: tf.Tensor4D[], values: tf.Tensor4D[], lengths: readonly number[], slots: number) {
    this.keys = keys;
    this.values = values;
    this.slotMask = lengths.map((n) => Array.from({ length: slots }, (_, s) => (s < n ? 0 : MASKED)));
    this.positions = [...lengths];
  }

  /**
   * Runs the prompts [B] (token ids, 1 to n_positions each) once. Returns the cache and each row's
   * next-token logits [B, V] (at its last prompt token); the caller disposes both.
   */
  static prefill(model: GPT, prompts: readonly number[][], padId: number): { cache: KVCache; logits: tf.Tensor2D } {
    const B = prompts.length;
    const L = Math.max(...prompts.map((p) => p.length));
    if (!B || prompts.some((p) => p.length === 0)) throw new Error('every prompt needs at least one token');
    if (L > model.config.n_positions) throw new Error(`a prompt of ${L} tokens exceeds the model's context of ${model.config.n_positions}`);
    const ids = new Int32Array(B * L).fill(padId);
    const lastRows = new Int32Array(B);
    prompts.forEach((p, b) => {
      ids.set(p, b * L);
      lastRows[b] = b * L + p.length - 1;
    });
    const { logits, keys, values } = tf.tidy(() => {
      const ks: tf.Tensor4D[] = [];
      const vs: tf.Tensor4D[] = [];
      const hidden = model.hidden(tf.tensor2d(ids, [B, L], 'int32'), (_, k, v) => {
        ks.push(k); // [B, H, L, dh]
        vs.push(v);
      }); // [B*L, D]
      const last = tf.gather(hidden, tf.tensor1d(lastRows, 'int32')) as tf.Tensor2D; // [B, D]
      return { logits: linear(last, param(model, 'lm_head.weight')), keys: ks, values: vs }; // logits [B, V]
    });
    return { cache: new KVCache(model, keys, values, prompts.map((p) => p.length), L), logits };
  }

  get rows(): number {
    return this.positions.length;
  }

  /**
   * Appends one token per row [B] at that row's next position; returns each row's next-token
   * logits [B, V] (the caller disposes them). Throws past the model's context.
   */
  append(tokens: readonly number[]): tf.Tensor2D {
    const B = this.rows;
    const { n_embd: D, n_head: H, n_layer, n_positions } = this.model.config;
    const dh = D / H;
    if (tokens.length !== B) throw new Error(`expected ${B} tokens, one per row, got ${tokens.length}`);
    if (this.positions.some((p) => p >= n_positions)) throw new Error(`a row would pass the model's context of ${n_positions} tokens`);
    for (const row of this.slotMask) row.push(0);
    const S = this.slotMask[0].length;
    const mask = new Float32Array(B * S);
    this.slotMask.forEach((row, b) => mask.set(row, b * S));
    const m = this.model;
    const out = tf.tidy(() => {
      const tok = embedding(tf.tensor1d(tokens as number[], 'int32'), param(m, 'transformer.wte.weight')); // [B, D]
      const pos = tf.gather(param<tf.Rank.R2>(m, 'transformer.wpe.weight'), tf.tensor1d(this.positions, 'int32')); // [B, D]
      let x = tf.add(tok, pos) as tf.Tensor2D; // [B, D]
      const slotMask = tf.tensor4d(mask, [B, 1, 1, S]);
      const keys: tf.Tensor4D[] = [];
      const values: tf.Tensor4D[] = [];
      for (let i = 0; i < n_layer; i++) {
        const p = `transformer.h.${i}.`;
        const h = layerNorm(x, param(m, p + 'ln_1.weight'), param(m, p + 'ln_1.bias'));
        const qkv = linear(h, param(m, p + 'attn.c_attn.weight')); // [B, 3D]: q | k | v, each H heads of dh
        const [q, k, v] = tf.split(qkv, 3, 1).map((t) => tf.reshape(t, [B, H, 1, dh]) as tf.Tensor4D);
        const K = tf.concat([this.keys[i], k], 2) as tf.Tensor4D; // [B, H, S, dh]
        const V = tf.concat([this.values[i], v], 2) as tf.Tensor4D;
        const att = tf.softmax(tf.add(tf.mul(tf.matMul(q, K, false, true), 1 / Math.sqrt(dh)), slotMask)); // [B, H, 1, S]
        // [B, H, 1, dh] -> [B, D]: with one query per row the heads already sit side by side.
        const y = tf.reshape(tf.matMul(att, V), [B, D]) as tf.Tensor2D;
        x = tf.add(x, linear(y, param(m, p + 'attn.c_proj.weight')));
        const h2 = layerNorm(x, param(m, p + 'ln_2.weight'), param(m, p + 'ln_2.bias'));
        const fc = quickGelu(linear(h2, param(m, p + 'mlp.c_fc.weight'), param(m, p + 'mlp.c_fc.bias'))) as tf.Tensor2D; // [B, 4D]
        x = tf.add(x, linear(fc, param(m, p + 'mlp.c_proj.weight'), param(m, p + 'mlp.c_proj.bias')));
        keys.push(K);
        values.push(V);
      }
      const final = layerNorm(x, param(m, 'transformer.ln_f.weight'), param(m, 'transformer.ln_f.bias'));
      return { logits: linear(final, param(m, 'lm_head.weight')), keys, values }; // logits [B, V]
    });
    tf.dispose([...this.keys, ...this.values]);
    this.keys = out.keys;
    this.values = out.values;
    for (let b = 0; b < B; b++) this.positions[b]++;
    return out.logits;
  }

  dispose(): void {
    tf.dispose([...this.keys, ...this.values]);
    this.keys = [];
    this.values = [];
  }
}
