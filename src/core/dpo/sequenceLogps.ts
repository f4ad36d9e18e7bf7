/**
 * How likely a model finds a completion of a prompt: the SUM of the log-probabilities of the
 * completion's tokens (TRL's concatenated_forward: `(per_token_logps * loss_mask).sum(-1)`), with
 * the prompt and the padding masked out. Also what the DPO family logs or needs beside it: each
 * row's completion length, the mean logit over completion tokens (TRL's logits/chosen) and the
 * mean-token negative log-likelihood of the chosen rows (ORPO's and CPO's NLL term).
 *
 * Rows are prompt + completion + end-of-text, tokenized apart as TRL does (prompt_input_ids +
 * chosen_input_ids), so the completion starts at a known position. Truncation follows
 * rewardData.ts's rule: a row longer than max_length loses tokens from its START (the prompt goes
 * first), because the completion is what is being judged.
 *
 * Chosen and rejected rows run in ONE forward pass (TRL's concatenated_forward): rows [0, B) are
 * the chosen completions, [B, 2B) the rejected ones. The token pick is a one-hot product, not
 * tf.gather, whose gradient needs a kernel tfjs-wasm lacks (see ppo/policyValue.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { GPT } from '../model/gpt.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';

/** One prompt + completion row, ready to pad. */
export interface CompletionRow {
  /** prompt ids, completion ids, end-of-text; at most max_length. */
  ids: number[];
  /** Index in `ids` of the first completion token that is scored (at least 1: position 0 has no context). */
  start: number;
  /** Tokens cut from the start to fit max_length. */
  truncated: number;
}

export function encodeCompletion(tokenizer: Tokenizer, prompt: string, completion: string, maxLength: number): CompletionRow {
  const promptIds = tokenizer.encode(prompt);
  // An empty prompt still needs one token of context to predict the first completion token from.
  const head = promptIds.length ? promptIds : [tokenizer.eosId];
  const ids = [...head, ...tokenizer.encode(completion), tokenizer.eosId];
  const truncated = Math.max(0, ids.length - maxLength);
  return { ids: truncated ? ids.slice(truncated) : ids, start: Math.max(1, head.length - truncated), truncated };
}

/** Rows laid out for one forward pass, right-padded to the longest. */
export interface LogpBatch {
  /** [rows * L] token ids, right-padded with end-of-text. */
  ids: Int32Array;
  /** [rows * L] the token position l predicts (ids[l + 1]); padding past the end. */
  targets: Int32Array;
  /** [rows * L] 1 where targets[l] is a completion token, else 0 (prompt, padding). */
  mask: Float32Array;
  /** [rows] completion tokens scored per row (mask row sums). */
  lengths: Float32Array;
  rows: number;
  L: number;
}

export function logpBatch(rows: readonly CompletionRow[], padId: number): LogpBatch {
  const L = Math.max(2, ...rows.map((r) => r.ids.length));
  const n = rows.length;
  const ids = new Int32Array(n * L).fill(padId);
  const targets = new Int32Array(n * L).fill(padId);
  const mask = new Float32Array(n * L);
  const lengths = new Float32Array(n);
  rows.forEach((r, b) => {
    ids.set(r.ids, b * L);
    for (let l = 0; l + 1 < r.ids.length; l++) {
      targets[b * L + l] = r.ids[l + 1];
      if (l + 1 >= r.start) {
        mask[b * L + l] = 1;
        lengths[b]++;
      }
    }
  });
  return { ids, targets, mask, lengths, rows: n, L };
}

/** Per-row results of one forward pass. */
export interface RowLogps {
  /** [rows] summed log-probs of each row's completion tokens. */
  logps: tf.Tensor1D;
  /** [rows] completion tokens per row (float). */
  lengths: tf.Tensor1D;
  /** [rows] per row, the sum over its completion tokens of the mean logit over the vocabulary. */
  logitSums: tf.Tensor1D;
}

/** One forward pass of `model` over the batch. Call inside tf.tidy (or an optimizer step's loss). */
export function rowLogps(model: GPT, batch: LogpBatch): RowLogps {
  const { rows, L } = batch;
  const logits = model.forward(tf.tensor2d(batch.ids, [rows, L], 'int32')); // [rows*L, V]
  const V = logits.shape[1];
  const logp = tf.logSoftmax(logits); // [rows*L, V]
  const picked = tf.sum(tf.mul(logp, tf.oneHot(tf.tensor1d(batch.targets, 'int32'), V)), 1); // [rows*L]
  const mask = tf.tensor2d(batch.mask, [rows, L]);
  const perRow = (x: tf.Tensor) => tf.sum(tf.mul(tf.reshape(x, [rows, L]), mask), 1) as tf.Tensor1D; // [rows]
  return { logps: perRow(picked), lengths: tf.tensor1d(batch.lengths), logitSums: perRow(tf.mean(logits, 1)) };
}

/** A batch of pairs as the DPO family reads it, chosen and rejected split apart. All [B] unless noted. */
export interface PairLogps {
  chosen_logps: tf.Tensor1D;
  rejected_logps: tf.Tensor1D;
  chosen_lengths: tf.Tensor1D;
  rejected_lengths: tf.Tensor1D;
  /** Scalars: mean logit over every chosen (rejected) completion token and the whole vocabulary (TRL's logits/chosen). */
  mean_chosen_logits: tf.Scalar;
  mean_rejected_logits: tf.Scalar;
  /** Scalar: mean negative log-likelihood per chosen completion token over the batch (ORPO's and CPO's nll_loss). */
  chosen_nll: tf.Scalar;
}

/** Splits a forward over [chosen B, rejected B] rows. Call inside tf.tidy. */
export function splitPairLogps(r: RowLogps): PairLogps {
  const [chosen_logps, rejected_logps] = tf.split(r.logps, 2) as tf.Tensor1D[];
  const [chosen_lengths, rejected_lengths] = tf.split(r.lengths, 2) as tf.Tensor1D[];
  const [chosenLogits, rejectedLogits] = tf.split(r.logitSums, 2) as tf.Tensor1D[];
  const perToken = (sum: tf.Tensor, lengths: tf.Tensor) => tf.div(tf.sum(sum), tf.maximum(tf.sum(lengths), 1)) as tf.Scalar;
  return {
    chosen_logps,
    rejected_logps,
    chosen_lengths,
    rejected_lengths,
    mean_chosen_logits: perToken(chosenLogits, chosen_lengths),
    mean_rejected_logits: perToken(rejectedLogits, rejected_lengths),
    chosen_nll: tf.neg(perToken(chosen_logps, chosen_lengths)),
  };
}

/** Both sides of a batch of pairs in one forward pass (rows: chosen B, then rejected B). Call inside tf.tidy. */
export function pairLogps(model: GPT, batch: LogpBatch): PairLogps {
  return splitPairLogps(rowLogps(model, batch));
}

/** Encodes pairs' chosen and rejected rows as one batch: [chosen..., rejected...]. */
export function pairRows(tokenizer: Tokenizer, pairs: readonly { prompt: string; chosen: string; rejected: string }[], maxLength: number): CompletionRow[] {
  return [
    ...pairs.map((p) => encodeCompletion(tokenizer, p.prompt, p.chosen, maxLength)),
    ...pairs.map((p) => encodeCompletion(tokenizer, p.prompt, p.rejected, maxLength)),
  ];
}
