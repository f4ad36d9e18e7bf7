/**
 * The reward model: the GPT trunk (GPT.hidden) plus a scalar head, as Hugging Face's
 * GPT2ForSequenceClassification with num_labels = 1. The head `score.weight` maps the final
 * hidden state of the LAST REAL token of a sequence to one number, the reward. Sequences are
 * right-padded, and attention is causal, so padding after that token cannot change the reward.
 */
import * as tf from '@tensorflow/tfjs';
import { GPT } from '../model/gpt.ts';
import { linear } from '../model/ops.ts';
import { Rng } from '../rng.ts';

/** Hugging Face's name for the sequence-classification head (a Linear without bias). */
export const SCORE_HEAD = 'score.weight';
/** GPT-2's initializer_range: the head starts as N(0, 0.02) like every other new Linear. */
const HEAD_INIT_STD = 0.02;

/** Which weights a reward run trains: the top blocks only, or everything (embeddings included). */
export type TrainableLayers = number | 'all';

export function initialScoreHead(nEmbd: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: nEmbd }, () => rng.normal() * HEAD_INIT_STD);
}

export class RewardModel {
  readonly trunk: GPT;
  /** [D, 1] here; the file stores Hugging Face's [num_labels, D] = [1, D], the same numbers in the same order. */
  readonly score: tf.Variable;

  constructor(trunk: GPT, scoreHead: Float32Array) {
    const D = trunk.config.n_embd;
    if (scoreHead.length !== D) throw new Error(`${SCORE_HEAD} has ${scoreHead.length} values, expected ${D} (shape [1, ${D}])`);
    this.trunk = trunk;
    const init = tf.tensor2d(scoreHead, [D, 1]);
    this.score = tf.variable(init, true);
    init.dispose();
  }

  /**
   * ids [B, T] int32, right-padded; lastIndex [B] = position of each row's last real token.
   * Returns rewards [B]. Call inside tf.tidy.
   */
  rewards(ids: tf.Tensor2D, lastIndex: tf.Tensor1D): tf.Tensor1D {
    const [B, T] = ids.shape;
    const hidden = this.trunk.hidden(ids); // [B*T, D]
    const perToken = tf.reshape(linear(hidden, this.score as unknown as tf.Tensor2D), [B, T]); // [B, T]
    // A one-hot pick rather than tf.gather: gather's gradient needs a kernel tfjs-wasm lacks.
    const pick = tf.oneHot(lastIndex, T).asType('float32'); // [B, T]
    return tf.sum(tf.mul(perToken, pick), 1) as tf.Tensor1D; // [B]
  }

  /**
   * The variables a run updates, by name. The head and the final LayerNorm always train; `layers`
   * counts the transformer blocks trained from the top ('all' also trains the embeddings).
   * Freezing the lower blocks skips their backward pass, which is most of a step's time.
   */
  trainableParams(layers: TrainableLayers): Map<string, tf.Variable> {
    const nLayer = this.trunk.config.n_layer;
    const firstTrained = layers === 'all' ? 0 : Math.max(0, nLayer - layers);
    const out = new Map<string, tf.Variable>();
    for (const [name, v] of this.trunk.params) {
      if (name === 'lm_head.weight') continue; // not part of a reward model's computation
      const block = /^transformer\.h\.(\d+)\./.exec(name);
      const isEmbedding = name.startsWith('transformer.wte.') || name.startsWith('transformer.wpe.');
      if (isEmbedding ? layers === 'all' : block ? Number(block[1]) >= firstTrained : true) out.set(name, v);
    }
    out.set(SCORE_HEAD, this.score);
    return out;
  }

  dispose(): void {
    this.trunk.dispose();
    this.score.dispose();
  }
}
