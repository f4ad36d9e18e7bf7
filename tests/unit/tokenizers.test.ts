import { describe, expect, it } from 'vitest';
import { generateStories, storyTexts } from '../../src/core/data/storyCorpus.ts';
import { BpeTokenizer, preTokenize } from '../../src/core/tokenizer/bpeTokenizer.ts';
import { CharTokenizer } from '../../src/core/tokenizer/charTokenizer.ts';
import { minVocabSize, tokenizerFromJSON, trainTokenizer } from '../../src/core/tokenizer/tokenizers.ts';

const texts = storyTexts(generateStories(300, 1));
const corpus = texts.join('\n');
const UNICODE = 'Café naïve façade 👋🏽 日本語 "quotes" — 3.14 tabs\tand  spaces\n\nÅngström';

/** JSON.stringify then parse: what a saved tokenizer.json gives back. */
const viaFile = (json: unknown) => JSON.parse(JSON.stringify(json)) as unknown;

/**
 * Textbook BPE training, recounting every pair after each merge: the reference the fast
 * incremental trainer must match (same tie-break: higher count, then lower ids).
 */
function naiveMerges(text: string, vocabSize: number): string[] {
  const bpe = BpeTokenizer.train('', 257); // only for its byte alphabet
  const words = preTokenize(text).map((w) => [...new TextEncoder().encode(w)]);
  const names = Array.from({ length: 257 }, (_, i) => bpe.tokenString(i));
  const merges: string[] = [];
  while (names.length < vocabSize) {
    const counts = new Map<string, number>();
    for (const w of words) for (let i = 0; i + 1 < w.length; i++) {
      const k = `${w[i]},${w[i + 1]}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    let best: [number, number] | null = null;
    let bestCount = 0;
    for (const [k, c] of counts) {
      const [a, b] = k.split(',').map(Number);
      if (c > bestCount || (c === bestCount && best && (a < best[0] || (a === best[0] && b < best[1])))) {
        best = [a, b];
        bestCount = c;
      }
    }
    if (!best) break;
    const id = names.length;
    names.push(names[best[0]] + names[best[1]]);
    merges.push(`${names[best[0]]} ${names[best[1]]}`);
    for (let wi = 0; wi < words.length; wi++) {
      const w = words[wi], out: number[] = [];
      for (let i = 0; i < w.length; i++) {
        if (i + 1 < w.length && w[i] === best[0] && w[i + 1] === best[1]) { out.push(id); i++; } else out.push(w[i]);
      }
      words[wi] = out;
    }
  }
  return merges;
}

describe('CharTokenizer', () => {
  const tok = CharTokenizer.train(corpus);

  it('has the sorted characters, then eos and unk', () => {
    const chars = [...new Set(corpus)].sort();
    expect(tok.vocabSize).toBe(chars.length + 2);
    expect(tok.eosId).toBe(chars.length);
    expect(tok.unkId).toBe(chars.length + 1);
    expect(tok.encode(chars.join(''))).toEqual(chars.map((_, i) => i));
    expect(tok.decode([tok.eosId])).toBe('<|endoftext|>');
  });

  it('round-trips the corpus and maps unknown characters to unk', () => {
    for (const t of texts.slice(0, 50)) expect(tok.decode(tok.encode(t))).toBe(t);
    expect(tok.encode('a€b')).toEqual([tok.encode('a')[0], tok.unkId, tok.encode('b')[0]]);
    const emoji = CharTokenizer.train('a👋b');
    expect(emoji.encode('👋')).toHaveLength(1); // one token per code point, not per UTF-16 unit
  });

  it('saves as a character-level BPE tokenizer.json and loads back identically', () => {
    const json = viaFile(tok.toJSON()) as { model: { type: string; merges: unknown[]; vocab: Record<string, number> }; decoder: { type: string } };
    expect(json.model.type).toBe('BPE');
    expect(json.model.merges).toEqual([]);
    expect(json.decoder.type).toBe('Fuse');
    expect(json.model.vocab['<|endoftext|>']).toBe(tok.eosId);
    const loaded = tokenizerFromJSON(json);
    expect(loaded).toBeInstanceOf(CharTokenizer);
    expect(loaded.vocabSize).toBe(tok.vocabSize);
    const sample = texts[0] + '~€';
    expect(loaded.encode(sample)).toEqual(tok.encode(sample));
  });
});

describe('BpeTokenizer', () => {
  it('learns the textbook merges on "aaabdaaabac"', () => {
    const tok = BpeTokenizer.train('aaabdaaabac', 260);
    const json = tok.toJSON() as { model: { merges: string[]; vocab: Record<string, number> } };
    // aa (4 times) first; then ab and aa+a tie at 2: the pair with lower ids wins.
    expect(json.model.merges).toEqual(['a a', 'a b', 'aa ab']);
    expect(json.model.vocab).toMatchObject({ a: 97, '<|endoftext|>': 256, aa: 257, ab: 258, aaab: 259 });
    expect(tok.vocabSize).toBe(260);
    expect(tok.eosId).toBe(256);
    expect(tok.encode('aaabdaaabac')).toEqual([259, 100, 259, 97, 99]);
    expect(tok.encode('aaaa')).toEqual([257, 257]);
  });

  it('keeps merges inside GPT-2 pre-tokens', () => {
    expect(preTokenize("The cat's hat, 42 times!\n\n  Go")).toEqual(
      ['The', ' cat', "'s", ' hat', ',', ' 42', ' times', '!', '\n\n ', ' Go'],
    );
    const tok = BpeTokenizer.train('ab ab ab', 300);
    const merges = (tok.toJSON() as { model: { merges: string[] } }).model.merges;
    expect(merges).toEqual(['a b', 'Ġ ab']); // never "ab Ġ": a space starts the next pre-token
  });

  it('matches a textbook (recount-everything) trainer', () => {
    const text = texts.slice(0, 40).join('\n') + ' ' + UNICODE;
    const fast = (BpeTokenizer.train(text, 420).toJSON() as { model: { merges: string[] } }).model.merges;
    expect(fast).toEqual(naiveMerges(text, 420));
  });

  it('round-trips the corpus and unicode text', () => {
    const tok = BpeTokenizer.train(corpus, 512);
    expect(tok.vocabSize).toBe(512);
    for (const t of [...texts.slice(0, 50), UNICODE, '', ' ', '\n']) expect(tok.decode(tok.encode(t))).toBe(t);
    expect(tok.encode(texts[0]).length).toBeLessThan(texts[0].length / 2.5);
    // Byte-level: characters never seen in training still encode, one id per byte at worst.
    expect(tok.encode('👋')).toEqual([0xf0, 0x9f, 0x91, 0x8b]);
  });

  it('decodes cut UTF-8 and specials gracefully', () => {
    const tok = BpeTokenizer.train(corpus, 300);
    const ids = tok.encode('é!'); // é = c3 a9
    expect(ids.slice(0, 2)).toEqual([0xc3, 0xa9]);
    expect(tok.decode([0xc3])).toBe('\uFFFD');
    expect(tok.decode([0x61, 0xc3, tok.eosId, 0x62])).toBe('a\uFFFD<|endoftext|>b');
    expect(() => tok.decode([tok.vocabSize])).toThrow(RangeError);
  });

  it('saves GPT-2-style tokenizer.json and loads back identically', () => {
    const tok = BpeTokenizer.train(corpus, 400);
    const json = viaFile(tok.toJSON()) as {
      added_tokens: { id: number; content: string; special: boolean }[];
      pre_tokenizer: { type: string };
      decoder: { type: string };
      model: { type: string; vocab: Record<string, number>; merges: string[] };
    };
    expect(json.pre_tokenizer.type).toBe('ByteLevel');
    expect(json.decoder.type).toBe('ByteLevel');
    expect(json.model.type).toBe('BPE');
    expect(json.added_tokens).toEqual([
      { id: 256, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    ]);
    expect(json.model.vocab['Ġ']).toBe(32); // GPT-2's printable stand-in for the space byte
    expect(json.model.vocab['Ċ']).toBe(10); // ... and for newline
    expect(json.model.merges).toHaveLength(400 - 257);
    expect(Object.keys(json.model.vocab)).toHaveLength(400);

    const loaded = tokenizerFromJSON(json);
    expect(loaded).toBeInstanceOf(BpeTokenizer);
    expect(loaded.vocabSize).toBe(400);
    expect(loaded.eosId).toBe(256);
    for (const t of [texts[1], UNICODE]) expect(loaded.encode(t)).toEqual(tok.encode(t));
    // Newer `tokenizers` write merges as pairs; those load too.
    json.model.merges = json.model.merges.map((m) => m.split(' ')) as unknown as string[];
    expect(tokenizerFromJSON(json).encode(texts[2])).toEqual(tok.encode(texts[2]));
  });

  it('rejects a vocabulary smaller than bytes + end-of-text', () => {
    expect(() => BpeTokenizer.train('abc', 256)).toThrow(RangeError);
    expect(() => BpeTokenizer.train('abc', 256)).toThrow(/at least 257/);
    expect(() => trainTokenizer({ kind: 'bpe', vocabSize: 100 }, 'abc')).toThrow(/at least 257/);
    // A text with fewer pairs than asked for stops early instead of failing.
    expect(BpeTokenizer.train('ab', 1000).vocabSize).toBe(258);
  });

  it('trains on ~300 stories at vocab 1024', () => {
    const tok = BpeTokenizer.train(corpus, 1024);
    expect(tok.vocabSize).toBeGreaterThan(600);
    expect(tok.decode(tok.encode(texts[5]))).toBe(texts[5]);
  });
});

describe('tokenizers', () => {
  it('trains either kind from a spec', () => {
    expect(trainTokenizer({ kind: 'char', vocabSize: 0 }, corpus)).toBeInstanceOf(CharTokenizer);
    const bpe = trainTokenizer({ kind: 'bpe', vocabSize: 300 }, corpus);
    expect(bpe.kind).toBe('bpe');
    expect(bpe.vocabSize).toBe(300);
  });

  it('gives the minimum vocabulary sizes', () => {
    expect(minVocabSize('bpe')).toBe(257);
    expect(minVocabSize('char')).toBe(3);
  });

  it('rejects malformed tokenizer.json with a clear message', () => {
    expect(() => tokenizerFromJSON(null)).toThrow(/JSON object/);
    expect(() => tokenizerFromJSON({})).toThrow(/no "model"/);
    expect(() => tokenizerFromJSON({ model: { type: 'Unigram', vocab: [] } })).toThrow(/unsupported tokenizer.json/);
    expect(() => tokenizerFromJSON({ pre_tokenizer: { type: 'ByteLevel' }, model: { type: 'BPE', vocab: {} } })).toThrow(/merges/);
    expect(() => tokenizerFromJSON({ pre_tokenizer: { type: 'ByteLevel' }, model: { type: 'BPE', vocab: { a: 0 }, merges: [] } }))
      .toThrow(/endoftext/);
    expect(() => tokenizerFromJSON({ model: { type: 'WordLevel', vocab: { a: 0 } } })).toThrow(/last two ids/);
  });
});
