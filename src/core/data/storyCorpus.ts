/**
 * The built-in corpus: a seeded generator of simple children's stories, written for this
 * project (no external data). Every story is 3-6 sentences over a ~300-word vocabulary and
 * carries the attributes it was built from, so later stages can derive instructions
 * ("Write a happy story about a cat.") and gold preferences (does it end happily?).
 *
 * Shape of a story, one template drawn per slot:
 *   [header]   "Write a story about a cat.\n"          half of the stories; topic only, never the mood
 *   intro      opening + toy, or one sentence for both  introduces name, animal and object
 *   trouble    the object is lost or broken
 *   [feeling]  optional
 *   outcome    happy: a helper, then a happy ending; sad: nobody helps, then a sad ending
 *
 * Happy endings always carry clearly positive words (happy, smiled, fun, hug, ...) and sad
 * ones clearly negative words (sad, cried, alone, lost, ...), so a sentiment lexicon such
 * as AFINN agrees with the `ending` attribute.
 */
import { Rng } from '../rng.ts';

export type Mood = 'happy' | 'sad';

export interface StoryAttributes {
  /** The main character's name, e.g. "Lily". */
  name: string;
  /** The main character's species, e.g. "cat". */
  animal: string;
  /** The requested / realised mood. In the pretraining corpus it always equals `ending`. */
  mood: Mood;
  /** The toy the story is about, e.g. "ball". */
  object: string;
  place: string;
  /** How the story actually ends. */
  ending: Mood;
  /** What happened to the object. */
  trouble: Trouble;
}

export interface Story {
  text: string;
  attributes: StoryAttributes;
}

/**
 * Optional controls, for stages that need stories of a given kind (SFT demonstrations,
 * RLHF prompts). generateStory(rng) with no options is the pretraining distribution.
 */
export interface StoryOptions {
  /** Force the ending (default: happy or sad with equal odds). */
  ending?: Mood;
  /** Force the main animal (must be one of ANIMALS). */
  animal?: string;
  /**
   * The instruction line: 'random' (default) gives half of the stories a topic header,
   * 'topic' always "Write a story about a dog.", 'mood' always "Write a happy story about
   * a dog." (the mood is the ending), 'none' never.
   */
  header?: 'random' | 'topic' | 'mood' | 'none';
  /** Force the toy (must be one of OBJECTS). */
  object?: string;
  /** Force what happens to the toy. */
  trouble?: Trouble;
  /**
   * The shortest form (3 sentences: one-sentence intro, trouble, one-sentence outcome), so a
   * request plus its story fits a 64-token context with the ending (which carries the mood) intact.
   */
  short?: boolean;
}

// ---------------------------------------------------------------------------------------
// Word lists. Adding a word here adds it to STORY_VOCABULARY automatically.

const GIRL_NAMES = ['Lily', 'Mia', 'Lucy', 'Anna', 'Sue', 'Emma', 'Zoe', 'Rosa', 'Kim', 'Daisy', 'Ella', 'Amy'] as const;
const BOY_NAMES = ['Tom', 'Ben', 'Max', 'Sam', 'Leo', 'Jack', 'Tim', 'Bob', 'Finn', 'Joe', 'Dan', 'Ned'] as const;
export const ANIMALS = ['cat', 'dog', 'bunny', 'bear', 'fox', 'duck', 'mouse', 'pig', 'lion', 'puppy', 'kitten', 'hen'] as const;
/** Animals that help; never the same word as a main animal, so "the frog" is always the helper. */
const HELPERS = ['frog', 'bird', 'turtle', 'squirrel', 'horse', 'goat', 'sheep', 'owl', 'elephant', 'cow', 'deer', 'ant'] as const;
const SIZES = ['little', 'small', 'tiny', 'big', 'young', 'fluffy', 'spotted', 'sleepy'] as const;
const COLORS = ['red', 'blue', 'green', 'yellow', 'pink', 'orange', 'purple', 'white', 'brown', 'shiny', 'gold', 'black'] as const;
export const OBJECTS = ['ball', 'kite', 'hat', 'book', 'boat', 'drum', 'doll', 'car', 'balloon', 'cup', 'bike', 'train', 'robot', 'blanket', 'wagon', 'whistle'] as const;
const PLACES = ['garden', 'park', 'forest', 'yard', 'field', 'meadow', 'beach', 'farm', 'woods', 'village', 'hill', 'town', 'valley'] as const;
const HAZARDS = ['pond', 'river', 'lake', 'mud', 'hole', 'bushes', 'sea', 'tall grass'] as const;
/** Helper adjectives: all clearly positive, so every helper sentence reads as kind. */
const KIND = ['kind', 'friendly', 'wise', 'clever', 'nice', 'good', 'gentle'] as const;
const PLACE_ADJ = ['quiet', 'sunny', 'green', 'small', 'pretty'] as const;
const DAYS = ['One day,', 'One sunny day,', 'One morning,', 'But one day,', 'Then one day,'] as const;

// ---------------------------------------------------------------------------------------
// Templates. {key} is replaced from the story's slots; {He}/{His} are sentence-initial.

export type Trouble = 'lost' | 'broken';

interface Template {
  text: string;
  /** Which trouble this sentence fits; absent: any. */
  trouble?: Trouble;
}

const HEADERS = [
  'Write a story about a {animal}.',
  'Tell me a story about a {animal}.',
  'Write a short story about a {animal}.',
] as const;
const MOOD_HEADER = 'Write a {mood} story about a {animal}.';

const OPENINGS = [
  'Once upon a time, there was a {size} {animal} named {name}.',
  'Once upon a time, there was a {size} {animal} called {name}.',
  'There once was a {size} {animal} named {name} who lived near the {place}.',
  'Once upon a time, in a {placeAdj} {place}, there lived a {size} {animal} named {name}.',
  '{name} was a {size} {animal} who lived in a little house by the {place}.',
  'In a {placeAdj} {place}, there was a {size} {animal} named {name} who sang every morning.',
] as const;

const TOYS = [
  '{name} loved to play with {his} {color} {object} in the {place}.',
  '{name} had a {color} {object} and took it everywhere.',
  'Every day, {name} played with {his} {color} {object} in the {place}.',
  '{His} favorite toy was a {color} {object}.',
  '{name} liked {his} {color} {object} more than anything.',
  '{He} had a {color} {object} that {his} mom gave {him}.',
  'Each morning, {name} ran to the {place} with {his} {color} {object}.',
] as const;

/** Opening and toy in one sentence, for the shortest stories. */
const INTROS = [
  'Once upon a time, a {size} {animal} named {name} had a {color} {object}.',
  'There was once a {size} {animal} named {name} who loved {his} {color} {object}.',
  '{name} the {animal} had a {color} {object} and played with it every day.',
] as const;

const TROUBLES: readonly Template[] = [
  { text: '{day} the {object} fell into the {hazard}.', trouble: 'lost' },
  { text: '{day} a big wind blew the {object} far away.', trouble: 'lost' },
  { text: '{day} the {object} landed in a tall tree.', trouble: 'lost' },
  { text: '{day} {name} could not find {his} {object} anywhere.', trouble: 'lost' },
  { text: '{day} a big crow took the {object} and flew away with it.', trouble: 'lost' },
  { text: '{day} {name} left the {object} outside, and the rain washed it away.', trouble: 'lost' },
  { text: '{day} {name} dropped the {object}, and it broke.', trouble: 'broken' },
  { text: '{day} {name} sat on the {object} by mistake, and it broke.', trouble: 'broken' },
  { text: '{day} the {object} hit a rock and broke into two pieces.', trouble: 'broken' },
  { text: '{day} {name} stepped on the {object}, and it cracked.', trouble: 'broken' },
];

const FEELINGS = [
  '{name} was sad.',
  '{name} felt very sad.',
  '{name} did not know what to do.',
  "'Oh no!' said {name}.",
  '{He} began to cry.',
  "'Oh no, my {object}!' said {name}.",
  'Tears filled {his} eyes.',
  '{name} was very upset.',
] as const;

// Happy outcome: a helper sentence, then an ending (or one sentence for both).
const HELPS: readonly Template[] = [
  { text: 'Then a {kind} {helper} helped {him} get the {object} back.', trouble: 'lost' },
  { text: 'Soon a {kind} {helper} found the {object} and gave it back to {name}.', trouble: 'lost' },
  { text: 'Then a {kind} {helper} helped {him} fix it with some glue.', trouble: 'broken' },
  { text: 'A {kind} {helper} came and fixed the {object} for {him}.', trouble: 'broken' },
  { text: "A {kind} {helper} saw this and said, 'I can help you!'" },
  { text: '{His} friend, a {kind} {helper}, came to help right away.' },
  { text: 'Just then, a {kind} {helper} walked by and offered to help.' },
  { text: 'A {kind} {helper} heard {name} and came running to help.' },
];
const HAPPY_ENDINGS = [
  '{name} smiled and was happy again.',
  "'Thank you!' said {name}, and {he} smiled a big happy smile.",
  'They played together all day and had lots of fun.',
  '{name} laughed and gave the {helper} a big happy hug.',
  'From that day on, they were best friends, and {name} was very happy.',
  '{name} was so glad, and {he} loved {his} {object} even more.',
  '{name} jumped for joy and thanked the {helper}.',
  'Now {name} and the {helper} are best friends, and they have lots of fun.',
  'It was the best day ever, and {name} was happy.',
] as const;
const HAPPY_OUTCOMES: readonly Template[] = [
  { text: 'Then a {kind} {helper} helped {him} get it back, and {name} smiled and was happy again.', trouble: 'lost' },
  { text: 'Then a {kind} {helper} helped {him} fix it, and {name} was happy and laughed.', trouble: 'broken' },
  { text: 'A {kind} {helper} came to help, and soon they were happy friends having fun.' },
];

// Sad outcome: nobody helps, then an ending (or one sentence for both).
const SAD_TURNS: readonly Template[] = [
  { text: '{name} looked and looked, but the {object} was lost.', trouble: 'lost' },
  { text: '{name} waited by the {hazard} all day, but the {object} was lost.', trouble: 'lost' },
  { text: '{name} tried to fix it, but it was still broken, and {he} felt bad.', trouble: 'broken' },
  { text: 'Nobody could fix the {object}, and {name} felt very sad.', trouble: 'broken' },
  { text: '{name} called and called, but nobody came, and {he} felt scared.' },
];
const SAD_ENDINGS = [
  '{He} cried and went home alone.',
  '{name} was very sad and lonely that night.',
  '{He} sat down alone and cried.',
  'It was a bad day, and {name} felt sad for a long time.',
  '{name} missed {his} {object} and cried all night.',
  '{name} went to bed sad and alone, thinking of {his} {object}.',
  '{name} walked home slowly, feeling sad and alone.',
  'That night, {name} was too sad and lonely to sleep.',
  'It was the worst day, and {name} cried and cried.',
] as const;
const SAD_OUTCOMES: readonly Template[] = [
  { text: '{name} never found the {object}, so {he} cried and went home sad and alone.', trouble: 'lost' },
  { text: 'The {object} was broken forever, and {name} cried and felt sad all day.', trouble: 'broken' },
  { text: 'Nobody came, and {name} went home sad and lonely, with tears in {his} eyes.' },
];

// ---------------------------------------------------------------------------------------

type Slots = Record<string, string>;

/** "a owl" -> "an owl": the only grammar rule the slots can break. */
function fixArticles(text: string): string {
  return text.replace(/\b([Aa]) (?=[aeiou])/g, '$1n ');
}

function fill(template: string, slots: Slots): string {
  return fixArticles(template.replace(/\{(\w+)\}/g, (_, key: string) => {
    const value = slots[key];
    if (value === undefined) throw new Error(`story template slot {${key}} has no value`);
    return value;
  }));
}

function pickFor(rng: Rng, templates: readonly Template[], trouble: Trouble): string {
  return rng.pick(templates.filter((t) => t.trouble === undefined || t.trouble === trouble)).text;
}

/** The instruction line for a story request, e.g. "Write a happy story about a dog.\n". */
export function storyPrompt(animal: string, mood?: Mood): string {
  const line = mood === undefined ? HEADERS[0] : MOOD_HEADER;
  return fill(line, { animal, mood: mood ?? '' }) + '\n';
}

/** One story; draws from `rng` in a fixed order, so a seed gives the same stories. */
export function generateStory(rng: Rng, options: StoryOptions = {}): Story {
  const ending: Mood = options.ending ?? (rng.next() < 0.5 ? 'happy' : 'sad');
  const header = options.header ?? 'random';
  const withHeader = header === 'random' ? rng.next() < 0.5 : header !== 'none';

  const isGirl = rng.next() < 0.5;
  const animal = options.animal ?? rng.pick(ANIMALS);
  const slots: Slots = {
    name: rng.pick(isGirl ? GIRL_NAMES : BOY_NAMES),
    animal,
    he: isGirl ? 'she' : 'he',
    He: isGirl ? 'She' : 'He',
    him: isGirl ? 'her' : 'him',
    his: isGirl ? 'her' : 'his',
    His: isGirl ? 'Her' : 'His',
    size: rng.pick(SIZES),
    color: rng.pick(COLORS),
    object: options.object ?? rng.pick(OBJECTS),
    place: rng.pick(PLACES),
    placeAdj: rng.pick(PLACE_ADJ),
    hazard: rng.pick(HAZARDS),
    helper: rng.pick(HELPERS),
    kind: rng.pick(KIND),
    day: rng.pick(DAYS),
    mood: ending,
  };

  const sentences: string[] = [];
  if (options.short || rng.next() < 0.25) {
    sentences.push(rng.pick(INTROS));
  } else {
    sentences.push(rng.pick(OPENINGS), rng.pick(TOYS));
  }
  const trouble = rng.pick(options.trouble ? TROUBLES.filter((t) => t.trouble === options.trouble) : TROUBLES);
  sentences.push(trouble.text);
  const troubleKind = trouble.trouble ?? 'lost';
  if (!options.short && rng.next() < 0.5) sentences.push(rng.pick(FEELINGS));
  const short = options.short || rng.next() < 0.3;
  if (ending === 'happy') {
    if (short) sentences.push(pickFor(rng, HAPPY_OUTCOMES, troubleKind));
    else sentences.push(pickFor(rng, HELPS, troubleKind), rng.pick(HAPPY_ENDINGS));
  } else {
    if (short) sentences.push(pickFor(rng, SAD_OUTCOMES, troubleKind));
    else sentences.push(pickFor(rng, SAD_TURNS, troubleKind), rng.pick(SAD_ENDINGS));
  }

  let text = sentences.map((s) => fill(s, slots)).join(' ');
  if (withHeader) {
    const line = header === 'mood' ? MOOD_HEADER : rng.pick(HEADERS);
    text = fill(line, slots) + '\n' + text;
  }
  return {
    text,
    attributes: { name: slots.name, animal, mood: ending, object: slots.object, place: slots.place, ending, trouble: troubleKind },
  };
}

/** `count` stories from `seed`: the same seed always gives the same list. */
export function generateStories(count: number, seed: number): Story[] {
  const rng = new Rng(seed);
  const stories: Story[] = [];
  for (let i = 0; i < count; i++) stories.push(generateStory(rng));
  return stories;
}

/**
 * The training documents: one text per story. Stories are not joined with blank lines;
 * the trainer appends the end-of-text token after each document.
 */
export function storyTexts(stories: Story[]): string[] {
  return stories.map((s) => s.text);
}

/** Lowercased words of a text; an apostrophe inside a word belongs to it ("don't"). */
export function storyWords(text: string): string[] {
  return text.toLowerCase().match(/[a-z]+(?:'[a-z]+)*/g) ?? [];
}

/**
 * Every word the generator can emit. Computed from the templates: each template is
 * expanded once per value of each of its slots, with the other slots blanked, so words
 * that glue a slot to its neighbours (and "an" from fixArticles) are included too.
 */
function collectVocabulary(): Set<string> {
  const values: Record<string, readonly string[]> = {
    name: [...GIRL_NAMES, ...BOY_NAMES],
    animal: ANIMALS,
    he: ['he', 'she'], He: ['He', 'She'], him: ['him', 'her'], his: ['his', 'her'], His: ['His', 'Her'],
    size: SIZES, color: COLORS, object: OBJECTS, place: PLACES, placeAdj: PLACE_ADJ,
    hazard: HAZARDS, helper: HELPERS, kind: KIND, day: DAYS, mood: ['happy', 'sad'],
  };
  const templates: string[] = [
    ...HEADERS, MOOD_HEADER, ...OPENINGS, ...TOYS, ...INTROS, ...FEELINGS, ...HAPPY_ENDINGS, ...SAD_ENDINGS,
    ...[TROUBLES, HELPS, HAPPY_OUTCOMES, SAD_TURNS, SAD_OUTCOMES].flatMap((ts) => ts.map((t) => t.text)),
  ];
  const words = new Set<string>();
  const blank = (t: string) => t.replace(/\{(\w+)\}/g, ' ');
  for (const template of templates) {
    for (const w of storyWords(fixArticles(blank(template)))) words.add(w);
    for (const key of new Set([...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))) {
      for (const value of values[key]) {
        const one = template.replaceAll(`{${key}}`, value);
        for (const w of storyWords(fixArticles(blank(one)))) words.add(w);
      }
    }
  }
  return words;
}

export const STORY_VOCABULARY: ReadonlySet<string> = collectVocabulary();

/** Fixed prompts for the samples panel: a story opening, a topic, and two instructions. */
export const SAMPLE_PROMPTS: string[] = [
  'Once upon a time,',
  'The dog',
  'Write a story about a cat.\n',
  'Write a happy story about a bunny.\n',
];
