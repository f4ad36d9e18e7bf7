/**
 * Preference pairs as the reward model reads them: each side is prompt + completion + EOS,
 * tokenized as one text (TRL concatenates prompt and completion the same way), and batches
 * right-padded to their longest sequence (TRL's DataCollatorForPreference) with the index of
 * each row's last real token.
 *
 * Truncation: a sequence longer than max_length keeps its LAST max_length tokens (it loses tokens
 * from the start of the prompt). The reward is read at the final EOS, and the end of a story
 * carries what is judged (its ending), so the tail is what must survive. Chosen, rejected and
 * scored texts are all cut by this one rule. (TRL instead drops over-long pairs; with a 64-token
 * context that would drop data a class just labeled.)
 */
import type { PreferencePair } from '../preferences/types.ts';
import { Rng } from '../rng.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';

export interface EncodedSequence {
  ids: number[];
  /** Tokens cut from the start to fit max_length. */
  truncated: number;
}

export interface EncodedPair {
  chosen: number[];
  rejected: number[];
  margin: number;
  /** Index of the pair in the dataset it came from. */
  index: number;
}

export function encodeForReward(tokenizer: Tokenizer, prompt: string, completion: string, maxLength: number): EncodedSequence {
  const ids = [...tokenizer.encode(prompt + completion), tokenizer.eosId];
  const truncated = Math.max(0, ids.length - maxLength);
  return { ids: truncated ? ids.slice(truncated) : ids, truncated };
}

export function encodePairs(tokenizer: Tokenizer, pairs: readonly PreferencePair[], indices: readonly number[], maxLength: number): { pairs: EncodedPair[]; truncated: number; tokens: number } {
  let truncated = 0;
  let tokens = 0;
  const out = indices.map((index) => {
    const p = pairs[index];
    const c = encodeForReward(tokenizer, p.prompt, p.chosen, maxLength);
    const r = encodeForReward(tokenizer, p.prompt, p.rejected, maxLength);
    truncated += (c.truncated ? 1 : 0) + (r.truncated ? 1 : 0);
    tokens += c.ids.length + r.ids.length;
    return { chosen: c.ids, rejected: r.ids, margin: p.margin ?? 0, index };
  });
  return { pairs: out, truncated, tokens };
}

export interface PaddedBatch {
  /** [rows, T] row-major, right-padded with `padId`. */
  ids: Int32Array;
  rows: number;
  T: number;
  /** [rows]: position of each row's last real token. */
  lastIndex: Int32Array;
}

/** Right-pads sequences to the longest one (TRL's collator); rows keep their order. */
export function padBatch(seqs: readonly number[][], padId: number): PaddedBatch {
  const T = Math.max(1, ...seqs.map((s) => s.length));
  const ids = new Int32Array(seqs.length * T).fill(padId);
  const lastIndex = new Int32Array(seqs.length);
  seqs.forEach((s, r) => {
    ids.set(s, r * T);
    lastIndex[r] = s.length - 1;
  });
  return { ids, rows: seqs.length, T, lastIndex };
}

/**
 * A batch of pairs as one forward pass, as TRL does: the chosen sides first, then the rejected
 * ones, so rewards [2B] split into chosen = [0, B) and rejected = [B, 2B).
 */
export function pairBatch(pairs: readonly EncodedPair[], padId: number): PaddedBatch & { margins: Float32Array } {
  const batch = padBatch([...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)], padId);
  return { ...batch, margins: Float32Array.from(pairs, (p) => p.margin) };
}

/** A seeded train / held-out split of indices 0..n-1 (at least one pair in each when n >= 2). */
export function splitIndices(n: number, evalFraction: number, seed: number): { train: number[]; eval: number[] } {
  const order = new Rng(seed).permutation(n);
  const nEval = n < 2 ? 0 : Math.min(n - 1, Math.max(1, Math.round(n * evalFraction)));
  return { eval: order.slice(0, nEval).sort((a, b) => a - b), train: order.slice(nEval) };
}

/** Endless shuffled epochs of train batches (the last batch of an epoch may be smaller, as in a DataLoader). */
export class EpochBatches {
  private order: number[] = [];
  private at = 0;
  epoch = 0;

  constructor(private readonly size: number, private readonly batchSize: number, private readonly rng: Rng) {}

  next(): number[] {
    if (this.at >= this.order.length) {
      if (this.order.length) this.epoch++;
      this.order = this.rng.permutation(this.size);
      this.at = 0;
    }
    const batch = this.order.slice(this.at, this.at + this.batchSize);
    this.at += batch.length;
    return batch;
  }

  /** Fractional epochs completed. */
  progress(): number {
    return this.epoch + this.at / Math.max(1, this.order.length);
  }
}
