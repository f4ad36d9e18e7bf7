/**
 * The link's model and reward choices (src/lib/urlChoices.ts) to and from the forms: each stage's
 * starting checkpoint, the Policy tab's reward, the GRPO tab's reward functions. A link names
 * runs by stage and name; here they become this browser's runs (the newest of that name), and a
 * name this browser does not have leaves the form's own choice, with a reason for the notice.
 */
import type { RunStage } from '../lib/db.ts';
import type { Ignored } from '../lib/urlConfig.ts';
import {
  missingRunReason,
  resolveRewardModel,
  resolveRunRef,
  runRefOf,
  SOURCE_PREFIXES,
  type LinkChoices,
  type LinkReward,
  type SourcePrefix,
  type SourceRef,
} from '../lib/urlChoices.ts';
import { DPO_POLICY_STAGES, dpoForm, SAME_AS_POLICY } from './dpoForm.svelte.ts';
import { GRPO_POLICY_STAGES, grpoForm } from './grpoForm.svelte.ts';
import type { GrpoRewardChoice } from './grpoRewardChoices.ts';
import { history } from './history.svelte.ts';
import { defaultStartKey, runSourceKey, type ModelSourceKey } from './modelSources.ts';
import { ppoForm } from './ppoForm.svelte.ts';
import { rewardForm } from './rewardForm.svelte.ts';
import { sftForm } from './sftForm.svelte.ts';

/** Each form's starting checkpoint, and the stages its picker offers. */
const SOURCES: Record<SourcePrefix, { stages: readonly RunStage[]; get(): ModelSourceKey | ''; set(key: ModelSourceKey): void }> = {
  sft: { stages: ['pretrain', 'sft'], get: () => sftForm.from, set: (key) => (sftForm.from = key) },
  reward: { stages: ['pretrain', 'sft'], get: () => rewardForm.source, set: (key) => (rewardForm.source = key) },
  ppo: { stages: ['pretrain', 'sft', 'ppo', 'dpo', 'grpo'], get: () => ppoForm.source, set: (key) => (ppoForm.source = key) },
  grpo: { stages: GRPO_POLICY_STAGES, get: () => grpoForm.source, set: (key) => (grpoForm.source = key) },
  dpo: { stages: DPO_POLICY_STAGES, get: () => dpoForm.source, set: (key) => dpoForm.chooseSource(key) },
};

/** The run id a picker key names, or null for the base or nothing. */
const runIdOf = (key: ModelSourceKey | ''): number | null => (key.startsWith('run:') ? Number(key.slice('run:'.length)) : null);

/** The name of the reward-model run a picker key names, or null. */
function rewardModelName(key: ModelSourceKey | ''): string | null {
  const id = runIdOf(key);
  const ref = id === null ? null : runRefOf(id, history.runs);
  return ref?.stage === 'reward' ? ref.name : null;
}

/** What a form picks by itself: the shipped base for SFT, else the newest SFT run with a checkpoint, else the base. */
function ownDefault(prefix: SourcePrefix): ModelSourceKey {
  return prefix === 'sft' ? 'base' : defaultStartKey(history.runs);
}

function linkReward(choice: GrpoRewardChoice): LinkReward {
  if (choice.kind === 'model') return { kind: 'model', model: rewardModelName(choice.source), weight: choice.weight };
  return choice;
}

/**
 * The choices on screen, as a link writes them. A run is always named (another browser may pick
 * another run by itself); the base only where the form would not pick it by itself.
 */
export function currentChoices(): LinkChoices {
  const from: Partial<Record<SourcePrefix, SourceRef>> = {};
  for (const prefix of SOURCE_PREFIXES) {
    const key = SOURCES[prefix].get();
    const id = runIdOf(key);
    const ref = id === null ? null : runRefOf(id, history.runs);
    if (ref) from[prefix] = ref;
    else if (key === 'base' && ownDefault(prefix) !== 'base') from[prefix] = 'base';
  }
  const refKey = dpoForm.referenceSource;
  const refRun = refKey === SAME_AS_POLICY ? null : runIdOf(refKey);
  const dpoRef = refKey === SAME_AS_POLICY ? 'same' : refKey === 'base' ? 'base' : ((refRun === null ? null : runRefOf(refRun, history.runs)) ?? 'same');
  const ppoReward = ppoForm.rewardKind === 'model' ? { kind: 'model' as const, model: rewardModelName(ppoForm.rewardSource) } : { kind: 'gold' as const };
  return { from, dpoRef, ppoReward, grpoRewards: grpoForm.rewardsSnapshot().map(linkReward) };
}

/**
 * Puts a link's choices into the forms (history must be loaded). Returns what could not be used:
 * a run this browser does not have keeps the form's own choice; a reward model it does not have
 * leaves the reward function asking for one.
 */
export function applyChoices(choices: LinkChoices): Ignored[] {
  const ignored: Ignored[] = [];
  for (const prefix of SOURCE_PREFIXES) {
    const ref = choices.from?.[prefix];
    if (!ref) continue;
    const id = ref === 'base' ? null : resolveRunRef(ref, history.runs, SOURCES[prefix].stages);
    if (ref === 'base') SOURCES[prefix].set('base');
    else if (id !== null) SOURCES[prefix].set(runSourceKey(id));
    else ignored.push({ key: `${prefix}.from`, why: missingRunReason('checkpoint', ref.name) });
  }
  const reference = choices.dpoRef;
  if (reference === 'same' || reference === 'base') dpoForm.chooseReference(reference === 'same' ? SAME_AS_POLICY : 'base');
  else if (reference) {
    const id = resolveRunRef(reference, history.runs, DPO_POLICY_STAGES);
    if (id !== null) dpoForm.chooseReference(runSourceKey(id));
    else ignored.push({ key: 'dpo.ref', why: missingRunReason('checkpoint', reference.name) });
  }
  const modelKey = (name: string | null, key: string): ModelSourceKey | '' => {
    if (name === null) return '';
    const id = resolveRewardModel(name, history.runs);
    if (id === null) ignored.push({ key, why: missingRunReason('reward model', name) });
    return id === null ? '' : runSourceKey(id);
  };
  if (choices.ppoReward) {
    ppoForm.rewardKind = choices.ppoReward.kind;
    if (choices.ppoReward.kind === 'model') ppoForm.rewardSource = modelKey(choices.ppoReward.model, 'ppo.reward_model');
  }
  if (choices.grpoRewards) {
    grpoForm.setRewards(
      choices.grpoRewards.map((r, i): GrpoRewardChoice => (r.kind === 'model' ? { kind: 'model', source: modelKey(r.model, `grpo.reward.${i + 1}.model`), weight: r.weight } : r)),
    );
  }
  return ignored;
}

/** The names of the JavaScript reward functions a link brought (the page says so). */
export function linkCodeNames(choices: LinkChoices): string[] {
  return (choices.grpoRewards ?? []).flatMap((r) => (r.kind === 'code' ? [r.name] : []));
}
