/**
 * SFT rows as the model sees them: prompt tokens, completion tokens and the end-of-text token,
 * cut to max_length; a held-out split; and right-padded batches of inputs, labels (the next
 * token) and weights (which labels the loss counts).
 */
import type { Rng } from '../rng.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';

export interface SftRow {
  prompt: string;
  completion: string;
}

/** One tokenized row: ids = prompt ++ completion ++ [eos], and where the completion starts. */
export interface SftExample {
  ids: number[];
  promptLength: number;
}

export interface SftBatch {
  /** [B, T] row-major: ids[0..L-2] of each example, then padding. */
  inputs: Int32Array;
  /** [B, T]: ids[1..L-1], the token each position should predict; padding positions repeat the pad id. */
  labels: Int32Array;
  /** [B, T]: 1 where the label counts toward the loss and accuracy, else 0. */
  weights: Float32Array;
  /** Real (non-padding) tokens in the batch, as TRL's num_tokens counts them. */
  numTokens: number;
  rows: number;
}

/** Tokenizes rows (prompt and completion apart, so the mask boundary is exact) and cuts them to maxLength. */
export function tokenizeRows(tokenizer: Tokenizer, rows: readonly SftRow[], maxLength: number): { examples: SftExample[]; truncated: number } {
  let truncated = 0;
  const examples = rows.map((r) => {
    const prompt = tokenizer.encode(r.prompt);
    let ids = [...prompt, ...tokenizer.encode(r.completion), tokenizer.eosId];
    if (ids.length > maxLength) {
      truncated++;
      ids = ids.slice(0, maxLength);
    }
    return { ids, promptLength: Math.min(prompt.length, ids.length) };
  });
  return { examples, truncated };
}

/** Shuffles a copy and holds out round(evalFraction * n) examples (at least 1 when evalFraction > 0 and n > 1). */
export function splitExamples<T>(items: readonly T[], evalFraction: number, rng: Rng): { train: T[]; eval: T[] } {
  const shuffled = rng.shuffle([...items]);
  let nEval = evalFraction > 0 && items.length > 1 ? Math.max(1, Math.round(evalFraction * items.length)) : 0;
  nEval = Math.min(nEval, items.length - 1);
  return { train: shuffled.slice(nEval), eval: shuffled.slice(0, nEval) };
}

/**
 * Right-pads examples into a [B, T] batch (T = positions, at least the longest example minus one).
 * Label j of a row is ids[j+1]; it counts when it is a real token and, with completionOnly, when it
 * belongs to the completion (index >= promptLength), so the end-of-text token is learned too.
 */
export function makeBatch(examples: readonly SftExample[], T: number, padId: number, completionOnly: boolean): SftBatch {
  const B = examples.length;
  const inputs = new Int32Array(B * T).fill(padId);
  const labels = new Int32Array(B * T).fill(padId);
  const weights = new Float32Array(B * T);
  let numTokens = 0;
  examples.forEach((ex, b) => {
    const L = Math.min(ex.ids.length, T + 1);
    numTokens += L;
    for (let j = 0; j < L - 1; j++) {
      inputs[b * T + j] = ex.ids[j];
      labels[b * T + j] = ex.ids[j + 1];
      weights[b * T + j] = !completionOnly || j + 1 >= ex.promptLength ? 1 : 0;
    }
  });
  return { inputs, labels, weights, numTokens, rows: B };
}

/** Endless shuffled passes over the training examples: each epoch is a fresh permutation. */
export class EpochSampler<T> {
  #order: T[] = [];
  #next = 0;

  constructor(private readonly items: readonly T[], private readonly rng: Rng) {}

  take(n: number): T[] {
    const out: T[] = [];
    while (out.length < n) {
      if (this.#next >= this.#order.length) {
        this.#order = this.rng.shuffle([...this.items]);
        this.#next = 0;
      }
      out.push(this.#order[this.#next++]);
    }
    return out;
  }
}
