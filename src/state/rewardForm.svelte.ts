/**
 * The reward-model settings on screen: which preference dataset and annotator's labels, which
 * checkpoint to start from, and the RewardConfig. Checked as the user types, with each message
 * tied to its field.
 */
import { defaultRewardConfig, type RewardConfig } from '../core/reward/rewardConfig.ts';
import { validateRewardConfig } from '../core/reward/rewardValidate.ts';
import type { PreferencePair } from '../core/preferences/types.ts';
import type { FieldError } from '../core/train/validate.ts';
import { history } from './history.svelte.ts';
import { listPreferenceDatasets, loadPairs, type PreferenceDatasetSummary } from './preferenceData.ts';
import { defaultStartKey, type ModelSourceKey } from './modelSources.ts';

/** '' means every annotator's labels. */
export const ALL_ANNOTATORS = '';

class RewardForm {
  config = $state<RewardConfig>(defaultRewardConfig());
  datasets = $state.raw<PreferenceDatasetSummary[]>([]);
  datasetId = $state<number | null>(null);
  annotator = $state<string>(ALL_ANNOTATORS);
  source = $state<ModelSourceKey | ''>('');
  /** Pairs of the chosen dataset and annotator (ties and discards give none); null while loading. */
  pairCount = $state<number | null>(null);

  dataset = $derived(this.datasets.find((d) => d.id === this.datasetId) ?? null);
  errors = $derived.by((): FieldError[] => {
    const errors = validateRewardConfig(this.config);
    if (this.datasetId === null) errors.push({ field: 'data', message: 'choose a preference dataset (label one in the Preferences stage, or import a file there)' });
    else if (this.pairCount !== null && this.pairCount < 2) errors.push({ field: 'data', message: `needs at least 2 labeled pairs; this choice has ${this.pairCount}` });
    if (!this.source) errors.push({ field: 'source', message: 'choose the checkpoint the reward model starts from' });
    return errors;
  });
  valid = $derived(this.errors.length === 0 && this.pairCount !== null);

  error(field: string): string | undefined {
    return this.errors.find((e) => e.field === field)?.message;
  }

  set<K extends keyof RewardConfig>(field: K, value: RewardConfig[K]): void {
    this.config = { ...this.config, [field]: value };
  }

  /** Reloads the dataset list; keeps the choice if it still exists, else picks the newest. */
  async refresh(): Promise<void> {
    this.datasets = await listPreferenceDatasets();
    if (!this.datasets.some((d) => d.id === this.datasetId)) await this.chooseDataset(this.datasets[0]?.id ?? null);
    else await this.countPairs();
    if (!this.source) this.source = this.#defaultSource();
  }

  async chooseDataset(id: number | null): Promise<void> {
    this.datasetId = id;
    if (!this.dataset?.annotators.includes(this.annotator)) this.annotator = ALL_ANNOTATORS;
    await this.countPairs();
  }

  async chooseAnnotator(name: string): Promise<void> {
    this.annotator = name;
    await this.countPairs();
  }

  async countPairs(): Promise<void> {
    this.pairCount = null;
    this.pairCount = this.datasetId === null ? 0 : (await this.pairs()).length;
  }

  /** The chosen labels as TRL pairs. */
  pairs(): Promise<PreferencePair[]> {
    if (this.datasetId === null) return Promise.resolve([]);
    return loadPairs(this.datasetId, this.annotator === ALL_ANNOTATORS ? {} : { annotator: this.annotator });
  }

  snapshot(): RewardConfig {
    return $state.snapshot(this.config) as RewardConfig;
  }

  load(config: RewardConfig): void {
    this.config = { ...defaultRewardConfig(), ...config };
  }

  /** The newest SFT run with a checkpoint (the usual start), else the shipped base. */
  #defaultSource(): ModelSourceKey {
    return defaultStartKey(history.runs);
  }
}

export const rewardForm = new RewardForm();
