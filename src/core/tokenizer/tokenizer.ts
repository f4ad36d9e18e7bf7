/**
 * What every tokenizer offers. The model sees only ids in [0, vocabSize).
 * `eosId` ends each document in the training stream and stops generation.
 */
export type TokenizerKind = 'char' | 'bpe';

export interface Tokenizer {
  readonly kind: TokenizerKind;
  readonly vocabSize: number;
  /** End-of-text token id: appended after each document, stops sampling. */
  readonly eosId: number;
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  /** The Hugging Face `tokenizer.json` object (saved as tokenizer.json). */
  toJSON(): unknown;
}

export interface TokenizerSpec {
  kind: TokenizerKind;
  /** Target vocabulary size (BPE: 256 bytes + specials + merges; char: ignored, set by the text). */
  vocabSize: number;
}
