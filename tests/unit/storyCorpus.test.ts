import { describe, expect, it } from 'vitest';
import {
  ANIMALS,
  SAMPLE_PROMPTS,
  STORY_VOCABULARY,
  generateStories,
  generateStory,
  storyPrompt,
  storyTexts,
  storyWords,
} from '../../src/core/data/storyCorpus.ts';
import { Rng } from '../../src/core/rng.ts';

const stories = generateStories(2000, 1);

/** The story without its instruction line. */
const body = (text: string) => text.slice(text.indexOf('\n') + 1);

/** Sentences end in . or ! (maybe inside a closing quote) before a capital, a quote or the end. */
const sentenceCount = (text: string) => body(text).match(/[.!]'?(?= [A-Z']|$)/g)?.length ?? 0;

// A few AFINN-165 scores, to check that a lexicon scorer agrees with `ending`.
const AFINN_LIKE: Record<string, number> = {
  happy: 3, love: 3, loved: 3, liked: 2, favorite: 2, smiled: 2, smile: 2, laughed: 1, fun: 4, glad: 3,
  hug: 2, thank: 2, thanked: 2, best: 3, kind: 2, friendly: 2, nice: 3, good: 3, clever: 2, help: 2, joy: 3,
  sad: -2, cried: -2, cry: -1, alone: -2, lonely: -2, lost: -3, bad: -3, worst: -3, missed: -2, tears: -2,
  broken: -1, broke: -1, scared: -2, upset: -2, no: -1, naughty: -3, stuck: -2,
};
const lexiconScore = (text: string) => storyWords(text).reduce((s, w) => s + (AFINN_LIKE[w] ?? 0), 0);

describe('story corpus', () => {
  it('is deterministic for a seed', () => {
    expect(generateStories(50, 7)).toEqual(generateStories(50, 7));
    expect(generateStories(50, 8)).not.toEqual(generateStories(50, 7));
    expect(storyTexts(stories.slice(0, 3))).toEqual(stories.slice(0, 3).map((s) => s.text));
  });

  it('writes what its attributes say', () => {
    for (const { text, attributes: a } of stories) {
      expect(text).toContain(a.name);
      expect(body(text)).toContain(a.animal);
      expect(text).toContain(a.object);
      expect(a.mood).toBe(a.ending);
      expect(ANIMALS).toContain(a.animal);
      const header = text.includes('\n') ? text.slice(0, text.indexOf('\n')) : null;
      if (header !== null) {
        expect(header).toContain(`about a ${a.animal}.`);
        expect(header).not.toMatch(/happy|sad/); // the base corpus never asks for a mood
      }
    }
  });

  it('balances endings and headers, and keeps stories 3-6 sentences', () => {
    const happy = stories.filter((s) => s.attributes.ending === 'happy').length / stories.length;
    const headed = stories.filter((s) => s.text.includes('\n')).length / stories.length;
    expect(happy).toBeGreaterThan(0.45);
    expect(happy).toBeLessThan(0.55);
    expect(headed).toBeGreaterThan(0.45);
    expect(headed).toBeLessThan(0.55);
    const counts = new Set(stories.map((s) => sentenceCount(s.text)));
    expect([...counts].sort()).toEqual([3, 4, 5, 6]);
  });

  it('uses plain ASCII and no blank lines', () => {
    for (const { text } of stories) {
      expect(text).toMatch(/^[\x20-\x7e\n]+$/);
      expect(text).not.toContain('\n\n');
      expect(text).not.toMatch(/\ba [aeiou]/i); // "an owl", never "a owl"
    }
  });

  it('ends happy stories with positive words and sad ones with negative words', () => {
    const positive = /\b(happy|smiled|laughed|love|fun|friends?|hug|glad|best|joy|thanked)\b/;
    const negative = /\b(sad|cried|lost|alone|lonely|bad|worst|tears|broken)\b/;
    for (const { text, attributes } of stories) {
      const last = text.slice(text.lastIndexOf('.', text.length - 3) + 1);
      if (attributes.ending === 'happy') {
        expect(last).toMatch(positive);
        expect(lexiconScore(text)).toBeGreaterThan(0);
      } else {
        expect(last).toMatch(negative);
        expect(lexiconScore(text)).toBeLessThan(0);
      }
    }
  });

  it('emits only words of STORY_VOCABULARY, and nearly all of them', () => {
    expect(STORY_VOCABULARY.size).toBeGreaterThanOrEqual(250);
    expect(STORY_VOCABULARY.size).toBeLessThanOrEqual(350);
    const seen = new Set<string>();
    for (const { text } of stories) for (const w of storyWords(text)) seen.add(w);
    expect([...seen].filter((w) => !STORY_VOCABULARY.has(w))).toEqual([]);
    expect(seen.size / STORY_VOCABULARY.size).toBeGreaterThan(0.95);
    for (const prompt of SAMPLE_PROMPTS) {
      for (const w of storyWords(prompt)) expect(STORY_VOCABULARY.has(w)).toBe(true);
    }
  });

  it('honours options for instruction-following data', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 50; i++) {
      const s = generateStory(rng, { ending: 'sad', animal: 'fox', header: 'mood' });
      expect(s.text.startsWith('Write a sad story about a fox.\n')).toBe(true);
      expect(s.attributes).toMatchObject({ ending: 'sad', mood: 'sad', animal: 'fox' });
    }
    expect(generateStory(rng, { header: 'none' }).text).not.toContain('\n');
    expect(storyPrompt('cat', 'happy')).toBe('Write a happy story about a cat.\n');
    expect(storyPrompt('cat')).toBe('Write a story about a cat.\n');
  });
});
