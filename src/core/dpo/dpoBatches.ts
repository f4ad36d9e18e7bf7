/**
 * A preference run's data, tokenized once: one table of prompt + completion rows (sequenceLogps.ts
 * encodes and truncates them), and each train or held-out pair as the indices of its rows. A batch
 * of pairs becomes one forward pass over [chosen..., rejected...] rows, as TRL concatenates them.
 *
 * KTO also needs its KL baseline rows: each prompt with a completion written for ANOTHER prompt
 * (TRL's KTO pairs example i's prompt with example i-1's completion). Here pair j of a split takes
 * the chosen and rejected completions of pair j+1 (wrapping), fixed up front so that
 * precompute_ref_log_probs can score them once, as TRL precomputes its KL dataset.
 */
import type { PreferencePair } from '../preferences/types.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { encodeCompletion, logpBatch, type CompletionRow, type LogpBatch } from './sequenceLogps.ts';

/** One pair as rows of the table. */
export interface PairRows {
  /** Index of the pair in the request. */
  index: number;
  prompt: string;
  chosen: number;
  rejected: number;
  /** KTO: this prompt with a mismatched chosen / rejected completion. */
  klChosen?: number;
  klRejected?: number;
}

export interface DpoDataset {
  rows: CompletionRow[];
  train: PairRows[];
  eval: PairRows[];
  /** Rows that lost tokens to max_length. */
  truncated: number;
}

export function buildDataset(tokenizer: Tokenizer, pairs: readonly PreferencePair[], split: { train: number[]; eval: number[] }, maxLength: number, withKl: boolean): DpoDataset {
  const rows: CompletionRow[] = [];
  const add = (prompt: string, completion: string) => rows.push(encodeCompletion(tokenizer, prompt, completion, maxLength)) - 1;
  const encodeSplit = (indices: readonly number[]): PairRows[] =>
    indices.map((index, j) => {
      const p = pairs[index];
      const refs: PairRows = { index, prompt: p.prompt, chosen: add(p.prompt, p.chosen), rejected: add(p.prompt, p.rejected) };
      if (withKl) {
        const other = pairs[indices[(j + 1) % indices.length]];
        refs.klChosen = add(p.prompt, other.chosen);
        refs.klRejected = add(p.prompt, other.rejected);
      }
      return refs;
    });
  const train = encodeSplit(split.train);
  const heldOut = encodeSplit(split.eval);
  return { rows, train, eval: heldOut, truncated: rows.filter((r) => r.truncated > 0).length };
}

/** The forward passes one batch of pairs needs; rowIds name each batch row in the table. */
export interface StepBatch {
  pairs: number;
  /** [chosen B, rejected B] */
  main: { batch: LogpBatch; rowIds: number[] };
  /** KTO: [kl chosen B, kl rejected B] */
  kl?: { batch: LogpBatch; rowIds: number[] };
}

export function stepBatch(ds: DpoDataset, pairs: readonly PairRows[], padId: number): StepBatch {
  const layout = (rowIds: number[]) => ({ batch: logpBatch(rowIds.map((i) => ds.rows[i]), padId), rowIds });
  const main = layout([...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)]);
  const hasKl = pairs.length > 0 && pairs[0].klChosen !== undefined;
  return { pairs: pairs.length, main, kl: hasKl ? layout([...pairs.map((p) => p.klChosen!), ...pairs.map((p) => p.klRejected!)]) : undefined };
}
