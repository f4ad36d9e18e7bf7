/**
 * The SFT settings being edited (an SFTConfig), the model to start from, what blocks training,
 * and starting a run on the chosen dataset through the shared training-run state.
 */
import * as Comlink from 'comlink';
import { SFT_SAMPLE_PROMPTS } from '../core/data/instructions.ts';
import type { SftRequest } from '../core/engine/engineApi.ts';
import { defaultSftConfig, SFT_FIELD_LABELS, totalSteps, validateSftConfig, type SftConfig } from '../core/sft/sftConfig.ts';
import type { FieldError } from '../core/train/validate.ts';
import { engine } from '../lib/engine.ts';
import { loadModelSource, type ModelSourceKey } from './modelSources.ts';
import { sampling } from './sampling.svelte.ts';
import { sftDatasets } from './sftDatasets.svelte.ts';
import { TrainingRunState } from './trainingRun.svelte.ts';

/** The SFT stage's run on screen (live or reopened). */
export const sftRun = new TrainingRunState('sft');

/** The fixed prompts of the before/after samples. */
export const SFT_PROMPTS: readonly string[] = SFT_SAMPLE_PROMPTS;

class SftFormState {
  config = $state<SftConfig>(defaultSftConfig());
  /** The checkpoint to fine-tune: the shipped base by default. */
  from = $state<ModelSourceKey | ''>('base');

  errors = $derived.by((): FieldError[] => {
    const errors = validateSftConfig(this.config);
    if (this.from === '') errors.push({ field: 'from', message: 'choose the model to fine-tune' });
    for (const message of sftDatasets.problems) errors.push({ field: 'dataset', message });
    return errors;
  });
  valid = $derived(this.errors.length === 0);

  errorFor(field: keyof SftConfig | 'from'): string | undefined {
    return this.errors.find((e) => e.field === field)?.message;
  }

  labelFor(field: string): string {
    if (field === 'from') return 'Start from';
    if (field === 'dataset') return 'Dataset';
    return SFT_FIELD_LABELS[field as keyof SftConfig] ?? field;
  }

  set<K extends keyof SftConfig>(key: K, value: SftConfig[K]): void {
    this.config[key] = value;
  }

  /** Takes a stored run's settings back into the form. */
  load(settings: Record<string, unknown>): void {
    const defaults = defaultSftConfig();
    const next = { ...defaults };
    for (const key of Object.keys(defaults) as (keyof SftConfig)[]) if (key in settings) (next as Record<string, unknown>)[key] = settings[key];
    this.config = next;
    if (typeof settings.from === 'string') this.from = settings.from as ModelSourceKey;
  }

  /** Starts a run: the chosen checkpoint, the current dataset's rows, these settings. */
  async start(): Promise<void> {
    if (!this.valid || sftRun.live) return;
    sftDatasets.flush();
    const dataset = sftDatasets.current!;
    const config = $state.snapshot(this.config) as SftConfig;
    const from = this.from as ModelSourceKey;
    const rows = dataset.rows.map(({ prompt, completion }) => ({ prompt, completion }));
    await sftRun.start(async () => {
      const source = await loadModelSource(from);
      const request: SftRequest = { config, rows, from: source.files, fromLabel: source.label, sampling: sampling.snapshot(), prompts: [...SFT_PROMPTS] };
      const evalRows = config.eval_fraction > 0 ? Math.max(1, Math.round(config.eval_fraction * rows.length)) : 0;
      return {
        name: `${dataset.name} · from ${source.label}`,
        maxSteps: totalSteps(config, rows.length - evalRows),
        startedFrom: source.label,
        settings: { ...config, from, dataset: { id: dataset.id, name: dataset.name, rows: rows.length } },
        call: (onEvents) => engine.sft(Comlink.transfer(request, [request.from.model]), onEvents),
      };
    });
  }
}

export const sftForm = new SftFormState();
