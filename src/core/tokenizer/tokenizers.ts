/**
 * One entry point for every tokenizer kind: train from a spec, load from tokenizer.json.
 */
import { BPE_MIN_VOCAB_SIZE, BpeTokenizer } from './bpeTokenizer.ts';
import { CharTokenizer } from './charTokenizer.ts';
import type { Tokenizer, TokenizerKind, TokenizerSpec } from './tokenizer.ts';

/** Trains a tokenizer on `text`. Char ignores spec.vocabSize (the text sets it). */
export function trainTokenizer(spec: TokenizerSpec, text: string): Tokenizer {
  switch (spec.kind) {
    case 'char':
      return CharTokenizer.train(text);
    case 'bpe':
      return BpeTokenizer.train(text, spec.vocabSize);
    default:
      throw new Error(`unknown tokenizer kind ${JSON.stringify((spec as { kind: unknown }).kind)}`);
  }
}

/**
 * Loads a tokenizer.json object written by either tokenizer. A ByteLevel pre-tokenizer or
 * decoder means byte-level BPE; a BPE (no merges) or WordLevel model without one means
 * characters.
 */
export function tokenizerFromJSON(json: unknown): Tokenizer {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error('tokenizer.json must be a JSON object');
  }
  const j = json as { model?: { type?: unknown; merges?: unknown }; pre_tokenizer?: { type?: unknown } | null; decoder?: { type?: unknown } | null };
  if (typeof j.model !== 'object' || j.model === null) throw new Error('tokenizer.json has no "model" object');
  const byteLevel = j.pre_tokenizer?.type === 'ByteLevel' || j.decoder?.type === 'ByteLevel';
  if (byteLevel) return BpeTokenizer.fromJSON(json);
  const noMerges = !Array.isArray(j.model.merges) || j.model.merges.length === 0;
  if ((j.model.type === 'BPE' || j.model.type === 'WordLevel') && noMerges) return CharTokenizer.fromJSON(json);
  throw new Error(
    `unsupported tokenizer.json: expected a byte-level BPE (GPT-2 style) or a character-level tokenizer, got model type ${JSON.stringify(j.model.type)}`,
  );
}

/** The smallest vocabulary a kind can have: BPE 257 (bytes + end-of-text); char 3 (one character + eos + unk). */
export function minVocabSize(kind: TokenizerKind): number {
  return kind === 'bpe' ? BPE_MIN_VOCAB_SIZE : 3;
}
