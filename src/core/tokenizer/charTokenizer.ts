/**
 * Character-level tokenizer: one token per Unicode character seen in the training text,
 * plus two specials. A teaching option (see PLATFORM.md: characters cover ~4x less text per
 * step than subwords); BPE is the default.
 *
 * Ids: 0..n-1 the distinct characters sorted by code point, n = <|endoftext|>, n+1 = <|unk|>.
 *
 * tokenizer.json choice: a Hugging Face "BPE" model with an empty merge list and no
 * pre-tokenizer. With no merges, BPE splits its input into single characters and looks each
 * up in the vocabulary (unknown ones become unk_token), which is exactly character-level
 * tokenization, and it loads and encodes identically in `tokenizers` (the usual way to get a
 * character model there). A "Fuse" decoder joins tokens without the spaces the default
 * decoder would put between them. fromJSON also accepts a "WordLevel" model over characters.
 */
import type { Tokenizer } from './tokenizer.ts';

export const EOS_TOKEN = '<|endoftext|>';
export const UNK_TOKEN = '<|unk|>';

export class CharTokenizer implements Tokenizer {
  readonly kind = 'char' as const;
  readonly vocabSize: number;
  readonly eosId: number;
  readonly unkId: number;
  /** id -> token (characters, then the specials). */
  private readonly tokens: string[];
  private readonly ids: Map<string, number>;

  /** `chars`: the character tokens in id order; the specials follow them. */
  constructor(chars: readonly string[]) {
    for (const ch of chars) {
      if ([...ch].length !== 1) throw new Error(`character tokenizer: token ${JSON.stringify(ch)} is not one character`);
    }
    this.tokens = [...chars, EOS_TOKEN, UNK_TOKEN];
    this.ids = new Map(chars.map((ch, i) => [ch, i]));
    if (this.ids.size !== chars.length) throw new Error('character tokenizer: duplicate characters in vocabulary');
    this.eosId = chars.length;
    this.unkId = chars.length + 1;
    this.vocabSize = this.tokens.length;
  }

  /** Vocabulary = the distinct characters of `text`, sorted by code point. */
  static train(text: string): CharTokenizer {
    const chars = [...new Set(text)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    return new CharTokenizer(chars);
  }

  /** Reads the object written by toJSON (or a WordLevel model over single characters). */
  static fromJSON(json: unknown): CharTokenizer {
    const model = (json as { model?: { type?: unknown; vocab?: unknown } } | null)?.model;
    if (!model || (model.type !== 'BPE' && model.type !== 'WordLevel') || typeof model.vocab !== 'object' || model.vocab === null) {
      throw new Error('character tokenizer.json: expected model.type "BPE" or "WordLevel" with a vocab object');
    }
    const merges = (model as { merges?: unknown }).merges;
    if (Array.isArray(merges) && merges.length > 0) {
      throw new Error('character tokenizer.json: the model has merges, so it is not character-level');
    }
    const byId: string[] = [];
    for (const [token, id] of Object.entries(model.vocab as Record<string, unknown>)) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
        throw new Error(`character tokenizer.json: bad id for token ${JSON.stringify(token)}`);
      }
      byId[id] = token;
    }
    const n = byId.length - 2;
    if (n < 0 || byId[n] !== EOS_TOKEN || byId[n + 1] !== UNK_TOKEN) {
      throw new Error(`character tokenizer.json: the last two ids must be ${EOS_TOKEN} and ${UNK_TOKEN}`);
    }
    const chars = byId.slice(0, n);
    if (chars.some((c) => c === undefined)) throw new Error('character tokenizer.json: vocabulary ids have gaps');
    return new CharTokenizer(chars);
  }

  /** Plain text only: a literal "<|endoftext|>" in the text is spelled out, not the eos id. */
  encode(text: string): number[] {
    const out: number[] = [];
    for (const ch of text) out.push(this.ids.get(ch) ?? this.unkId);
    return out;
  }

  /** Specials decode to their names ("<|endoftext|>", "<|unk|>"). */
  decode(ids: readonly number[]): string {
    let s = '';
    for (const id of ids) {
      const t = this.tokens[id];
      if (t === undefined) throw new RangeError(`token id ${id} is outside the vocabulary (size ${this.vocabSize})`);
      s += t;
    }
    return s;
  }

  toJSON(): unknown {
    const special = (id: number, content: string) => ({
      id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    });
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [special(this.eosId, EOS_TOKEN), special(this.unkId, UNK_TOKEN)],
      normalizer: null,
      pre_tokenizer: null,
      post_processor: null,
      decoder: { type: 'Fuse' },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: UNK_TOKEN,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        vocab: Object.fromEntries(this.tokens.map((t, i) => [t, i])),
        merges: [],
      },
    };
  }
}
