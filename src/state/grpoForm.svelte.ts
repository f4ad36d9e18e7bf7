/**
 * The GRPO / RLOO settings on screen: the method, the policy checkpoint to start from, the list
 * of reward functions with their weights (TRL's reward_funcs and reward_weights), and the
 * GrpoConfig under TRL's names. Checked as the user types, with each message tied to its field;
 * a field the engine refused a run for shows its message there too.
 */
import { defaultGrpoConfig, validateGrpoConfig, type GroupMethod, type GrpoConfig } from '../core/grpo/grpoConfig.ts';
import type { GoldSpec } from '../core/preferences/goldScore.ts';
import type { FieldError } from '../core/train/validate.ts';
import type { RunStage } from '../lib/db.ts';
import { rewardChoiceErrors, rewardName, rewardWeights, storedRewardChoices, type GrpoRewardChoice } from './grpoRewardChoices.ts';
import { history } from './history.svelte.ts';
import { simulator } from './preferenceSimulator.svelte.ts';
import { defaultStartKey, runSourceOptions, type ModelSourceKey } from './modelSources.ts';

export type { GrpoRewardChoice } from './grpoRewardChoices.ts';

/** Stages whose checkpoints the policy may start from, and those a reward model comes from (as the pickers offer). */
export const GRPO_POLICY_STAGES: readonly RunStage[] = ['pretrain', 'sft', 'ppo', 'dpo', 'grpo'];
export const GRPO_REWARD_STAGES: readonly RunStage[] = ['reward'];

/** On-screen names of the settings, for the list of what blocks training. */
const FIELD_NAMES: Record<string, string> = {
  source: 'Policy checkpoint', reward_funcs: 'Reward functions', method: 'Method', num_generations: 'Completions per prompt', beta: 'KL weight',
  epsilon: 'Clip range', epsilon_high: 'Upper clip range', loss_type: 'Loss type', scale_rewards: 'Scale rewards',
  normalize_advantages: 'Normalize advantages', mask_truncated_completions: 'Leave cut-off completions out of the loss', temperature: 'Temperature',
  learning_rate: 'Learning rate', per_device_train_batch_size: 'Completions per step', max_completion_length: 'Completion length', max_steps: 'Steps',
  seed: 'Seed', num_iterations: 'Updates per batch', lr_scheduler_type: 'Learning-rate schedule', max_grad_norm: 'Gradient clipping',
  weight_decay: 'Weight decay', save_steps: 'Checkpoint every (steps)', num_prompts: 'Number of prompts', log_sequence_kl: 'Track the KL from the start',
};

const REWARD_PARTS: Record<string, string> = { weight: 'Weight of', name: 'Name of', source: 'Code of', model: 'Reward model for', options: 'Options of' };

/** Whether `key` names a model a picker offers now (the base, or a stored run with a checkpoint). */
function offered(key: unknown, stages: readonly RunStage[], allowBase: boolean): key is ModelSourceKey {
  if (key === 'base') return allowBase;
  return runSourceOptions(history.runs, stages).some((option) => option.value === key);
}

class GrpoForm {
  method = $state<GroupMethod>('grpo');
  config = $state<GrpoConfig>(defaultGrpoConfig('grpo'));
  source = $state<ModelSourceKey | ''>('');
  rewards = $state<GrpoRewardChoice[]>([{ kind: 'gold', weight: 1 }]);
  /** What is typed in the optional Upper clip range box: empty means "same as epsilon" (null). */
  epsilonHighText = $state('');
  /** A message the engine gave for a field when it refused a run. */
  refusal = $state.raw<FieldError | null>(null);
  /**
   * The gold preference for the next run when a lesson (or a reopened run's settings) sets one;
   * null: the simulated annotator's, from the Preferences tab.
   */
  goldOverride = $state.raw<{ spec: GoldSpec; why: string } | null>(null);

  errors = $derived.by((): FieldError[] => {
    // The weights are checked per function below; the config's own list is built from them.
    const errors = validateGrpoConfig({ ...this.config, reward_weights: null });
    if (this.epsilonHighText.trim() !== '' && !Number.isFinite(Number(this.epsilonHighText.trim()))) {
      errors.push({ field: 'epsilon_high', message: 'must be a number, or empty for the same as epsilon' });
    }
    if (!this.source) errors.push({ field: 'source', message: 'choose the checkpoint the policy starts from' });
    errors.push(...rewardChoiceErrors(this.rewards));
    return errors;
  });
  valid = $derived(this.errors.length === 0);

  error(field: string): string | undefined {
    return this.errors.find((e) => e.field === field)?.message ?? (this.refusal?.field === field ? this.refusal.message : undefined);
  }

  /** The on-screen name of a field, for the list of what blocks training ("Weight of gold"). */
  fieldLabel(field: string): string {
    const m = /^reward\.(\d+)\.(\w+)$/.exec(field);
    if (!m) return FIELD_NAMES[field] ?? field;
    const choice = this.rewards[Number(m[1])];
    return `${REWARD_PARTS[m[2]] ?? m[2]} ${choice ? rewardName(choice) || `reward function ${Number(m[1]) + 1}` : 'a reward function'}`;
  }

  set<K extends keyof GrpoConfig>(field: K, value: GrpoConfig[K]): void {
    this.config = { ...this.config, [field]: value };
    // Set from elsewhere (a lesson): the box shows the value. Typed: the box's input event sets the text after this.
    if (field === 'epsilon_high') this.epsilonHighText = '';
    this.refusal = null;
  }

  /** Switches GRPO / RLOO; beta follows the method's default unless the user changed it. */
  setMethod(method: GroupMethod): void {
    if (method === this.method) return;
    const untouched = this.config.beta === defaultGrpoConfig(this.method).beta;
    this.method = method;
    if (untouched) this.set('beta', defaultGrpoConfig(method).beta);
    this.refusal = null;
  }

  setRewards(list: GrpoRewardChoice[]): void {
    this.rewards = list.map((choice) => ({ ...choice }));
    this.refusal = null;
  }

  addReward(choice: GrpoRewardChoice): void {
    this.setRewards([...this.rewards, choice]);
  }

  removeReward(index: number): void {
    this.setRewards(this.rewards.filter((_, i) => i !== index));
  }

  updateReward(index: number, patch: Partial<GrpoRewardChoice>): void {
    this.setRewards(this.rewards.map((choice, i) => (i === index ? ({ ...choice, ...patch } as GrpoRewardChoice) : choice)));
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

  /** The config as the engine takes it: reward_weights from the list. */
  snapshot(): GrpoConfig {
    return { ...($state.snapshot(this.config) as GrpoConfig), reward_weights: rewardWeights(this.rewards) };
  }

  /** The gold preference a run started now is scored against. */
  goldSpec(): GoldSpec {
    return this.goldOverride?.spec ?? ($state.snapshot(simulator.spec.gold) as GoldSpec);
  }

  rewardsSnapshot(): GrpoRewardChoice[] {
    return $state.snapshot(this.rewards) as GrpoRewardChoice[];
  }

  /**
   * Takes a stored run's settings back into the form ("Use its settings"): the config fields it
   * has (others keep their method's defaults), the method, where it started, its reward functions.
   */
  load(settings: Record<string, unknown>): void {
    const method: GroupMethod = settings.method === 'rloo' ? 'rloo' : 'grpo';
    const next: Record<string, unknown> = { ...defaultGrpoConfig(method) };
    for (const key of Object.keys(next)) if (key in settings) next[key] = settings[key];
    this.method = method;
    this.config = next as unknown as GrpoConfig;
    this.epsilonHighText = '';
    // A checkpoint deleted since is not offered any more: keep the current choice then.
    if (offered(settings.source, GRPO_POLICY_STAGES, true)) this.source = settings.source;
    const rewards = storedRewardChoices(settings.rewards, (key): key is ModelSourceKey => offered(key, GRPO_REWARD_STAGES, false));
    if (rewards) this.rewards = rewards;
    // A run trained against another gold than the Preferences tab's now (a lesson's) keeps it.
    const gold = settings.gold_spec as GoldSpec | undefined;
    this.goldOverride = gold && JSON.stringify(gold) !== JSON.stringify($state.snapshot(simulator.spec.gold)) ? { spec: gold, why: 'the run whose settings these are' } : null;
    this.refusal = null;
  }
}

export const grpoForm = new GrpoForm();
