/**
 * The reward functions a GRPO/RLOO run uses, as the form lists them (GrpoRewardChoice), and the
 * pure steps from that list to a request: each function's name in the metric keys, the checks
 * shown next to its fields, TRL's reward_weights, and the GrpoRewardSource list the engine takes.
 * No Svelte, no database: the form (grpoForm.svelte.ts) and the run (grpoRun.svelte.ts) use these,
 * and unit tests run them in Node.
 */
import type { GoldSpec } from '../core/preferences/goldScore.ts';
import type { GrpoRewardSource } from '../core/grpo/rewardSources.ts';
import { BUILTIN_REWARDS, builtinOptionsError, isBuiltinReward, type BuiltinRewardName } from '../core/rewards/builtinRewards.ts';
import { checkRewardSource } from '../core/rewards/userRewardSource.ts';
import type { CheckpointFiles } from '../core/train/pretrainConfig.ts';
import type { FieldError } from '../core/train/validate.ts';
import type { ModelSourceKey } from './modelSources.ts';

export type GrpoRewardChoice =
  | { kind: 'gold'; weight: number }
  | { kind: 'model'; source: ModelSourceKey | ''; weight: number }
  | { kind: 'builtin'; name: BuiltinRewardName; options: Record<string, number>; weight: number }
  | { kind: 'code'; name: string; source: string; weight: number };

export type BuiltinRewardChoice = Extract<GrpoRewardChoice, { kind: 'builtin' }>;

/** Metric keys are rewards/<name>/mean, so a name holds only these characters (as the core demands). */
export const REWARD_NAME = /^[A-Za-z0-9_-]+$/;

/** What a new JavaScript reward starts as: short, commented, and easy to change. */
export const EXAMPLE_REWARD_CODE = `// Scores one completion: return a number (higher is better),
// or null when the function cannot judge it.
(prompt, completion) => {
  // Reward stories that mention the sun.
  const sunny = /\\bsun(ny|shine)?\\b/i.test(completion);
  return sunny ? 1 : 0;
}`;

/** The name a choice has in the metric keys and sample rows (the core names gold and the reward model so). */
export function rewardName(choice: GrpoRewardChoice): string {
  if (choice.kind === 'gold') return 'gold';
  if (choice.kind === 'model') return 'reward_model';
  return choice.name;
}

/** "gold + happy_words + sunny": the list in a run's name. */
export function describeRewards(choices: readonly GrpoRewardChoice[]): string {
  return choices.map(rewardName).join(' + ');
}

/** TRL's reward_weights: the list's weights when any differs from 1, else null (all 1). */
export function rewardWeights(choices: readonly GrpoRewardChoice[]): number[] | null {
  return choices.some((c) => c.weight !== 1) ? choices.map((c) => c.weight) : null;
}

/** The field a reward's problem is shown next to: `reward.<index>.<part>`. */
export function rewardField(index: number, part: 'weight' | 'name' | 'source' | 'model' | 'options'): string {
  return `reward.${index}.${part}`;
}

/** A fresh name for a new code reward: "my_reward", then "my_reward_2", ... (names must be unique). */
export function freshCodeName(choices: readonly GrpoRewardChoice[], base = 'my_reward'): string {
  const taken = new Set(choices.map(rewardName));
  if (!taken.has(base)) return base;
  let n = 2;
  while (taken.has(`${base}_${n}`)) n++;
  return `${base}_${n}`;
}

/** A built-in's choice with its option defaults. */
export function builtinChoice(name: BuiltinRewardName, weight = 1): BuiltinRewardChoice {
  return { kind: 'builtin', name, options: { ...BUILTIN_REWARDS.find((r) => r.name === name)!.defaults }, weight };
}

/**
 * What stops the list from training, each with the field it is shown next to: no function at
 * all ('reward_funcs'), a weight that is not a finite number, a name that is empty, repeated or
 * has other characters, code that does not parse (with its line), a reward model not chosen, a
 * built-in's bad options.
 */
export function rewardChoiceErrors(choices: readonly GrpoRewardChoice[]): FieldError[] {
  const errors: FieldError[] = [];
  if (choices.length === 0) errors.push({ field: 'reward_funcs', message: 'add at least one reward function' });
  const seen = new Map<string, number>();
  choices.forEach((choice, i) => {
    if (typeof choice.weight !== 'number' || !Number.isFinite(choice.weight)) errors.push({ field: rewardField(i, 'weight'), message: 'must be a number' });
    const name = rewardName(choice);
    if (choice.kind === 'code' && !REWARD_NAME.test(name)) {
      errors.push({ field: rewardField(i, 'name'), message: name ? 'may hold only letters, digits, _ and - (it names the chart line rewards/<name>/mean)' : 'give the function a name' });
    } else if (seen.has(name)) {
      errors.push({ field: rewardField(i, 'name'), message: `"${name}" is already in the list (reward function ${seen.get(name)! + 1}): each function needs its own name` });
    }
    if (!seen.has(name)) seen.set(name, i);
    if (choice.kind === 'model' && !choice.source) errors.push({ field: rewardField(i, 'model'), message: 'choose a reward model (train one in the Reward model stage)' });
    if (choice.kind === 'builtin') {
      const problem = isBuiltinReward(choice.name) ? builtinOptionsError(choice.name, choice.options) : `unknown built-in reward "${choice.name}"`;
      if (problem) errors.push({ field: rewardField(i, 'options'), message: problem });
    }
    if (choice.kind === 'code') {
      const failure = checkRewardSource(choice.source);
      if (failure) errors.push({ field: rewardField(i, 'source'), message: failure.line === null ? failure.reason : `line ${failure.line}: ${failure.reason}` });
    }
  });
  return errors;
}

/**
 * The request's reward sources, in the list's order: the gold score with the simulator's spec,
 * a reward model with its loaded checkpoint files (by picker key), built-ins and code as chosen.
 */
export function rewardSources(choices: readonly GrpoRewardChoice[], goldSpec: GoldSpec, models: ReadonlyMap<string, CheckpointFiles>): GrpoRewardSource[] {
  return choices.map((choice): GrpoRewardSource => {
    switch (choice.kind) {
      case 'gold':
        return { kind: 'gold', spec: goldSpec };
      case 'model': {
        const files = models.get(choice.source);
        if (!files) throw new Error('Choose a reward model for every "reward model" function.');
        return { kind: 'model', files };
      }
      case 'builtin':
        return { kind: 'builtin', name: choice.name, options: { ...choice.options } };
      case 'code':
        return { kind: 'code', name: choice.name, source: choice.source };
    }
  });
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;
const weightOf = (x: Record<string, unknown>): number => (typeof x.weight === 'number' ? x.weight : 1);

/**
 * A stored run's list back as choices ("Use its settings"), or null when `stored` is no such list.
 * Entries of an unknown kind are dropped; a reward model's checkpoint is kept only when `offered`
 * says the picker still has it (else the picker asks for one).
 */
export function storedRewardChoices(stored: unknown, offered: (key: unknown) => key is ModelSourceKey): GrpoRewardChoice[] | null {
  if (!Array.isArray(stored)) return null;
  const out: GrpoRewardChoice[] = [];
  for (const item of stored) {
    if (!isObject(item)) continue;
    const weight = weightOf(item);
    if (item.kind === 'gold') out.push({ kind: 'gold', weight });
    else if (item.kind === 'model') out.push({ kind: 'model', source: offered(item.source) ? item.source : '', weight });
    else if (item.kind === 'builtin' && typeof item.name === 'string' && isBuiltinReward(item.name)) {
      const choice = builtinChoice(item.name, weight);
      if (isObject(item.options)) for (const [key, value] of Object.entries(item.options)) if (typeof value === 'number') choice.options[key] = value;
      out.push(choice);
    } else if (item.kind === 'code' && typeof item.name === 'string' && typeof item.source === 'string') out.push({ kind: 'code', name: item.name, source: item.source, weight });
  }
  return out;
}
