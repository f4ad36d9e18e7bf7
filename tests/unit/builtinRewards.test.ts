import { describe, expect, it } from 'vitest';
import {
  BUILTIN_REWARDS,
  builtinReward,
  formatScore,
  happyWordsScore,
  lengthScore,
  repetitionScore,
  sentimentScore,
  topicScore,
} from '../../src/core/rewards/builtinRewards.ts';

const PROMPT = 'Write a story about a cat.\n';

describe('built-in rewards', () => {
  it('sentiment is tanh(AFINN sum / scale)', () => {
    // happy +3, fun +4 => 7; tanh(7 / 5) = 0.885352.
    expect(sentimentScore('The cat was happy. It was fun.')).toBeCloseTo(0.885352, 5);
    // lost -3, sad -2 => -5; tanh(-5 / 5) = -0.761594.
    expect(sentimentScore('The dog lost the ball and was sad.')).toBeCloseTo(-0.761594, 5);
    // scale 2: tanh(7 / 2) = 0.998178.
    expect(sentimentScore('The cat was happy. It was fun.', 2)).toBeCloseTo(0.998178, 5);
    expect(sentimentScore('The cat sat.')).toBe(0);
  });

  it('happy_words counts each positive word, without limit', () => {
    // happy, good, happy: 3 (sad and "The" count nothing).
    expect(happyWordsScore('The happy cat was good and happy, not sad.')).toBe(3);
    expect(happyWordsScore('happy '.repeat(50))).toBe(50);
    expect(happyWordsScore('')).toBe(0);
  });

  it('topic is 1 when the prompt\'s animal (or its plural) appears, 0 when not, NaN without an animal', () => {
    expect(topicScore(PROMPT, 'The cat sat.')).toBe(1);
    expect(topicScore(PROMPT, 'Two Cats sat.')).toBe(1);
    expect(topicScore(PROMPT, 'The dog sat. It liked to scatter leaves.')).toBe(0);
    expect(topicScore('Write a story.', 'The cat sat.')).toBeNaN();
  });

  it('length is 1 - |words - target| / target, floored at 0', () => {
    expect(lengthScore('one two three four', 4)).toBe(1);
    expect(lengthScore('one two three', 4)).toBeCloseTo(0.75, 10);
    expect(lengthScore('a b c d e f', 4)).toBeCloseTo(0.5, 10);
    expect(lengthScore('a b c d e f g h i j', 4)).toBe(0);
  });

  it('repetition is max_penalty * (1 - distinct n-grams / n-grams)', () => {
    // 'the cat the cat the cat': 5 bigrams (the cat, cat the, the cat, cat the, the cat), 2 distinct:
    // -1 * (1 - 2/5) = -0.6.
    expect(repetitionScore('the cat The cat the cat', 2)).toBeCloseTo(-0.6, 10);
    // Trigrams of 'a b c a b c': abc bca cab abc: 4, 3 distinct => -0.25; with max_penalty -2 => -0.5.
    expect(repetitionScore('a b c a b c', 3)).toBeCloseTo(-0.25, 10);
    expect(repetitionScore('a b c a b c', 3, -2)).toBeCloseTo(-0.5, 10);
    expect(repetitionScore('The cat sat on the mat.', 3)).toBe(0);
    expect(repetitionScore('too short', 3)).toBe(0);
  });

  it('format is 1 only for finished sentences that each start with a capital', () => {
    expect(formatScore('The cat sat. It was happy!')).toBe(1);
    expect(formatScore('  Did the dog run? Yes.\n')).toBe(1);
    expect(formatScore('"Hi!" The cat waved. The end.')).toBe(1);
    expect(formatScore('The cat sat. It was')).toBe(0); // cut off
    expect(formatScore('the cat sat.')).toBe(0); // lower-case start
    expect(formatScore('The cat sat. then it ran.')).toBe(0); // lower-case sentence
    expect(formatScore('')).toBe(0);
    expect(formatScore('...')).toBe(0);
  });

  it('builtinReward scores a batch with its defaults and options, and refuses bad ones', async () => {
    expect(BUILTIN_REWARDS.map((r) => r.name)).toEqual(['sentiment', 'happy_words', 'topic', 'length', 'repetition', 'format']);
    for (const r of BUILTIN_REWARDS) expect(r.description.length).toBeGreaterThan(20);
    const length = builtinReward('length', { target_words: 2 });
    expect(length.name).toBe('length');
    expect(await length.score([PROMPT, PROMPT], ['one two', 'one two three'])).toEqual([1, 0.5]);
    expect(await builtinReward('topic').score([PROMPT, 'Write a story about a dog.'], ['The cat sat.', 'The cat sat.'])).toEqual([1, 0]);
    expect(() => builtinReward('length', { target: 3 })).toThrow(/no option "target"/);
    expect(() => builtinReward('repetition', { n: 0 })).toThrow(/n must be/);
    expect(() => builtinReward('sentiment', { scale: NaN })).toThrow(/scale must be a number/);
    expect(() => builtinReward('nope' as 'length')).toThrow(/unknown built-in reward/);
  });
});
