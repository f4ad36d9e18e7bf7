/**
 * The page's settings as a link, as TensorFlow Playground keeps its state in the URL: the stage on
 * screen, each stage's settings where they differ from its defaults (`grpo.beta=0.1`), and the
 * controls a teacher hides (`hide=grpo.beta,ppo.advanced`), and the guided lesson being followed
 * (`lesson=kl-penalty&step=2`, the step counted from 1). The starting checkpoints and reward
 * choices (`ppo.from=sft:My run`, `grpo.reward.1=gold`) are read and written by urlChoices.ts.
 * Pure: runs in Node for the tests.
 *
 * Reading a link never throws and never trusts it: unknown keys, values of the wrong type, values
 * the stage's own validator rejects, repeated keys and anything past the size caps are left out,
 * each with a reason the page shows, and those settings keep their defaults.
 */
import { defaultDpoRunConfig, validateDpoRunConfig, type DpoRunConfig } from '../core/dpo/dpoConfig.ts';
import { defaultGrpoConfig, validateGrpoConfig, type GroupMethod, type GrpoConfig } from '../core/grpo/grpoConfig.ts';
import { MODEL_PRESETS } from '../core/model/config.ts';
import { defaultPpoRunConfig, validatePpoRunConfig, type PpoRunConfig } from '../core/ppo/ppoRunConfig.ts';
import { defaultRewardConfig, type RewardConfig } from '../core/reward/rewardConfig.ts';
import { validateRewardConfig } from '../core/reward/rewardValidate.ts';
import { defaultSftConfig, validateSftConfig, type SftConfig } from '../core/sft/sftConfig.ts';
import { defaultPretrainConfig } from '../core/train/defaults.ts';
import type { PretrainConfig } from '../core/train/pretrainConfig.ts';
import { validatePretrainConfig, type FieldError } from '../core/train/validate.ts';
import { lessonById } from './lessons.ts';
import { STAGES, type StageId } from './stages.ts';
import { choiceEntries, isChoiceKey, readChoices, valueCap, type LinkChoices } from './urlChoices.ts';
import { NUMBER_TEXT, readNumber, shortKey } from './urlValues.ts';

/** Past this many characters of query the rest is ignored (a link is not a place for a megabyte). */
export const MAX_QUERY_CHARS = 8192;
/** A longer single value is ignored: no setting needs one. */
export const MAX_VALUE_CHARS = 200;
/** The hide list may name many controls, so it has its own cap. */
export const MAX_HIDE_CHARS = 2000;

/** The GRPO tab's method lives beside its config in the form; in a link it is one more setting. */
export type GrpoUrlSettings = GrpoConfig & { method: GroupMethod };

export interface StageConfigs {
  pretrain: PretrainConfig;
  sft: SftConfig;
  reward: RewardConfig;
  ppo: PpoRunConfig;
  grpo: GrpoUrlSettings;
  dpo: DpoRunConfig;
}
export type UrlPrefix = keyof StageConfigs;

/** How a value is written: inferred from the default, or named where the default cannot tell (null, 'all'). */
type ValueKind = 'number' | 'number?' | 'boolean' | 'string' | 'strings' | 'numbers?' | 'number|string';

interface StageSpec<C> {
  stage: StageId;
  defaults(read: ReadonlyMap<string, string>): C;
  validate(config: C): FieldError[];
  /** Kinds the default value cannot tell. */
  kinds?: Record<string, ValueKind>;
  /** Fields a link may not set (what the form builds itself, or what needs a file). */
  skip?: readonly string[];
  /** Makes accepted values agree with each other the way the form would (a preset and its shape). */
  settle?(config: C, given: ReadonlySet<string>): void;
}

const PRESET_NAMES = Object.keys(MODEL_PRESETS);
const MODEL_KEYS = ['n_layer', 'n_embd', 'n_head', 'n_positions'] as const;

const SPECS: { [P in UrlPrefix]: StageSpec<StageConfigs[P]> } = {
  pretrain: {
    stage: 'pretrain',
    defaults: defaultPretrainConfig,
    validate: (c) => {
      const errors = validatePretrainConfig(c);
      if (c.model_preset !== 'custom' && !PRESET_NAMES.includes(c.model_preset)) errors.push({ field: 'model_preset', message: `must be one of ${PRESET_NAMES.join(', ')}, custom` });
      return errors;
    },
    // An uploaded text cannot travel in a link.
    skip: ['corpus.kind'],
    settle(c, given) {
      const preset = c.model_preset === 'custom' ? undefined : MODEL_PRESETS[c.model_preset];
      if (!preset) return;
      // A preset named without a shape takes the preset's shape; a shape unlike the preset's is 'custom'.
      for (const key of MODEL_KEYS) if (!given.has(`model.${key}`)) c.model[key] = preset[key];
      if (MODEL_KEYS.some((key) => c.model[key] !== preset[key])) c.model_preset = 'custom';
    },
  },
  sft: { stage: 'sft', defaults: defaultSftConfig, validate: validateSftConfig },
  reward: { stage: 'reward', defaults: defaultRewardConfig, validate: validateRewardConfig, kinds: { center_rewards_coefficient: 'number?', trainable_layers: 'number|string' } },
  ppo: { stage: 'policy', defaults: defaultPpoRunConfig, validate: validatePpoRunConfig, kinds: { missing_eos_penalty: 'number?' } },
  grpo: {
    stage: 'grpo',
    // beta's default follows the method, so the method is read first (the method's own default is GRPO).
    defaults: (read) => ({ ...defaultGrpoConfig(read.get('method') === 'rloo' ? 'rloo' : 'grpo'), method: 'grpo' }),
    validate: (c) => {
      const errors = validateGrpoConfig({ ...c, reward_weights: null });
      if (c.method !== 'grpo' && c.method !== 'rloo') errors.push({ field: 'method', message: 'must be grpo or rloo' });
      return errors;
    },
    kinds: { epsilon_high: 'number?' },
    // Built from the reward functions' list on the tab.
    skip: ['reward_weights'],
  },
  dpo: { stage: 'dpo', defaults: defaultDpoRunConfig, validate: validateDpoRunConfig, kinds: { loss_weights: 'numbers?' } },
};

export const URL_PREFIXES = Object.keys(SPECS) as UrlPrefix[];

/** The link's prefix of a stage's settings ('ppo' for the Policy optimization tab), if it has settings. */
export function prefixOf(stage: StageId): UrlPrefix | undefined {
  return URL_PREFIXES.find((p) => SPECS[p].stage === stage);
}

// ---- the settings a stage has, as dotted paths ---------------------------------------------------

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Every leaf setting of a config: 'beta', 'model.n_layer', ... */
function leafPaths(config: object, prefix = ''): string[] {
  const paths: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (isPlainObject(value)) paths.push(...leafPaths(value, `${prefix}${key}.`));
    else paths.push(prefix + key);
  }
  return paths;
}

function getPath(config: object, path: string): unknown {
  let at: unknown = config;
  for (const part of path.split('.')) at = isPlainObject(at) && Object.hasOwn(at, part) ? at[part] : undefined;
  return at;
}

/** Sets a path that leafPaths listed (never one a link made up, so no prototype is reachable). */
function setPath(config: object, path: string, value: unknown): void {
  const parts = path.split('.');
  let at = config as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) at = at[part] as Record<string, unknown>;
  at[parts.at(-1)!] = value;
}

/** The settings a link may carry for a stage, with how each is written. */
function settingsOf<P extends UrlPrefix>(prefix: P, defaults: StageConfigs[P]): Map<string, ValueKind> {
  const spec = SPECS[prefix] as StageSpec<StageConfigs[P]>;
  const kinds = new Map<string, ValueKind>();
  for (const path of leafPaths(defaults)) {
    if (spec.skip?.includes(path)) continue;
    const value = getPath(defaults, path);
    const kind = spec.kinds?.[path] ?? (typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : Array.isArray(value) ? 'strings' : 'string');
    kinds.set(path, kind);
  }
  return kinds;
}

// ---- values as text -------------------------------------------------------------------------------

/** The value a text stands for, or why it cannot be one ({ why }). */
function readValue(kind: ValueKind, text: string): { value: unknown } | { why: string } {
  const number = (t: string) => {
    const n = readNumber(t);
    return typeof n === 'number' ? { value: n } : { why: n };
  };
  switch (kind) {
    case 'number':
      return number(text);
    case 'number?':
      return text === '' || text === 'null' ? { value: null } : number(text);
    case 'boolean':
      return text === 'true' ? { value: true } : text === 'false' ? { value: false } : { why: 'must be true or false' };
    case 'string':
      return { value: text };
    case 'strings':
      return { value: text === '' ? [] : text.split(',') };
    case 'numbers?': {
      if (text === '' || text === 'null') return { value: null };
      const numbers = text.split(',').map(readNumber);
      const bad = numbers.find((n) => typeof n === 'string');
      return bad !== undefined ? { why: `${bad} in the list` } : { value: numbers };
    }
    case 'number|string':
      return NUMBER_TEXT.test(text.trim()) ? number(text) : { value: text };
  }
}

function writeValue(value: unknown): string {
  if (value === null) return '';
  if (Array.isArray(value)) return value.map(String).join(',');
  return String(value);
}

// ---- writing a link ---------------------------------------------------------------------------------

export interface UrlState {
  stage: StageId;
  configs: Partial<StageConfigs>;
  /** Controls the page does not show (kept from the link the page was opened with). */
  hide?: readonly string[];
  /** The lesson being followed and its step, counted from 1. */
  lesson?: LessonPlace;
  /** Starting checkpoints and reward choices (urlChoices.ts). */
  choices?: LinkChoices;
}

export interface LessonPlace {
  id: string;
  step: number;
}

/**
 * The query (without '?') for these settings: the stage, each setting that differs from its
 * stage's defaults, and the hide list. Read back by decodeUrlConfig to the same settings.
 */
export function encodeUrlConfig(state: UrlState): string {
  const params = new URLSearchParams();
  params.set('stage', state.stage);
  for (const prefix of URL_PREFIXES) {
    const config = state.configs[prefix];
    if (!config) continue;
    const read = new Map<string, string>(prefix === 'grpo' ? [['method', String((config as GrpoUrlSettings).method)]] : []);
    const defaults = SPECS[prefix].defaults(read);
    for (const path of settingsOf(prefix, defaults).keys()) {
      const value = getPath(config, path);
      // Missing (an uploaded corpus has no story count): nothing to write.
      if (value === undefined) continue;
      const text = writeValue(value);
      if (text !== writeValue(getPath(defaults, path))) params.set(`${prefix}.${path}`, text);
    }
  }
  for (const prefix of URL_PREFIXES) for (const [key, value] of choiceEntries(prefix, state.choices ?? {})) params.set(key, value);
  if (state.hide && state.hide.length > 0) params.set('hide', state.hide.join(','));
  if (state.lesson) {
    params.set('lesson', state.lesson.id);
    params.set('step', String(state.lesson.step));
  }
  // URLSearchParams writes ',' as %2C and ':' as %3A; a link reads better with them as they are.
  return params.toString().replace(/%2C/gi, ',').replace(/%3A/gi, ':');
}

// ---- reading a link ---------------------------------------------------------------------------------

export interface Ignored {
  /** The parameter as the link named it (shortened when long). */
  key: string;
  why: string;
}

export interface DecodedUrl {
  /** The stage the link names, if it names a known one. */
  stage?: StageId;
  /** Per stage, the settings the link set and that were accepted (the others keep their defaults). */
  settings: { [P in UrlPrefix]?: Partial<StageConfigs[P]> };
  /** Per stage, its whole config: the defaults with the accepted settings applied. */
  configs: { [P in UrlPrefix]?: StageConfigs[P] };
  hide: string[];
  /** The lesson the link names, at the step it names (1 when it names none or a bad one). */
  lesson?: LessonPlace;
  /** Starting checkpoints and reward choices, by name: the page resolves them against its runs. */
  choices: LinkChoices;
  ignored: Ignored[];
}
const HIDE_KEY = /^[a-z_]+(\.[A-Za-z_]+)*$/;

/** Pairs of the query up to the cap; what lies past it is one reason, not one per entry. */
function queryPairs(query: string, ignore: (entry: Ignored) => void): [string, string][] {
  let text = query.startsWith('?') ? query.slice(1) : query;
  if (text.length > MAX_QUERY_CHARS) {
    text = text.slice(0, MAX_QUERY_CHARS);
    // The entry the cap cuts through is dropped whole, not read half.
    text = text.slice(0, Math.max(0, text.lastIndexOf('&')));
    ignore({ key: 'the link', why: `too long: everything after its first ${MAX_QUERY_CHARS / 1024} KB was ignored` });
  }
  try {
    return [...new URLSearchParams(text)];
  } catch {
    ignore({ key: 'the link', why: 'could not be read' });
    return [];
  }
}

/**
 * Reads a query string (with or without '?'). Every setting the link gives is checked against its
 * stage: unknown, of the wrong type, or refused by the stage's validator, it is ignored with a reason.
 */
export function decodeUrlConfig(query: string): DecodedUrl {
  const result: DecodedUrl = { settings: {}, configs: {}, hide: [], choices: {}, ignored: [] };
  // Each reason with the place of its entry in the link, so the page lists them in the link's order.
  const placed: (Ignored & { at: number })[] = [];
  let at = 0;
  const ignore = (entry: Ignored) => placed.push({ ...entry, at });
  // Per prefix, the first text each setting was given, and where (Maps: keys from the link never touch an object).
  const given = new Map<UrlPrefix, Map<string, { text: string; at: number }>>();
  const seen = new Set<string>();
  const lessonTexts = new Map<'lesson' | 'step', { text: string; at: number }>();
  const pairs = queryPairs(query, (entry) => placed.push({ ...entry, at: Infinity }));
  for (const [key, text] of pairs) {
    at += 1;
    if (seen.has(key)) {
      ignore({ key: shortKey(key), why: 'given more than once; the first is used' });
      continue;
    }
    seen.add(key);
    if (key === 'hide') {
      if (text.length > MAX_HIDE_CHARS) ignore({ key, why: `longer than ${MAX_HIDE_CHARS} characters` });
      else for (const name of text.split(',').filter((n) => n !== '')) {
        if (HIDE_KEY.test(name)) result.hide.push(name);
        else ignore({ key: `hide ${shortKey(name)}`, why: 'not a setting name' });
      }
      continue;
    }
    if (text.length > valueCap(key, MAX_VALUE_CHARS)) {
      ignore({ key: shortKey(key), why: `value longer than ${valueCap(key, MAX_VALUE_CHARS)} characters` });
      continue;
    }
    if (key === 'lesson' || key === 'step') {
      lessonTexts.set(key, { text, at });
      continue;
    }
    if (key === 'stage') {
      const stage = text === 'ppo' ? 'policy' : text;
      const known = STAGES.find((s) => s.id === stage);
      if (known) result.stage = known.id;
      else ignore({ key, why: `no stage called "${shortKey(text)}"` });
      continue;
    }
    const dot = key.indexOf('.');
    const prefix = URL_PREFIXES.find((p) => p === key.slice(0, dot));
    if (dot < 0 || !prefix) {
      ignore({ key: shortKey(key), why: 'unknown setting' });
      continue;
    }
    if (!given.has(prefix)) given.set(prefix, new Map());
    given.get(prefix)!.set(key.slice(dot + 1), { text, at });
  }
  for (const [prefix, texts] of given) {
    // Choices (a starting checkpoint, rewards) are read apart from the config's settings.
    const choiceTexts = new Map([...texts].filter(([path]) => isChoiceKey(prefix, path)));
    const settingTexts = new Map([...texts].filter(([path]) => !choiceTexts.has(path)));
    const place = (path: string, why: string) => placed.push({ key: shortKey(`${prefix}.${path}`), why, at: texts.get(path)?.at ?? Infinity });
    result.choices = mergeChoices(result.choices, readChoices(prefix, choiceTexts, place));
    if (settingTexts.size > 0) readStage(prefix, settingTexts, result, place);
  }
  const lesson = readLesson(lessonTexts, (key, why) => placed.push({ key, why, at: lessonTexts.get(key)!.at }));
  if (lesson) result.lesson = lesson;
  result.ignored = placed.sort((a, b) => a.at - b.at).map(({ key, why }) => ({ key, why }));
  return result;
}

function mergeChoices(a: LinkChoices, b: LinkChoices): LinkChoices {
  const merged: LinkChoices = { ...a, ...b };
  if (a.from || b.from) merged.from = { ...a.from, ...b.from };
  return merged;
}

/** The lesson and step a link names, if the lesson exists; a step it does not have is ignored (step 1 then). */
function readLesson(texts: ReadonlyMap<'lesson' | 'step', { text: string }>, ignore: (key: 'lesson' | 'step', why: string) => void): LessonPlace | undefined {
  const id = texts.get('lesson')?.text;
  const stepText = texts.get('step')?.text;
  const lesson = id === undefined ? undefined : lessonById(id);
  if (id !== undefined && !lesson) ignore('lesson', `no lesson called "${shortKey(id)}"`);
  if (!lesson) {
    if (stepText !== undefined) ignore('step', 'a step needs a lesson');
    return undefined;
  }
  if (stepText === undefined) return { id: lesson.id, step: 1 };
  const step = readNumber(stepText);
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 1 || step > lesson.steps.length) {
    ignore('step', `must be a whole number from 1 to ${lesson.steps.length}`);
    return { id: lesson.id, step: 1 };
  }
  return { id: lesson.id, step };
}

/** Applies one stage's settings to its defaults, keeping only what parses and what its validator accepts. */
function readStage<P extends UrlPrefix>(
  prefix: P,
  texts: ReadonlyMap<string, { text: string }>,
  result: DecodedUrl,
  ignore: (path: string, why: string) => void,
): void {
  const spec = SPECS[prefix] as StageSpec<StageConfigs[P]>;
  const defaults = spec.defaults(new Map([...texts].map(([path, { text }]) => [path, text])));
  const kinds = settingsOf(prefix, defaults);
  const values = new Map<string, unknown>();
  for (const [path, { text }] of texts) {
    const kind = kinds.get(path);
    const parsed = kind ? readValue(kind, text) : { why: 'unknown setting' };
    if ('why' in parsed) ignore(path, parsed.why);
    else values.set(path, parsed.value);
  }
  // Validate all together (a batch size must suit the group size given beside it); a setting the
  // validator names goes back to its default, then the rest is checked again without it.
  for (;;) {
    const config = structuredClone(defaults);
    for (const [path, value] of values) setPath(config, path, value);
    spec.settle?.(config, new Set(values.keys()));
    const refused = spec.validate(config).filter((e) => values.has(e.field));
    if (refused.length === 0) {
      if (values.size > 0) {
        const settings: Record<string, unknown> = {};
        for (const [path, value] of values) setPath(settings, path.split('.')[0], getPath(config, path.split('.')[0]));
        result.settings[prefix] = settings as Partial<StageConfigs[P]>;
        result.configs[prefix] = config as DecodedUrl['configs'][P];
      }
      return;
    }
    for (const error of refused) {
      if (values.delete(error.field)) ignore(error.field, error.message);
    }
  }
}

/** One line for the page: what the link set that was ignored, and why (the first few, then a count). */
export function describeIgnored(ignored: readonly Ignored[], shown = 8): string {
  const parts = ignored.slice(0, shown).map((i) => `${i.key} (${i.why})`);
  const more = ignored.length > shown ? `; and ${ignored.length - shown} more` : '';
  return `Some settings in the link were ignored and keep their defaults: ${parts.join('; ')}${more}.`;
}
