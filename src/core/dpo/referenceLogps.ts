/**
 * Where a batch's reference log-probs come from, behind one interface:
 *   live        a frozen reference model runs a forward pass per batch (TRL's default);
 *   precomputed the reference ran once over every row before training and was freed
 *               (TRL's precompute_ref_log_probs: less memory, no reference forward per step);
 *   none        zeros (reference_free: the implicit reference gives every completion equal probability).
 * Rows are named by their index in the run's row table (dpoBatches.ts), so a precomputed value
 * belongs to its row whatever batch it lands in.
 */
import * as tf from '@tensorflow/tfjs';
import type { GPT } from '../model/gpt.ts';
import { logpBatch, rowLogps, type CompletionRow, type LogpBatch } from './sequenceLogps.ts';

export interface ReferenceLogps {
  /** [rows] summed reference log-probs of these rows (laid out as `batch`); the caller disposes it. */
  logps(rowIds: readonly number[], batch: LogpBatch): tf.Tensor1D;
}

export function liveReference(ref: GPT): ReferenceLogps {
  return { logps: (_ids, batch) => tf.tidy(() => rowLogps(ref, batch).logps) };
}

export function noReference(): ReferenceLogps {
  return { logps: (ids) => tf.zeros([ids.length]) as tf.Tensor1D };
}

/**
 * Runs `ref` once over every row (chunks of `chunk` rows) and keeps the numbers; the model can be
 * disposed afterwards. Reads each chunk asynchronously (no dataSync).
 */
export async function precomputeReference(ref: GPT, rows: readonly CompletionRow[], padId: number, chunk: number): Promise<ReferenceLogps> {
  const table = new Float32Array(rows.length);
  for (let start = 0; start < rows.length; start += chunk) {
    const part = rows.slice(start, start + chunk);
    const t = tf.tidy(() => rowLogps(ref, logpBatch(part, padId)).logps);
    table.set(await t.data(), start);
    t.dispose();
  }
  return { logps: (ids) => tf.tensor1d(ids.map((i) => table[i])) };
}
