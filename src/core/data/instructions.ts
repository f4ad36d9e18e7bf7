/**
 * Built-in instruction data for supervised fine-tuning, derived from the story corpus's known
 * attributes: the request names some of a story's attributes ("Write a happy story about a cat
 * who lost a ball.") and the demonstration is a story generated with exactly those attributes.
 *
 * The shipped base model has a 64-token context, and the mood lives in a story's last sentence,
 * so demonstrations use the corpus's shortest form (three sentences) and are redrawn until the
 * request, the story and the end-of-text token fit `maxTokens`.
 */
import { Rng } from '../rng.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { generateStory, storyPrompt, storyWords, type Mood, type Story, type Trouble } from './storyCorpus.ts';

/**
 * What the request names: the topic (animal) only; the mood and the topic; or the mood, the topic
 * and what happened to which toy. 'mixed' draws one of the three per example.
 */
export type InstructionKind = 'topic' | 'mood_topic' | 'mood_topic_object' | 'mixed';

export const INSTRUCTION_KINDS: readonly InstructionKind[] = ['topic', 'mood_topic', 'mood_topic_object', 'mixed'];

export interface InstructionSpec {
  count: number;
  seed: number;
  /** Default 'mood_topic': the request the base model does not yet follow. */
  kind?: InstructionKind;
  /** Prompt + completion + end-of-text must fit this many tokens (default 64, the base context). */
  maxTokens?: number;
  /** Counts tokens exactly; without it, words and punctuation marks are counted (~1 BPE token each). */
  tokenizer?: Tokenizer;
}

export interface InstructionExample {
  prompt: string;
  completion: string;
  /** What the request asked for (animal; mood, object and trouble when named) plus the story's ending. */
  attributes: Record<string, string>;
}

export const DEFAULT_MAX_TOKENS = 64;
/** Redraws per example before giving up on a too-small token budget. */
const MAX_TRIES = 200;

/** "Write a happy story about a cat who lost a ball.\n" / "... a dog who broke a kite.\n" */
export function objectPrompt(animal: string, mood: Mood, object: string, trouble: Trouble): string {
  const verb = trouble === 'lost' ? 'lost' : 'broke';
  return `Write a ${mood} story about a${/^[aeiou]/.test(animal) ? 'n' : ''} ${animal} who ${verb} a${/^[aeiou]/.test(object) ? 'n' : ''} ${object}.\n`;
}

/** Rough token count for a BPE whose tokens are whole words: words, punctuation marks and newlines. */
export function approximateTokens(text: string): number {
  return text.match(/[A-Za-z]+|[^\sA-Za-z]|\n/g)?.length ?? 0;
}

function promptFor(kind: Exclude<InstructionKind, 'mixed'>, story: Story): { prompt: string; asked: Record<string, string> } {
  const a = story.attributes;
  if (kind === 'topic') return { prompt: storyPrompt(a.animal), asked: { animal: a.animal } };
  if (kind === 'mood_topic') return { prompt: storyPrompt(a.animal, a.ending), asked: { animal: a.animal, mood: a.ending } };
  return { prompt: objectPrompt(a.animal, a.ending, a.object, a.trouble), asked: { animal: a.animal, mood: a.ending, object: a.object, trouble: a.trouble } };
}

/** `count` (prompt, completion) pairs; the same spec always gives the same list. */
export function buildInstructionSet(spec: InstructionSpec): InstructionExample[] {
  const kind = spec.kind ?? 'mood_topic';
  const maxTokens = spec.maxTokens ?? DEFAULT_MAX_TOKENS;
  const count = (text: string) => (spec.tokenizer ? spec.tokenizer.encode(text).length : approximateTokens(text));
  const rng = new Rng(spec.seed);
  const out: InstructionExample[] = [];
  for (let i = 0; i < spec.count; i++) {
    const k = kind === 'mixed' ? rng.pick(['topic', 'mood_topic', 'mood_topic_object'] as const) : kind;
    let made: InstructionExample | null = null;
    for (let t = 0; t < MAX_TRIES && !made; t++) {
      const story = generateStory(rng, { header: 'none', short: true });
      const { prompt, asked } = promptFor(k, story);
      // +1: the end-of-text token the trainer appends after the completion.
      if (count(prompt) + count(story.text) + 1 > maxTokens) continue;
      made = { prompt, completion: story.text, attributes: { kind: k, ...asked, ending: story.attributes.ending } };
    }
    if (!made) throw new Error(`no story fits ${maxTokens} tokens with its request; allow more tokens (a longer context)`);
    out.push(made);
  }
  return out;
}

/** Requests without answers (for sampling completions to compare), with what each asks for. */
export function instructionPrompts(count: number, seed: number, kind: InstructionKind = 'mood_topic'): { prompt: string; attributes: Record<string, string> }[] {
  return buildInstructionSet({ count, seed, kind, maxTokens: Number.POSITIVE_INFINITY }).map(({ prompt, attributes }) => {
    const { ending: _ending, ...asked } = attributes;
    return { prompt, attributes: asked };
  });
}

/** Fixed requests for the before/after samples of SFT: each mood, a named toy, and a topic only. */
export const SFT_SAMPLE_PROMPTS: string[] = [
  storyPrompt('cat', 'happy'),
  storyPrompt('dog', 'sad'),
  objectPrompt('bunny', 'happy', 'kite', 'lost'),
  objectPrompt('fox', 'sad', 'ball', 'broken'),
];

const HAPPY_WORDS = new Set(['happy', 'smiled', 'smile', 'laughed', 'fun', 'hug', 'glad', 'best', 'joy', 'thanked', 'thank', 'friends', 'loved']);
const SAD_WORDS = new Set(['sad', 'cried', 'alone', 'lonely', 'bad', 'worst', 'tears', 'missed', 'scared', 'never']);

/**
 * The mood a story ends in, read from its last sentence's clearly happy or sad words (the corpus
 * ends every story with such words); null when the sentence has neither or both.
 */
export function endingMood(text: string): Mood | null {
  const sentences = text.trim().split(/(?<=[.!?]'?)\s+/);
  const last = storyWords(sentences.at(-1) ?? '');
  const happy = last.some((w) => HAPPY_WORDS.has(w));
  const sad = last.some((w) => SAD_WORDS.has(w));
  return happy === sad ? null : happy ? 'happy' : 'sad';
}

/** The mood a prompt asks for ("Write a happy story ..."), or null when it names none. */
export function requestedMood(prompt: string): Mood | null {
  const m = /\b(happy|sad) story\b/.exec(prompt);
  return m ? (m[1] as Mood) : null;
}
