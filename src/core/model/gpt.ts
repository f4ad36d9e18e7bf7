/**
 * A tiny GPT (pre-LayerNorm decoder-only transformer), the model of every stage.
 * Layer for layer it is ../shared/bench/torch_reference.py: token + learned position embeddings,
 * n_layer blocks of [LN -> causal self-attention (q, k, v, o without bias) -> residual,
 * LN -> MLP 4x with quick GELU -> residual], a final LN and an untied output projection.
 * q, k and v are one fused [D, 3D] matrix, which computes the same thing in one multiply.
 *
 * Parameters are named like Hugging Face's GPT-2 (transformer.h.0.attn.c_attn.weight ...), with
 * GPT-2's [in, out] layout for the block weights.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../rng.ts';
import type { ModelConfig } from './config.ts';
import { batchMatMul, causalSoftmax, crossEntropy, embedding, layerNorm, linear, mergeHeads, quickGelu, splitHeads } from './ops.ts';

export type ParamShapes = Record<string, number[]>;

/** Names and shapes of every parameter, in a fixed order (the safetensors order). */
export function parameterShapes(c: ModelConfig): ParamShapes {
  const D = c.n_embd;
  const shapes: ParamShapes = {
    'transformer.wte.weight': [c.vocab_size, D],
    'transformer.wpe.weight': [c.n_positions, D],
  };
  for (let i = 0; i < c.n_layer; i++) {
    const p = `transformer.h.${i}.`;
    shapes[p + 'ln_1.weight'] = [D];
    shapes[p + 'ln_1.bias'] = [D];
    shapes[p + 'attn.c_attn.weight'] = [D, 3 * D];
    shapes[p + 'attn.c_proj.weight'] = [D, D];
    shapes[p + 'ln_2.weight'] = [D];
    shapes[p + 'ln_2.bias'] = [D];
    shapes[p + 'mlp.c_fc.weight'] = [D, 4 * D];
    shapes[p + 'mlp.c_fc.bias'] = [4 * D];
    shapes[p + 'mlp.c_proj.weight'] = [4 * D, D];
    shapes[p + 'mlp.c_proj.bias'] = [D];
  }
  shapes['transformer.ln_f.weight'] = [D];
  shapes['transformer.ln_f.bias'] = [D];
  // Kept [D, V] here so the forward pass multiplies without a transpose; exported as [V, D].
  shapes['lm_head.weight'] = [D, c.vocab_size];
  return shapes;
}

export function countParameters(c: ModelConfig): number {
  return Object.values(parameterShapes(c)).reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
}

/** GPT-2's initialisation: N(0, 0.02), residual projections scaled by 1/sqrt(2 n_layer), LN gains 1. */
export function initialWeights(c: ModelConfig, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const weights = new Map<string, Float32Array>();
  for (const [name, shape] of Object.entries(parameterShapes(c))) {
    const size = shape.reduce((a, b) => a * b, 1);
    const w = new Float32Array(size);
    if (name.includes('ln_') && name.endsWith('.weight')) w.fill(1);
    else if (!name.endsWith('.bias')) {
      const std = name.endsWith('c_proj.weight') ? 0.02 / Math.sqrt(2 * c.n_layer) : 0.02;
      for (let i = 0; i < size; i++) w[i] = rng.normal() * std;
    }
    weights.set(name, w);
  }
  return weights;
}

export class GPT {
  readonly config: ModelConfig;
  /** Trainable parameters by name, in parameterShapes order. */
  readonly params: Map<string, tf.Variable>;
  /** [n_positions, n_positions]: 0 on and below the diagonal, -1e9 above (future tokens). */
  private readonly causalMask: tf.Tensor2D;

  constructor(config: ModelConfig, weights: Map<string, Float32Array>) {
    this.config = config;
    this.params = new Map();
    for (const [name, shape] of Object.entries(parameterShapes(config))) {
      const data = weights.get(name);
      if (!data) throw new Error(`checkpoint is missing tensor ${name}`);
      const size = shape.reduce((a, b) => a * b, 1);
      if (data.length !== size) throw new Error(`tensor ${name} has ${data.length} values, expected ${size} (shape [${shape}])`);
      const init = tf.tensor(data, shape, 'float32');
      // Unnamed: tfjs variable names are global, and several models (policy, reference) coexist.
      this.params.set(name, tf.variable(init, true));
      init.dispose(); // tf.variable copies its initialiser
    }
    const T = config.n_positions;
    this.causalMask = tf.tidy(() => tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([T, T]), -1, 0)), -1e9)) as tf.Tensor2D;
  }

  static create(config: ModelConfig, seed: number): GPT {
    return new GPT(config, initialWeights(config, seed));
  }

  get variables(): tf.Variable[] {
    return [...this.params.values()];
  }

  private p<R extends tf.Rank>(name: string): tf.Tensor<R> {
    return this.params.get(name) as unknown as tf.Tensor<R>;
  }

  /** ids [B, T] int32 (T <= n_positions) -> logits [B*T, V]. Call inside tf.tidy. */
  forward(ids: tf.Tensor2D): tf.Tensor2D {
    return linear(this.hidden(ids), this.p('lm_head.weight')); // [BT, V]
  }

  /**
   * ids [B, T] int32 -> the final hidden states [B*T, D] (after ln_f), which the language-model
   * head turns into logits and a reward model's score head into one number. `onKeysValues` sees
   * each layer's keys and values [B, H, T, dh] (kvCache.ts keeps them for decoding). Call inside tf.tidy.
   */
  hidden(ids: tf.Tensor2D, onKeysValues?: (layer: number, keys: tf.Tensor4D, values: tf.Tensor4D) => void): tf.Tensor2D {
    const [B, T] = ids.shape;
    const { n_embd: D, n_head: H } = this.config;
    const dh = D / H;

    const tok = embedding(tf.reshape(ids, [B * T]) as tf.Tensor1D, this.p('transformer.wte.weight')); // [BT, D]
    const pos = tf.slice(this.p<tf.Rank.R2>('transformer.wpe.weight'), [0, 0], [T, D]); // [T, D]
    // A plain broadcast add, not addRowVector on a [B, T*D] view: tfjs-wasm caches its XNNPACK
    // operator by the data of matMul's second operand, so one buffer must not be multiplied as
    // [B, T*D] in one gradient and as [B*T, D] in the next (it read out of bounds).
    let x = tf.reshape(tf.add(tf.reshape(tok, [B, T, D]), pos), [B * T, D]) as tf.Tensor2D; // [BT, D]
    const mask = tf.slice(this.causalMask, [0, 0], [T, T]);

    for (let i = 0; i < this.config.n_layer; i++) {
      const p = `transformer.h.${i}.`;
      // Attention.
      const h = layerNorm(x, this.p(p + 'ln_1.weight'), this.p(p + 'ln_1.bias'));
      const qkv = linear(h, this.p(p + 'attn.c_attn.weight')); // [BT, 3D]
      const [q, k, v] = splitHeads(qkv, B, H, 3); // each [B, H, T, dh]
      onKeysValues?.(i, k, v);
      const att = causalSoftmax(batchMatMul(q, k, true), 1 / Math.sqrt(dh), mask); // [B, H, T, T]
      const y = batchMatMul(att, v); // [B, H, T, dh]
      const merged = mergeHeads([y as tf.Tensor4D]); // [BT, D]
      x = tf.add(x, linear(merged, this.p(p + 'attn.c_proj.weight')));
      // MLP.
      const h2 = layerNorm(x, this.p(p + 'ln_2.weight'), this.p(p + 'ln_2.bias'));
      const fc = quickGelu(linear(h2, this.p(p + 'mlp.c_fc.weight'), this.p(p + 'mlp.c_fc.bias'))) as tf.Tensor2D; // [BT, 4D]
      x = tf.add(x, linear(fc, this.p(p + 'mlp.c_proj.weight'), this.p(p + 'mlp.c_proj.bias')));
    }
    return layerNorm(x, this.p('transformer.ln_f.weight'), this.p('transformer.ln_f.bias')); // [BT, D]
  }

  /** Mean next-token cross-entropy (nats) of ids [B, T] against targets [B, T]. Call inside tf.tidy. */
  loss(ids: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
    return crossEntropy(this.forward(ids), tf.reshape(targets, [-1]) as tf.Tensor1D); // logits [BT, V]
  }

  /** Copies of the weights as plain arrays (for checkpoints), read asynchronously. */
  async readWeights(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const [name, v] of this.params) out.set(name, (await v.data()) as Float32Array);
    return out;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
    this.causalMask.dispose();
  }
}
