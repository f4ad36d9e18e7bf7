/**
 * The PPO policy: the language model plus a value head. The value head is a scalar Linear
 * `value_head` [D, 1] on the policy's OWN trunk (GPT.hidden), not a separate critic model as TRL's
 * PPOTrainer uses (a second GPT initialised from the reward model). Why: one forward pass gives
 * both the logprobs and the values, the run holds two GPTs (policy, reference) instead of three or
 * four, and a gold-score run has no reward model to start a critic from. The cost: the value loss
 * also moves the shared trunk (vf_coef keeps that small), as in the older TRL's
 * AutoModelForCausalLMWithValueHead.
 *
 * Sequences are prompt + response, right-padded; response token t of row b sits at position
 * P_b + t, predicted by (and valued at) position P_b + t - 1. A one-hot selection [B, L, T] moves
 * per-position quantities [B, L] to response slots [B, T] (gather's gradient needs a kernel
 * tfjs-wasm lacks).
 */
import * as tf from '@tensorflow/tfjs';
import type { GPT } from '../model/gpt.ts';
import { linear } from '../model/ops.ts';

/** Hugging Face TRL's name for the value head's weight (AutoModelForCausalLMWithValueHead: v_head). */
export const VALUE_HEAD = 'value_head';

/** A batch laid out for a forward pass: ids [B, L] right-padded, and where each response sits. */
export interface SequenceBatch {
  /** [B * L] row-major token ids (right-padded with end-of-text). */
  ids: Int32Array;
  /** [B * L] the next token at each position (what position l predicts); padding past the end. */
  targets: Int32Array;
  /** [B * L * T] one-hot: select[b, l, t] = 1 when l = P_b + t - 1. */
  select: Float32Array;
  rows: number;
  L: number;
  T: number;
}

export class PolicyWithValueHead {
  readonly valueHead: tf.Variable;

  /** `initialValueHead` [D * 1]: a saved head to resume (ppoCheckpoint.ts); without it, zeros. */
  constructor(readonly lm: GPT, initialValueHead?: Float32Array) {
    const D = lm.config.n_embd;
    if (initialValueHead && initialValueHead.length !== D) throw new Error(`${VALUE_HEAD} has ${initialValueHead.length} values, expected ${D} (shape [${D}, 1])`);
    // Zeros: the first values are 0, so the first value targets are the plain returns.
    const init = initialValueHead ? tf.tensor2d(initialValueHead, [D, 1]) : tf.zeros([D, 1]);
    this.valueHead = tf.variable(init, true);
    init.dispose(); // tf.variable copies its initialiser
  }

  /** Everything the optimizer updates: the language model's weights and the value head. */
  trainableParams(): Map<string, tf.Variable> {
    return new Map([...this.lm.params, [VALUE_HEAD, this.valueHead]]);
  }

  dispose(): void {
    this.valueHead.dispose();
  }
}

/**
 * Log-probabilities [B, T] of each response token under `lm` at `temperature` (logits divided by
 * temperature + 1e-7, as TRL), and the value head's predictions [B, T] when a head is given.
 * Call inside tf.tidy.
 */
export function responseLogprobs(lm: GPT, batch: SequenceBatch, temperature: number, valueHead?: tf.Variable): { logprobs: tf.Tensor2D; values?: tf.Tensor2D } {
  const { rows: B, L, T } = batch;
  const ids = tf.tensor2d(batch.ids, [B, L], 'int32');
  const hidden = lm.hidden(ids); // [BL, D]
  const logits = tf.div(linear(hidden, lm.params.get('lm_head.weight') as unknown as tf.Tensor2D), temperature + 1e-7); // [BL, V]
  const V = logits.shape[1] as number;
  const logp = tf.logSoftmax(logits); // [BL, V]
  const picked = tf.sum(tf.mul(logp, tf.oneHot(tf.tensor1d(batch.targets, 'int32'), V)), 1); // [BL]
  const select = tf.tensor3d(batch.select, [B, L, T]);
  const toSlots = (perPosition: tf.Tensor) => tf.sum(tf.mul(tf.reshape(perPosition, [B, L, 1]), select), 1) as tf.Tensor2D; // [B, T]
  const logprobs = toSlots(picked);
  if (!valueHead) return { logprobs };
  const values = toSlots(linear(hidden, valueHead as unknown as tf.Tensor2D)); // [B, T]
  return { logprobs, values };
}

/** Lays out prompts + responses [B] (token ids; responses of any length up to T) for a forward pass. */
export function sequenceBatch(prompts: readonly number[][], responses: readonly number[][], T: number, padId: number): SequenceBatch {
  const B = prompts.length;
  const L = Math.max(...prompts.map((p, b) => p.length + Math.max(1, responses[b].length)));
  const ids = new Int32Array(B * L).fill(padId);
  const targets = new Int32Array(B * L).fill(padId);
  const select = new Float32Array(B * L * T);
  for (let b = 0; b < B; b++) {
    const seq = [...prompts[b], ...responses[b]];
    ids.set(seq, b * L);
    for (let l = 0; l + 1 < seq.length; l++) targets[b * L + l] = seq[l + 1];
    const P = prompts[b].length;
    for (let t = 0; t < responses[b].length; t++) select[(b * L + P + t - 1) * T + t] = 1;
  }
  return { ids, targets, select, rows: B, L, T };
}
