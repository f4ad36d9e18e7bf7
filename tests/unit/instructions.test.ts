import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  SFT_SAMPLE_PROMPTS,
  approximateTokens,
  buildInstructionSet,
  endingMood,
  instructionPrompts,
  requestedMood,
} from '../../src/core/data/instructions.ts';
import { STORY_VOCABULARY, generateStories, storyWords } from '../../src/core/data/storyCorpus.ts';
import { tokenizerFromJSON } from '../../src/core/tokenizer/tokenizers.ts';

const baseTokenizer = tokenizerFromJSON(JSON.parse(readFileSync('public/base/tokenizer.json', 'utf8')));

/** FNV-1a over the text, a fingerprint of the pretraining stream. */
function fingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16);
}

describe('built-in instruction sets', () => {
  it('leave the pretraining stream exactly as it was (the shipped base was trained on it)', () => {
    // Recorded before StoryOptions gained object / trouble / short.
    expect(fingerprint(generateStories(3000, 1).map((s) => s.text).join('\u0000'))).toBe('4139df42');
  });

  it('write stories with exactly the requested attributes', () => {
    const set = buildInstructionSet({ count: 300, seed: 4, kind: 'mood_topic_object' });
    for (const { prompt, completion, attributes: a } of set) {
      expect(prompt).toMatch(/^Write a (happy|sad) story about an? \w+ who (lost|broke) an? \w+\.\n$/);
      expect(requestedMood(prompt)).toBe(a.mood);
      expect(a.ending).toBe(a.mood);
      expect(endingMood(completion)).toBe(a.mood);
      expect(storyWords(completion)).toContain(a.animal);
      expect(storyWords(completion)).toContain(a.object);
      expect(prompt).toContain(a.trouble === 'lost' ? ' who lost ' : ' who broke ');
    }
    expect(set[0]).toEqual(buildInstructionSet({ count: 1, seed: 4, kind: 'mood_topic_object' })[0]);
  });

  it('has the three kinds of request, balanced moods, and only corpus words', () => {
    const mixed = buildInstructionSet({ count: 600, seed: 1, kind: 'mixed' });
    const kinds = new Set(mixed.map((e) => e.attributes.kind));
    expect([...kinds].sort()).toEqual(['mood_topic', 'mood_topic_object', 'topic']);
    for (const e of mixed.filter((x) => x.attributes.kind === 'topic')) {
      expect(e.prompt).toBe(`Write a story about a${/^[aeiou]/.test(e.attributes.animal) ? 'n' : ''} ${e.attributes.animal}.\n`);
      expect(e.attributes.mood).toBeUndefined();
    }
    const happy = mixed.filter((e) => e.attributes.ending === 'happy').length / mixed.length;
    expect(happy).toBeGreaterThan(0.42);
    expect(happy).toBeLessThan(0.58);
    for (const e of mixed) for (const w of storyWords(e.prompt + e.completion)) expect(STORY_VOCABULARY.has(w)).toBe(true);
    for (const p of SFT_SAMPLE_PROMPTS) for (const w of storyWords(p)) expect(STORY_VOCABULARY.has(w)).toBe(true);
  });

  it('fit the base context: prompt + completion + end-of-text <= maxTokens, counted by the tokenizer', () => {
    for (const maxTokens of [64, 56]) {
      const set = buildInstructionSet({ count: 200, seed: 2, kind: 'mixed', maxTokens, tokenizer: baseTokenizer });
      for (const e of set) expect(baseTokenizer.encode(e.prompt).length + baseTokenizer.encode(e.completion).length + 1).toBeLessThanOrEqual(maxTokens);
    }
    // Without a tokenizer the estimate matches the base BPE (one token per word or mark).
    const e = buildInstructionSet({ count: 1, seed: 9 })[0];
    expect(approximateTokens(e.prompt + e.completion)).toBe(baseTokenizer.encode(e.prompt + e.completion).length);
    expect(() => buildInstructionSet({ count: 1, seed: 1, maxTokens: 20 })).toThrow(/no story fits 20 tokens/);
  });

  it('instructionPrompts gives the requests and what they ask, without the answers', () => {
    const prompts = instructionPrompts(20, 3);
    expect(prompts).toHaveLength(20);
    for (const p of prompts) {
      expect(p.prompt).toMatch(/^Write a (happy|sad) story about an? \w+\.\n$/);
      expect(p.attributes).toEqual({ kind: 'mood_topic', animal: expect.any(String), mood: requestedMood(p.prompt) });
    }
    expect(instructionPrompts(20, 3)).toEqual(prompts);
    expect(instructionPrompts(5, 3, 'topic').every((p) => !('mood' in p.attributes))).toBe(true);
  });

  it('reads the mood a story ends in from its last sentence', () => {
    expect(endingMood('The ball broke. Tom smiled and was happy again.')).toBe('happy');
    expect(endingMood('The ball was lost. He sat down alone and cried.')).toBe('sad');
    expect(endingMood('The ball was lost. Then the cat ran home.')).toBeNull();
    expect(requestedMood('Write a story about a cat.\n')).toBeNull();
  });
});
