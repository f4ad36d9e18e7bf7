/**
 * The pretraining data: documents tokenized and joined into one stream, each followed by the
 * end-of-text token, split into a training part and a held-out part for validation loss.
 * A batch is B windows of T + 1 tokens at random offsets: inputs are the first T, targets the last T.
 */
import type { Rng } from '../rng.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';

export interface TokenSplits {
  train: Int32Array;
  eval: Int32Array;
}

export function tokenizeDocuments(tokenizer: Tokenizer, documents: readonly string[]): Int32Array {
  const parts: number[][] = [];
  let total = 0;
  for (const doc of documents) {
    const ids = tokenizer.encode(doc);
    ids.push(tokenizer.eosId);
    parts.push(ids);
    total += ids.length;
  }
  const out = new Int32Array(total);
  let o = 0;
  for (const ids of parts) {
    out.set(ids, o);
    o += ids.length;
  }
  return out;
}

/** Holds out the last `evalFraction` of the stream (at least one window of T + 1 tokens). */
export function splitTokens(stream: Int32Array, evalFraction: number, contextLength: number): TokenSplits {
  const nEval = Math.max(contextLength + 1, Math.floor(stream.length * evalFraction));
  return { train: stream.subarray(0, stream.length - nEval), eval: stream.subarray(stream.length - nEval) };
}

/** B random windows -> inputs and targets, each B*T ids, row-major [B, T]. */
export function randomBatch(stream: Int32Array, batchSize: number, T: number, rng: Rng): { inputs: Int32Array; targets: Int32Array } {
  const inputs = new Int32Array(batchSize * T);
  const targets = new Int32Array(batchSize * T);
  const maxStart = stream.length - T - 1;
  for (let b = 0; b < batchSize; b++) {
    const s = rng.int(maxStart + 1);
    inputs.set(stream.subarray(s, s + T), b * T);
    targets.set(stream.subarray(s + 1, s + T + 1), b * T);
  }
  return { inputs, targets };
}

/** Non-overlapping windows covering the held-out stream, at most `maxWindows`, in batches. */
export function evalBatches(stream: Int32Array, batchSize: number, T: number, maxWindows: number): { inputs: Int32Array; targets: Int32Array; rows: number }[] {
  const starts: number[] = [];
  for (let s = 0; s + T + 1 <= stream.length && starts.length < maxWindows; s += T) starts.push(s);
  const batches = [];
  for (let i = 0; i < starts.length; i += batchSize) {
    const chunk = starts.slice(i, i + batchSize);
    const inputs = new Int32Array(chunk.length * T);
    const targets = new Int32Array(chunk.length * T);
    chunk.forEach((s, b) => {
      inputs.set(stream.subarray(s, s + T), b * T);
      targets.set(stream.subarray(s + 1, s + T + 1), b * T);
    });
    batches.push({ inputs, targets, rows: chunk.length });
  }
  return batches;
}
