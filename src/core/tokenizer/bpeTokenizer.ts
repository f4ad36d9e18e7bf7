/**
 * Byte-level BPE, as in GPT-2: text -> UTF-8 bytes -> merges learned from the corpus.
 *
 * - Every byte is a token, so any text encodes (no unknown token) and decodes back exactly.
 * - Bytes are written with GPT-2's printable alphabet (space is "Ġ", newline "Ċ"), so the
 *   vocabulary and merges can be stored as plain strings in tokenizer.json.
 * - Text is first cut into pre-tokens by GPT-2's regex (a word with its leading space,
 *   numbers, punctuation runs, whitespace); merges never cross a pre-token boundary.
 *
 * Ids after training: 0..255 the bytes (id = byte value), 256 = <|endoftext|>, then one id
 * per merge in the order learned. fromJSON accepts any GPT-2-style byte-level BPE
 * tokenizer.json (its own id layout is kept).
 */
import type { Tokenizer } from './tokenizer.ts';

export const EOS_TOKEN = '<|endoftext|>';
/** 256 bytes + <|endoftext|>. */
export const BPE_MIN_VOCAB_SIZE = 257;
/** Pair keys pack two ids into one number: a * 2^16 + b. */
export const BPE_MAX_VOCAB_SIZE = 65536;

/** GPT-2's pre-tokenizer regex (the one Hugging Face's ByteLevel pre-tokenizer uses). */
const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the other 68
 * bytes are shifted to U+0100 and up, in byte order.
 */
function byteAlphabet(): string[] {
  const table: string[] = new Array(256);
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    table[b] = String.fromCharCode(printable ? b : 256 + shifted++);
  }
  return table;
}
const BYTE_TO_CHAR = byteAlphabet();
const CHAR_TO_BYTE = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

const utf8 = new TextEncoder();
/** Not fatal: an id sequence cut mid-character decodes to U+FFFD instead of throwing. */
const utf8Decoder = new TextDecoder('utf-8');

const pairKey = (a: number, b: number) => a * 65536 + b;

/** Splits text into GPT-2 pre-tokens. */
export function preTokenize(text: string): string[] {
  return text.match(GPT2_SPLIT) ?? [];
}

/** A pre-token's bytes as byte-alphabet characters, e.g. " cat" -> "Ġcat". */
function toByteChars(word: string): string {
  let s = '';
  for (const b of utf8.encode(word)) s += BYTE_TO_CHAR[b];
  return s;
}

export class BpeTokenizer implements Tokenizer {
  readonly kind = 'bpe' as const;
  readonly vocabSize: number;
  readonly eosId: number;
  /** id -> token in the byte alphabet ("Ġthe"), or the special's name. */
  private readonly vocab: string[];
  /** id -> its UTF-8 bytes (specials: their name's bytes). */
  private readonly bytesOf: Uint8Array[];
  private readonly merges: [string, string][];
  /** pair of ids -> [rank, merged id]; lower rank merges first. */
  private readonly ranks = new Map<number, [number, number]>();
  /** byte value -> id */
  private readonly byteIds: Int32Array;
  private readonly specialIds: Set<number>;
  /** pre-token -> ids. Cleared when it grows past CACHE_LIMIT. */
  private cache = new Map<string, number[]>();

  /**
   * `vocab`: id -> token string (byte alphabet, or a special's name); `merges` in rank
   * order; `specials`: the ids of added tokens. Every byte and every merge result must be
   * in `vocab`.
   */
  constructor(vocab: readonly string[], merges: readonly (readonly [string, string])[], specials: readonly number[], eosId: number) {
    this.vocab = [...vocab];
    this.vocabSize = vocab.length;
    this.merges = merges.map(([a, b]) => [a, b]);
    this.specialIds = new Set(specials);
    this.eosId = eosId;
    if (!this.specialIds.has(eosId)) throw new Error('byte-level BPE: the end-of-text id must be a special token');
    if (this.vocabSize > BPE_MAX_VOCAB_SIZE) throw new RangeError(`vocabulary size must be at most ${BPE_MAX_VOCAB_SIZE}`);

    const idOf = new Map<string, number>();
    this.vocab.forEach((t, i) => {
      if (t === undefined) throw new Error(`byte-level BPE: vocabulary id ${i} is missing`);
      if (!this.specialIds.has(i)) idOf.set(t, i);
    });
    this.byteIds = new Int32Array(256);
    for (let b = 0; b < 256; b++) {
      const id = idOf.get(BYTE_TO_CHAR[b]);
      if (id === undefined) throw new Error(`byte-level BPE: byte ${b} (${BYTE_TO_CHAR[b]}) has no token`);
      this.byteIds[b] = id;
    }
    this.merges.forEach(([a, b], rank) => {
      const ia = idOf.get(a), ib = idOf.get(b), im = idOf.get(a + b);
      if (ia === undefined || ib === undefined || im === undefined) {
        throw new Error(`byte-level BPE: merge "${a} ${b}" uses a token missing from the vocabulary`);
      }
      if (!this.ranks.has(pairKey(ia, ib))) this.ranks.set(pairKey(ia, ib), [rank, im]);
    });
    this.bytesOf = this.vocab.map((t, i) => {
      if (this.specialIds.has(i)) return utf8.encode(t);
      const out = new Uint8Array(t.length);
      for (let k = 0; k < t.length; k++) {
        const b = CHAR_TO_BYTE.get(t[k]);
        if (b === undefined) throw new Error(`byte-level BPE: token ${JSON.stringify(t)} is not in the byte alphabet`);
        out[k] = b;
      }
      return out;
    });
  }

  /**
   * Learns merges until the vocabulary reaches `vocabSize` (or no pair is left to merge,
   * in which case it is smaller). Counts pre-tokens once, then works on the distinct ones;
   * pair counts are updated only for the words a merge touches.
   */
  static train(text: string, vocabSize: number): BpeTokenizer {
    if (!Number.isInteger(vocabSize) || vocabSize < BPE_MIN_VOCAB_SIZE) {
      throw new RangeError(`vocabulary size must be at least ${BPE_MIN_VOCAB_SIZE} for byte-level BPE (256 bytes + end-of-text)`);
    }
    if (vocabSize > BPE_MAX_VOCAB_SIZE) throw new RangeError(`vocabulary size must be at most ${BPE_MAX_VOCAB_SIZE}`);

    const wordCounts = new Map<string, number>();
    for (const w of preTokenize(text)) wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);

    const words: number[][] = []; // distinct pre-tokens as symbol ids (bytes at first)
    const counts: number[] = [];
    for (const [w, c] of wordCounts) {
      words.push([...utf8.encode(w)]);
      counts.push(c);
    }

    const pairCount = new Map<number, number>();
    const pairWords = new Map<number, Set<number>>(); // pair -> words that may contain it
    const heap = new PairHeap();
    const addPairs = (wi: number, sign: 1 | -1) => {
      const w = words[wi];
      for (let i = 0; i + 1 < w.length; i++) {
        const k = pairKey(w[i], w[i + 1]);
        pairCount.set(k, (pairCount.get(k) ?? 0) + sign * counts[wi]);
        if (sign > 0) {
          let set = pairWords.get(k);
          if (!set) pairWords.set(k, (set = new Set()));
          set.add(wi);
        }
      }
    };
    for (let wi = 0; wi < words.length; wi++) addPairs(wi, 1);
    for (const [k, c] of pairCount) heap.push(c, k);

    const vocab: string[] = [...BYTE_TO_CHAR, EOS_TOKEN];
    const eosId = 256;
    const merges: [string, string][] = [];
    while (vocab.length < vocabSize) {
      // Pop the most frequent pair; entries whose count has changed since are stale.
      let best = -1;
      while (heap.size > 0) {
        const [c, k] = heap.pop();
        if (c > 0 && pairCount.get(k) === c) { best = k; break; }
      }
      if (best < 0) break;
      const a = Math.floor(best / 65536), b = best % 65536;
      const id = vocab.length;
      vocab.push(vocab[a] + vocab[b]);
      merges.push([vocab[a], vocab[b]]);

      const touched = new Set<number>();
      for (const wi of pairWords.get(best) ?? []) {
        const w = words[wi];
        let found = false;
        for (let i = 0; i + 1 < w.length; i++) if (w[i] === a && w[i + 1] === b) { found = true; break; }
        if (!found) continue;
        addPairs(wi, -1);
        const merged: number[] = [];
        for (let i = 0; i < w.length; i++) {
          if (i + 1 < w.length && w[i] === a && w[i + 1] === b) { merged.push(id); i++; } else merged.push(w[i]);
        }
        words[wi] = merged;
        addPairs(wi, 1);
        for (let i = 0; i + 1 < merged.length; i++) touched.add(pairKey(merged[i], merged[i + 1]));
        for (let i = 0; i + 1 < w.length; i++) touched.add(pairKey(w[i], w[i + 1]));
      }
      pairWords.delete(best);
      pairCount.delete(best);
      for (const k of touched) {
        const c = pairCount.get(k);
        if (c === undefined) continue;
        if (c <= 0) pairCount.delete(k);
        else heap.push(c, k);
      }
    }
    return new BpeTokenizer(vocab, merges, [eosId], eosId);
  }

  /** Reads a GPT-2-style byte-level BPE tokenizer.json (as written by toJSON). */
  static fromJSON(json: unknown): BpeTokenizer {
    const j = json as {
      model?: { type?: unknown; vocab?: unknown; merges?: unknown };
      added_tokens?: unknown;
    } | null;
    const model = j?.model;
    if (!model || model.type !== 'BPE' || typeof model.vocab !== 'object' || model.vocab === null || !Array.isArray(model.merges)) {
      throw new Error('BPE tokenizer.json: expected model.type "BPE" with a vocab object and a merges list');
    }
    const vocab: string[] = [];
    for (const [token, id] of Object.entries(model.vocab as Record<string, unknown>)) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
        throw new Error(`BPE tokenizer.json: bad id for token ${JSON.stringify(token)}`);
      }
      vocab[id] = token;
    }
    const specials: number[] = [];
    if (Array.isArray(j.added_tokens)) {
      for (const t of j.added_tokens as { id?: unknown; content?: unknown }[]) {
        if (typeof t?.id !== 'number' || typeof t.content !== 'string') throw new Error('BPE tokenizer.json: bad added_tokens entry');
        vocab[t.id] = t.content;
        specials.push(t.id);
      }
    }
    const eosId = vocab.indexOf(EOS_TOKEN);
    if (eosId < 0 || !specials.includes(eosId)) throw new Error(`BPE tokenizer.json: no ${EOS_TOKEN} added token`);
    // Merges are "a b" strings (GPT-2, tokenizers < 0.20) or ["a", "b"] pairs (newer).
    const merges = (model.merges as unknown[]).map((m): [string, string] => {
      if (typeof m === 'string') {
        const parts = m.split(' ');
        if (parts.length === 2) return [parts[0], parts[1]];
      } else if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') {
        return [m[0], m[1]];
      }
      throw new Error(`BPE tokenizer.json: bad merge ${JSON.stringify(m)}`);
    });
    return new BpeTokenizer(vocab, merges, specials, eosId);
  }

  /** Plain text only: a literal "<|endoftext|>" in the text is spelled out, not the eos id. */
  encode(text: string): number[] {
    const out: number[] = [];
    for (const word of preTokenize(text)) {
      let ids = this.cache.get(word);
      if (!ids) {
        ids = this.encodeWord(word);
        if (this.cache.size >= CACHE_LIMIT) this.cache = new Map();
        this.cache.set(word, ids);
      }
      for (const id of ids) out.push(id);
    }
    return out;
  }

  /** GPT-2's bpe(): repeatedly merge the adjacent pair with the lowest rank, everywhere in the word. */
  private encodeWord(word: string): number[] {
    let parts = Array.from(utf8.encode(word), (b) => this.byteIds[b]);
    while (parts.length > 1) {
      let bestRank = Infinity, bestKey = -1, bestId = -1;
      for (let i = 0; i + 1 < parts.length; i++) {
        const r = this.ranks.get(pairKey(parts[i], parts[i + 1]));
        if (r && r[0] < bestRank) { bestRank = r[0]; bestKey = pairKey(parts[i], parts[i + 1]); bestId = r[1]; }
      }
      if (bestKey < 0) break;
      const next: number[] = [];
      for (let i = 0; i < parts.length; i++) {
        if (i + 1 < parts.length && pairKey(parts[i], parts[i + 1]) === bestKey) { next.push(bestId); i++; } else next.push(parts[i]);
      }
      parts = next;
    }
    return parts;
  }

  /** Invalid or cut UTF-8 becomes U+FFFD; specials decode to their names ("<|endoftext|>"). */
  decode(ids: readonly number[]): string {
    let length = 0;
    for (const id of ids) {
      const bytes = this.bytesOf[id];
      if (bytes === undefined) throw new RangeError(`token id ${id} is outside the vocabulary (size ${this.vocabSize})`);
      length += bytes.length;
    }
    const buf = new Uint8Array(length);
    let at = 0;
    let text = '';
    for (const id of ids) {
      if (this.specialIds.has(id)) {
        // Flush first, so a cut character before a special does not swallow it.
        text += utf8Decoder.decode(buf.subarray(0, at)) + this.vocab[id];
        at = 0;
        continue;
      }
      buf.set(this.bytesOf[id], at);
      at += this.bytesOf[id].length;
    }
    return text + utf8Decoder.decode(buf.subarray(0, at));
  }

  /** A token's text in the byte alphabet, as tokenizer.json shows it ("Ġcat"). */
  tokenString(id: number): string {
    return this.vocab[id];
  }

  toJSON(): unknown {
    const added_tokens = [...this.specialIds].sort((a, b) => a - b).map((id) => ({
      id, content: this.vocab[id], single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    }));
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens,
      normalizer: null,
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      post_processor: null,
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        vocab: Object.fromEntries(this.vocab.map((t, i) => [t, i])),
        merges: this.merges.map(([a, b]) => `${a} ${b}`),
      },
    };
  }
}

const CACHE_LIMIT = 100_000;

/** Max-heap of (count, pair): higher count first, then the smaller pair key (lower ids). */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];

  get size(): number {
    return this.counts.length;
  }

  private before(i: number, j: number): boolean {
    const c = this.counts, k = this.keys;
    return c[i] > c[j] || (c[i] === c[j] && k[i] < k[j]);
  }

  private swap(i: number, j: number): void {
    const c = this.counts, k = this.keys;
    [c[i], c[j]] = [c[j], c[i]];
    [k[i], k[j]] = [k[j], k[i]];
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.counts.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  pop(): [number, number] {
    const top: [number, number] = [this.counts[0], this.keys[0]];
    const lastC = this.counts.pop()!, lastK = this.keys.pop()!;
    if (this.counts.length > 0) {
      this.counts[0] = lastC;
      this.keys[0] = lastK;
      let i = 0;
      const n = this.counts.length;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < n && this.before(l, m)) m = l;
        if (r < n && this.before(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}
