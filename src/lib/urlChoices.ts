/**
 * The choices a link carries beside the stages' settings (urlConfig.ts): where each stage starts
 * from, where the Policy tab's scores come from, and the GRPO tab's reward functions.
 *
 *   sft.from=base                  the shipped base model
 *   ppo.from=sft:Stories SFT       the newest SFT run called "Stories SFT" (stage, then the run's name)
 *   dpo.ref=base                   the DPO tab's reference model (same: a frozen copy of the policy, the default)
 *   ppo.reward=model&ppo.reward_model=My RM      a reward-model run by its name (ppo.reward=gold is the default)
 *   grpo.reward.1=gold&grpo.reward.1.weight=0.5  the first reward function and its weight
 *   grpo.reward.2=length&grpo.reward.2.target_words=30   a built-in and its options
 *   grpo.reward.3=reward_model&grpo.reward.3.model=My RM
 *   grpo.reward.4=code&grpo.reward.4.name=sunny&grpo.reward.4.code=(p, c) => ...
 *
 * Checkpoints live in one browser's IndexedDB, so a link names a run by its stage and name, not
 * by its id; the page resolves the name to the newest run of that stage and name
 * (resolveRunRef) or says that it is not in this browser's history. A JavaScript reward
 * function travels as its code (at most MAX_CODE_CHARS): it is only ever run by the sandbox
 * worker, when the user trains, and the page says that the link brought code.
 *
 * Reading never throws and trusts nothing: a value of the wrong form is left out with a reason,
 * like the settings. Pure: runs in Node for the tests.
 */
import { BUILTIN_REWARDS, builtinOptionsError, isBuiltinReward, type BuiltinRewardName } from '../core/rewards/builtinRewards.ts';
import { checkRewardSource } from '../core/rewards/userRewardSource.ts';
import type { RunStage } from './db.ts';
import { readNumber, shortKey } from './urlValues.ts';

/** The longest reward function code a link may carry (the whole link is capped too). */
export const MAX_CODE_CHARS = 2000;
/** How many reward functions a link may list. */
export const MAX_LINK_REWARDS = 8;

const RUN_STAGES: readonly RunStage[] = ['pretrain', 'sft', 'reward', 'ppo', 'dpo', 'grpo'];

/** A stored run as a link names it: its stage and its name. */
export interface RunRef {
  stage: RunStage;
  name: string;
}
export type SourceRef = 'base' | RunRef;

/** The stages (link prefixes) whose forms choose a starting checkpoint. */
export const SOURCE_PREFIXES = ['sft', 'reward', 'ppo', 'grpo', 'dpo'] as const;
export type SourcePrefix = (typeof SOURCE_PREFIXES)[number];

/** One reward function as a link gives it: a reward model by its run's name (null: none chosen). */
export type LinkReward =
  | { kind: 'gold'; weight: number }
  | { kind: 'model'; model: string | null; weight: number }
  | { kind: 'builtin'; name: BuiltinRewardName; options: Record<string, number>; weight: number }
  | { kind: 'code'; name: string; source: string; weight: number };

export type LinkPpoReward = { kind: 'gold' } | { kind: 'model'; model: string | null };

/** The DPO tab's reference model: a frozen copy of the starting policy ('same', the default), or a checkpoint. */
export type LinkReference = 'same' | SourceRef;

export interface LinkChoices {
  from?: Partial<Record<SourcePrefix, SourceRef>>;
  dpoRef?: LinkReference;
  ppoReward?: LinkPpoReward;
  grpoRewards?: LinkReward[];
}

/** Metric keys are rewards/<name>/mean, so a code reward's name holds only these (as the GRPO form demands). */
const REWARD_NAME = /^[A-Za-z0-9_-]+$/;
const REWARD_KEY = /^reward\.([^.]*)(?:\.(.*))?$/;

// ---- which keys are choices ---------------------------------------------------------------------

/** Whether a stage's key (after its prefix) is one of these choices rather than a setting. */
export function isChoiceKey(prefix: string, path: string): boolean {
  if (path === 'from') return (SOURCE_PREFIXES as readonly string[]).includes(prefix);
  if (prefix === 'ppo') return path === 'reward' || path === 'reward_model';
  if (prefix === 'dpo') return path === 'ref';
  if (prefix === 'grpo') return REWARD_KEY.test(path);
  return false;
}

/** A reward function's code may be longer than any other value. */
export function valueCap(key: string, otherwise: number): number {
  return /^grpo\.reward\.\d+\.code$/.test(key) ? MAX_CODE_CHARS : otherwise;
}

// ---- writing --------------------------------------------------------------------------------------

function refText(ref: SourceRef): string {
  return ref === 'base' ? 'base' : `${ref.stage}:${ref.name}`;
}

/** The name a reward function has in the list (the GRPO form names gold and a reward model so). */
function linkRewardName(r: LinkReward): string {
  return r.kind === 'gold' ? 'gold' : r.kind === 'model' ? 'reward_model' : r.name;
}

/** The default list: the gold score alone, weight 1. */
function isDefaultRewards(list: readonly LinkReward[]): boolean {
  return list.length === 1 && list[0].kind === 'gold' && list[0].weight === 1;
}

/** The link's entries for a stage's choices, in a fixed order; nothing for what is at its default. */
export function choiceEntries(prefix: string, choices: LinkChoices): [string, string][] {
  const entries: [string, string][] = [];
  const from = choices.from?.[prefix as SourcePrefix];
  if (from) entries.push([`${prefix}.from`, refText(from)]);
  if (prefix === 'dpo' && choices.dpoRef && choices.dpoRef !== 'same') entries.push(['dpo.ref', refText(choices.dpoRef)]);
  if (prefix === 'ppo' && choices.ppoReward?.kind === 'model') {
    entries.push(['ppo.reward', 'model']);
    if (choices.ppoReward.model) entries.push(['ppo.reward_model', choices.ppoReward.model]);
  }
  if (prefix === 'grpo' && choices.grpoRewards && !isDefaultRewards(choices.grpoRewards)) {
    choices.grpoRewards.forEach((r, i) => {
      const key = `grpo.reward.${i + 1}`;
      entries.push([key, r.kind === 'model' ? 'reward_model' : r.kind === 'builtin' ? r.name : r.kind]);
      if (r.weight !== 1) entries.push([`${key}.weight`, String(r.weight)]);
      if (r.kind === 'model' && r.model) entries.push([`${key}.model`, r.model]);
      if (r.kind === 'builtin') {
        const defaults = BUILTIN_REWARDS.find((b) => b.name === r.name)!.defaults;
        for (const [option, value] of Object.entries(r.options)) if (value !== defaults[option]) entries.push([`${key}.${option}`, String(value)]);
      }
      if (r.kind === 'code') entries.push([`${key}.name`, r.name], [`${key}.code`, r.source]);
    });
  }
  return entries;
}

// ---- reading --------------------------------------------------------------------------------------

type Ignore = (path: string, why: string) => void;

/** 'base' or '<stage>:<name>', or why the text is neither. */
function readRef(text: string): SourceRef | { why: string } {
  if (text === 'base') return 'base';
  const colon = text.indexOf(':');
  const stage = RUN_STAGES.find((s) => s === text.slice(0, colon));
  const name = text.slice(colon + 1);
  if (colon < 0 || !stage || name.trim() === '') return { why: `must be base or <stage>:<run name>, the stage one of ${RUN_STAGES.join(', ')}` };
  return { stage, name };
}

/**
 * One stage's choices from the link's texts for them (keys after the prefix, those isChoiceKey
 * says are choices); what is malformed goes to `ignore` with its reason.
 */
export function readChoices(prefix: string, texts: ReadonlyMap<string, { text: string }>, ignore: Ignore): LinkChoices {
  const choices: LinkChoices = {};
  const from = texts.get('from');
  if (from) {
    const ref = readRef(from.text);
    if (typeof ref === 'object' && 'why' in ref) ignore('from', ref.why);
    else choices.from = { [prefix as SourcePrefix]: ref };
  }
  const reference = prefix === 'dpo' ? texts.get('ref') : undefined;
  if (reference) {
    const ref = reference.text === 'same' ? 'same' : readRef(reference.text);
    if (typeof ref === 'object' && 'why' in ref) ignore('ref', `${ref.why}, or same (a frozen copy of the starting policy)`);
    else choices.dpoRef = ref;
  }
  if (prefix === 'ppo') readPpoReward(texts, ignore, choices);
  if (prefix === 'grpo') {
    const rewards = readRewardList(texts, ignore);
    if (rewards.length > 0) choices.grpoRewards = rewards;
  }
  return choices;
}

function readPpoReward(texts: ReadonlyMap<string, { text: string }>, ignore: Ignore, choices: LinkChoices): void {
  const kind = texts.get('reward')?.text;
  const model = texts.get('reward_model')?.text;
  if (kind !== undefined && kind !== 'gold' && kind !== 'model') ignore('reward', 'must be gold or model');
  else if (kind === 'gold') choices.ppoReward = { kind: 'gold' };
  else if (kind === 'model') choices.ppoReward = { kind: 'model', model: model?.trim() ? model : null };
  if (model !== undefined && choices.ppoReward?.kind !== 'model') ignore('reward_model', 'a reward model needs ppo.reward=model');
  else if (model !== undefined && !model.trim()) ignore('reward_model', 'must name a reward model run');
}

/** The reward functions the link lists, in the order of their numbers; each malformed part is left out with a reason. */
function readRewardList(texts: ReadonlyMap<string, { text: string }>, ignore: Ignore): LinkReward[] {
  // Per number, the function's kind and its parts (weight, options, ...), as Maps: keys from the link never touch an object.
  const byIndex = new Map<number, { kind?: string; parts: Map<string, string> }>();
  for (const [path, { text }] of texts) {
    const m = REWARD_KEY.exec(path);
    if (!m) continue;
    const index = /^[1-9]\d?$/.test(m[1]) ? Number(m[1]) : NaN;
    if (!(index <= MAX_LINK_REWARDS)) {
      ignore(path, `reward functions are numbered 1 to ${MAX_LINK_REWARDS}`);
      continue;
    }
    const entry = byIndex.get(index) ?? { parts: new Map<string, string>() };
    if (m[2] === undefined) entry.kind = text;
    else entry.parts.set(m[2], text);
    byIndex.set(index, entry);
  }
  const list: LinkReward[] = [];
  for (const index of [...byIndex.keys()].sort((a, b) => a - b)) {
    const { kind, parts } = byIndex.get(index)!;
    const at = (part?: string) => `reward.${index}${part ? `.${part}` : ''}`;
    if (kind === undefined) {
      for (const part of parts.keys()) ignore(at(part), `the link names no reward function ${index} (grpo.reward.${index})`);
      continue;
    }
    const reward = readReward(kind, parts, (part, why) => ignore(at(part), why));
    if (!reward) continue;
    const name = linkRewardName(reward);
    if (list.some((r) => linkRewardName(r) === name)) ignore(at(), `"${shortKey(name)}" is already in the list`);
    else list.push(reward);
  }
  return list;
}

/** One reward function from its kind and parts, or null (with the reason given to `ignore('')`). */
function readReward(kind: string, parts: ReadonlyMap<string, string>, ignore: Ignore): LinkReward | null {
  const known = kind === 'gold' || kind === 'reward_model' || kind === 'code' || isBuiltinReward(kind);
  if (!known) {
    ignore('', `no reward function called "${shortKey(kind)}" (gold, reward_model, code, or a built-in: ${BUILTIN_REWARDS.map((b) => b.name).join(', ')})`);
    return null;
  }
  let weight = 1;
  const options: Record<string, number> = {};
  const allowed = new Set(['weight', ...(kind === 'reward_model' ? ['model'] : kind === 'code' ? ['name', 'code'] : [])]);
  const optionNames = isBuiltinReward(kind) ? Object.keys(BUILTIN_REWARDS.find((b) => b.name === kind)!.defaults) : [];
  for (const [part, text] of parts) {
    if (part === 'weight') {
      const n = readNumber(text);
      if (typeof n === 'number') weight = n;
      else ignore(part, n);
    } else if (isBuiltinReward(kind) && optionNames.includes(part)) {
      const n = readNumber(text);
      const problem = typeof n === 'number' ? builtinOptionsError(kind, { [part]: n }) : n;
      if (problem === null && typeof n === 'number') options[part] = n;
      else ignore(part, problem ?? 'not a number');
    } else if (!allowed.has(part)) ignore(part, 'unknown setting');
  }
  if (kind === 'gold') return { kind: 'gold', weight };
  if (kind === 'reward_model') {
    const model = parts.get('model');
    if (model !== undefined && !model.trim()) ignore('model', 'must name a reward model run');
    return { kind: 'model', model: model?.trim() ? model : null, weight };
  }
  if (isBuiltinReward(kind)) return { kind: 'builtin', name: kind, options: { ...BUILTIN_REWARDS.find((b) => b.name === kind)!.defaults, ...options }, weight };
  return readCode(parts, weight, ignore);
}

/** A JavaScript reward function: a valid name and code that parses as one function (never run here). */
function readCode(parts: ReadonlyMap<string, string>, weight: number, ignore: Ignore): LinkReward | null {
  const name = parts.get('name');
  const source = parts.get('code');
  if (name === undefined || !REWARD_NAME.test(name)) {
    ignore(name === undefined ? '' : 'name', 'a JavaScript reward needs a name of letters, digits, _ and -');
    return null;
  }
  if (source === undefined) {
    ignore('', 'a JavaScript reward needs its code');
    return null;
  }
  const failure = checkRewardSource(source);
  if (failure) {
    ignore('code', failure.line === null ? failure.reason : `line ${failure.line}: ${failure.reason}`);
    return null;
  }
  return { kind: 'code', name, source, weight };
}

// ---- resolving names to this browser's runs -------------------------------------------------------

/** What resolution needs of a stored run. */
export interface RunLike {
  id?: number;
  name: string;
  stage?: RunStage;
  createdAt: number;
  checkpointStep?: number;
}

/**
 * The id of the newest run of the ref's stage and name that has a checkpoint, when its stage is
 * one the picker offers; null when this browser has none.
 */
export function resolveRunRef(ref: RunRef, runs: readonly RunLike[], allowed: readonly RunStage[]): number | null {
  if (!allowed.includes(ref.stage)) return null;
  let best: RunLike | null = null;
  for (const r of runs) {
    if ((r.stage ?? 'pretrain') !== ref.stage || r.name !== ref.name || r.id === undefined || r.checkpointStep === undefined) continue;
    if (!best || r.createdAt > best.createdAt) best = r;
  }
  return best?.id ?? null;
}

/** The newest reward-model run of that name with a checkpoint, or null. */
export function resolveRewardModel(name: string, runs: readonly RunLike[]): number | null {
  return resolveRunRef({ stage: 'reward', name }, runs, ['reward']);
}

/** How a link names a stored run: by its stage and name; null when the id is not among the runs. */
export function runRefOf(id: number, runs: readonly RunLike[]): RunRef | null {
  const run = runs.find((r) => r.id === id);
  return run ? { stage: run.stage ?? 'pretrain', name: run.name } : null;
}

/** Why a ref cannot be used here, for the ignored-settings notice. */
export function missingRunReason(what: 'checkpoint' | 'reward model', name: string): string {
  return `${what} ‘${shortKey(name)}’ is not in this browser's history`;
}
