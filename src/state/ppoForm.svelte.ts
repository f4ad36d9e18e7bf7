/**
 * The PPO settings on screen: the policy checkpoint to start from, where the scores come from
 * (the gold score or a trained reward model), and the PpoRunConfig under TRL's names. Checked as
 * the user types, with each message tied to its field.
 */
import { defaultPpoRunConfig, validatePpoRunConfig, type PpoRunConfig } from '../core/ppo/ppoRunConfig.ts';
import type { FieldError } from '../core/train/validate.ts';
import type { RunStage } from '../lib/db.ts';
import { history } from './history.svelte.ts';
import { defaultStartKey, runSourceOptions, type ModelSourceKey } from './modelSources.ts';

/** 'gold': the simulated annotator's score; 'model': a reward run's checkpoint. */
export type PpoRewardKind = 'gold' | 'model';

/** Stages whose checkpoints the policy may start from, and those a reward model comes from (as the pickers offer). */
const POLICY_STAGES: readonly RunStage[] = ['pretrain', 'sft', 'ppo', 'dpo', 'grpo'];
const REWARD_STAGES: readonly RunStage[] = ['reward'];

/** Whether `key` names a model the pickers offer now (the base, or a stored run with a checkpoint). */
function offered(key: unknown, stages: readonly RunStage[], allowBase: boolean): key is ModelSourceKey {
  if (key === 'base') return allowBase;
  return runSourceOptions(history.runs, stages).some((option) => option.value === key);
}

class PpoForm {
  config = $state<PpoRunConfig>(defaultPpoRunConfig());
  source = $state<ModelSourceKey | ''>('');
  rewardKind = $state<PpoRewardKind>('gold');
  rewardSource = $state<ModelSourceKey | ''>('');
  /** A message the engine gave for a field when it refused a run (e.g. a reward model of another tokenizer). */
  refusal = $state.raw<FieldError | null>(null);

  errors = $derived.by((): FieldError[] => {
    const errors = validatePpoRunConfig(this.config);
    if (!this.source) errors.push({ field: 'source', message: 'choose the checkpoint the policy starts from' });
    if (this.rewardKind === 'model' && !this.rewardSource) errors.push({ field: 'reward', message: 'choose a reward model (train one in the Reward model stage), or use the gold score' });
    return errors;
  });
  valid = $derived(this.errors.length === 0);

  error(field: string): string | undefined {
    return this.errors.find((e) => e.field === field)?.message ?? (this.refusal?.field === field ? this.refusal.message : undefined);
  }

  set<K extends keyof PpoRunConfig>(field: K, value: PpoRunConfig[K]): void {
    this.config = { ...this.config, [field]: value };
    this.refusal = null;
  }

  /**
   * Picks a starting checkpoint if none is chosen: the newest SFT run with a checkpoint, else the
   * base. Waits for the run list first, or a direct link to the tab would pick the base.
   */
  async refresh(): Promise<void> {
    if (!history.loaded) await history.refresh();
    if (!this.source) {
      this.source = defaultStartKey(history.runs);
    }
  }

  snapshot(): PpoRunConfig {
    return $state.snapshot(this.config) as PpoRunConfig;
  }

  /**
   * Takes a stored run's settings back into the form ("Use its settings"): the config fields it
   * has (others keep their defaults), where it started and where its scores came from.
   */
  load(settings: Partial<PpoRunConfig> | Record<string, unknown>): void {
    const stored = settings as Record<string, unknown>;
    const next: Record<string, unknown> = { ...defaultPpoRunConfig() };
    for (const key of Object.keys(next)) if (key in stored) next[key] = stored[key];
    this.config = next as unknown as PpoRunConfig;
    // A checkpoint deleted since is not offered any more: keep the current choice then.
    if (offered(stored.source, POLICY_STAGES, true)) this.source = stored.source;
    if (stored.rewardKind === 'gold' || stored.rewardKind === 'model') this.rewardKind = stored.rewardKind;
    if (offered(stored.rewardSource, REWARD_STAGES, false)) this.rewardSource = stored.rewardSource;
    this.refusal = null;
  }
}

export const ppoForm = new PpoForm();
