/**
 * The direct-preference settings on screen: the policy checkpoint to start from, the preference
 * dataset and whose labels, the method (DPO, KTO, ORPO, CPO/SimPO) and the DpoRunConfig under
 * TRL's names. Checked as the user types, with each message tied to its field; a field the engine
 * refused a run for (the pairs, beta, the reference) shows its message there too.
 */
import { defaultDpoRunConfig, DPO_FIELD_LABELS, validateDpoRunConfig, type DpoLossType, type DpoRunConfig } from '../core/dpo/dpoConfig.ts';
import type { PreferencePair } from '../core/preferences/types.ts';
import type { FieldError } from '../core/train/validate.ts';
import type { RunStage } from '../lib/db.ts';
import { history } from './history.svelte.ts';
import { defaultStartKey, runSourceOptions, type ModelSourceKey } from './modelSources.ts';
import { listPreferenceDatasets, loadPairs, type PreferenceDatasetSummary } from './preferenceData.ts';

/** '' means every annotator's labels. */
export const ALL_ANNOTATORS = '';

/** Stages whose checkpoints the policy may start from (as the picker offers them). */
export const DPO_POLICY_STAGES: readonly RunStage[] = ['sft', 'pretrain', 'dpo', 'ppo', 'grpo'];

/** The reference picker's default: a frozen copy of the starting policy (TRL's ref_model=None). */
export const SAME_AS_POLICY = 'same';
export type ReferenceKey = ModelSourceKey | typeof SAME_AS_POLICY;

/** Methods that compare the policy with a frozen reference model (ORPO and CPO/SimPO have none). */
const WITH_REFERENCE = new Set(['dpo', 'kto']);

/** How many of the dataset's prompts the samples panel answers, before and after. */
const SAMPLE_PROMPTS = 4;

/** Labels the form shows where they differ from DPO_FIELD_LABELS (which the CLI shares), and the form's own fields. */
const ON_SCREEN: Record<string, string> = {
  beta: 'Beta',
  label_smoothing: 'Label smoothing',
  desirable_weight: 'Weight of good answers',
  undesirable_weight: 'Weight of bad answers',
  per_device_train_batch_size: 'Batch size',
  data: 'Preference dataset',
  source: 'Policy checkpoint',
  reference: 'Reference checkpoint',
};

/** The on-screen name of a field the form checks, for the list of what blocks training. */
export function dpoFieldName(field: string): string {
  return ON_SCREEN[field] ?? DPO_FIELD_LABELS[field as keyof typeof DPO_FIELD_LABELS] ?? field;
}

/** Whether `key` names a model the picker offers now (the base, or a stored run with a checkpoint). */
function offered(key: unknown): key is ModelSourceKey {
  return key === 'base' || runSourceOptions(history.runs, DPO_POLICY_STAGES).some((option) => option.value === key);
}

class DpoForm {
  config = $state<DpoRunConfig>(defaultDpoRunConfig());
  datasets = $state.raw<PreferenceDatasetSummary[]>([]);
  datasetId = $state<number | null>(null);
  annotator = $state<string>(ALL_ANNOTATORS);
  source = $state<ModelSourceKey | ''>('');
  referenceSource = $state<ReferenceKey>(SAME_AS_POLICY);
  /** Pairs of the chosen dataset and annotator (ties and discards give none); null while loading. */
  pairCount = $state<number | null>(null);
  /** Messages the engine gave for fields when it refused a run (identical pairs, beta, a foreign reference). */
  refusals = $state.raw<FieldError[]>([]);

  dataset = $derived(this.datasets.find((d) => d.id === this.datasetId) ?? null);
  errors = $derived.by((): FieldError[] => {
    const errors = validateDpoRunConfig(this.config);
    if (this.datasetId === null) errors.push({ field: 'data', message: 'choose a preference dataset (label one in the Preferences stage, or import a file there)' });
    else if (this.pairCount !== null && this.pairCount < 2) errors.push({ field: 'data', message: `needs at least 2 labeled pairs; this choice has ${this.pairCount}` });
    if (!this.source) errors.push({ field: 'source', message: 'choose the checkpoint the policy starts from' });
    return errors;
  });
  valid = $derived(this.errors.length === 0 && this.pairCount !== null);
  /** Whether the method has a reference model (DPO and KTO), and this run uses one (not reference-free). */
  hasReference = $derived(WITH_REFERENCE.has(this.config.method));
  usesReference = $derived(this.hasReference && !this.config.reference_free);

  error(field: string): string | undefined {
    return this.errors.find((e) => e.field === field)?.message ?? this.refusals.find((e) => e.field === field)?.message;
  }

  set<K extends keyof DpoRunConfig>(field: K, value: DpoRunConfig[K]): void {
    this.config = { ...this.config, [field]: value };
    this.refusals = [];
  }

  /**
   * Ticks or unticks a DPO loss type. Several ticked train on their weighted sum (TRL's
   * loss_weights, one weight per type, 1 each to begin with); one alone needs no weights.
   */
  toggleLossType(type: DpoLossType, on: boolean): void {
    const types = this.config.loss_type;
    const weights = this.config.loss_weights ?? types.map(() => 1);
    const i = types.indexOf(type);
    if (on && i < 0) this.#setLosses([...types, type], [...weights, 1]);
    if (!on && i >= 0) this.#setLosses(types.filter((_, j) => j !== i), weights.filter((_, j) => j !== i));
  }

  /** The weight of a ticked loss type in the combination. */
  lossWeight(type: DpoLossType): number {
    const i = this.config.loss_type.indexOf(type);
    return i < 0 ? 1 : (this.config.loss_weights?.[i] ?? 1);
  }

  setLossWeight(type: DpoLossType, weight: number): void {
    const types = this.config.loss_type;
    const i = types.indexOf(type);
    if (i < 0) return;
    const weights = (this.config.loss_weights ?? types.map(() => 1)).map((w, j) => (j === i ? weight : w));
    this.#setLosses(types, weights);
  }

  #setLosses(types: DpoLossType[], weights: number[]): void {
    this.config = { ...this.config, loss_type: types, loss_weights: types.length > 1 ? weights : null };
    this.refusals = [];
  }

  /** Reloads the dataset list (keeps the choice if it still exists, else picks the newest); picks a start. */
  async refresh(): Promise<void> {
    this.datasets = await listPreferenceDatasets();
    if (!this.datasets.some((d) => d.id === this.datasetId)) await this.chooseDataset(this.datasets[0]?.id ?? null);
    else await this.countPairs();
    if (!history.loaded) await history.refresh();
    if (!this.source) this.source = this.#defaultSource();
  }

  async chooseDataset(id: number | null): Promise<void> {
    this.datasetId = id;
    this.refusals = [];
    if (!this.dataset?.annotators.includes(this.annotator)) this.annotator = ALL_ANNOTATORS;
    await this.countPairs();
  }

  async chooseAnnotator(name: string): Promise<void> {
    this.annotator = name;
    this.refusals = [];
    await this.countPairs();
  }

  async countPairs(): Promise<void> {
    this.pairCount = null;
    const asked = [this.datasetId, this.annotator];
    const count = this.datasetId === null ? 0 : (await this.pairs()).length;
    // A later choice may have been made meanwhile: only the count of the current one is shown.
    if (asked[0] === this.datasetId && asked[1] === this.annotator) this.pairCount = count;
  }

  chooseSource(key: ModelSourceKey | ''): void {
    this.source = key;
    this.refusals = [];
  }

  chooseReference(key: ReferenceKey): void {
    this.referenceSource = key;
    this.refusals = [];
  }

  /** The chosen labels as TRL pairs. */
  pairs(): Promise<PreferencePair[]> {
    if (this.datasetId === null) return Promise.resolve([]);
    return loadPairs(this.datasetId, this.annotator === ALL_ANNOTATORS ? {} : { annotator: this.annotator });
  }

  /** The prompts the samples panel answers: the first few distinct prompts of the pairs. */
  samplePrompts(pairs: readonly PreferencePair[]): string[] {
    return [...new Set(pairs.map((p) => p.prompt))].slice(0, SAMPLE_PROMPTS);
  }

  snapshot(): DpoRunConfig {
    return $state.snapshot(this.config) as DpoRunConfig;
  }

  /**
   * Takes a stored run's settings back into the form ("Use its settings"): the config fields it
   * has (others keep their defaults), its starting checkpoint and its dataset when they still exist.
   */
  load(settings: Record<string, unknown>): void {
    const next: Record<string, unknown> = { ...defaultDpoRunConfig() };
    for (const key of Object.keys(next)) if (key in settings) next[key] = settings[key];
    this.config = next as unknown as DpoRunConfig;
    if (offered(settings.source)) this.source = settings.source;
    this.referenceSource = offered(settings.referenceSource) ? settings.referenceSource : SAME_AS_POLICY;
    this.refusals = [];
    const datasetId = settings.datasetId;
    if (typeof datasetId === 'number' && this.datasets.some((d) => d.id === datasetId)) {
      const annotator = typeof settings.annotatorKey === 'string' ? settings.annotatorKey : ALL_ANNOTATORS;
      void this.chooseDataset(datasetId).then(() => (this.dataset?.annotators.includes(annotator) ? this.chooseAnnotator(annotator) : undefined));
    }
  }

  /** The newest SFT run with a checkpoint (what DPO usually starts from), else the shipped base. */
  #defaultSource(): ModelSourceKey {
    return defaultStartKey(history.runs);
  }
}

export const dpoForm = new DpoForm();
