/**
 * The direct-preference run on screen (DPO, KTO, ORPO or CPO): the shared training-run state
 * (start / pause / resume / stop, metrics, samples, checkpoints, reopening, the history's open and
 * delete) started with the form's settings on the chosen dataset's labeled pairs. Each samples
 * event holds, per fixed prompt, the reference model's completion beside the policy's, each with
 * its gold score.
 */
import * as Comlink from 'comlink';
import { totalDpoSteps, type DpoRunConfig } from '../core/dpo/dpoConfig.ts';
import type { LabelNoise } from '../core/dpo/labelNoise.ts';
import type { TrainEvent } from '../core/engine/engineApi.ts';
import { describeGoldSpec, type GoldSpec } from '../core/preferences/goldScore.ts';
import type { CheckpointFiles, Sample } from '../core/train/pretrainConfig.ts';
import type { FieldError } from '../core/train/validate.ts';
import type { Engine } from '../lib/engine.ts';
import { ALL_ANNOTATORS, dpoForm, SAME_AS_POLICY } from './dpoForm.svelte.ts';
import { loadModelSource } from './modelSources.ts';
import { simulator } from './preferenceSimulator.svelte.ts';
import { sampling } from './sampling.svelte.ts';
import { TrainingRunState } from './trainingRun.svelte.ts';

/**
 * One row of the samples panel (the trainer's samples rows). Past the text every field is
 * optional, so a row the trainer sent without one still shows.
 */
export interface DpoSample extends Sample {
  /** The reference model's completion of the same prompt ("before"). */
  reference_completion?: string;
  /** Gold score of the policy's completion ("after"). */
  gold_score?: number;
  reference_gold_score?: number;
}

/**
 * Fields the engine may refuse a request for, and the form field each is shown next to: bad pairs
 * by the dataset picker, a reference of another tokenizer by the reference picker, an unreadable
 * starting checkpoint by the policy picker. A config field is shown next to itself.
 */
const FIELDS_SHOWN: Record<string, string> = { pairs: 'data', reference: 'reference', from: 'source' };

/** The engine's ConfigError text ("field: message; field: message") as field errors the form shows. */
function refusalsOf(message: string, configFields: readonly string[]): FieldError[] | null {
  const parts = message.split(/;\s+(?=[\w.]+: )/);
  const errors: FieldError[] = [];
  for (const part of parts) {
    const m = /^([\w.]+): (.*)$/s.exec(part.trim());
    const field = m ? (FIELDS_SHOWN[m[1]] ?? (configFields.includes(m[1]) ? m[1] : undefined)) : undefined;
    if (!m || !field) return null;
    errors.push({ field, message: m[2] });
  }
  return errors;
}

/** `engine`: the worker it trains in (a sweep's extra worker; the page's one by default). */
export class DpoRunState extends TrainingRunState {
  constructor(engine?: Engine) {
    super('dpo', [], engine);
  }

  /** The latest samples: the reference's completion beside the policy's, with gold scores. */
  get table(): DpoSample[] {
    return this.samples as DpoSample[];
  }

  /** Starts a run with the form's settings: the chosen policy checkpoint on the chosen pairs. */
  async train(): Promise<void> {
    await this.trainWith();
  }

  /**
   * The same, with `changes` over the form's settings and, for the label-noise experiment, flipped
   * training labels; `name` goes first in the run's name. Resolves when the run has ended.
   */
  async trainWith(changes: Partial<DpoRunConfig> = {}, extra: { label_noise?: LabelNoise; name?: string } = {}): Promise<void> {
    if (this.live || !dpoForm.valid) return;
    dpoForm.refusals = [];
    await this.start(async () => {
      const config: DpoRunConfig = { ...dpoForm.snapshot(), ...changes };
      const dataset = dpoForm.dataset;
      const annotator = dpoForm.annotator;
      if (!dataset || !dpoForm.source) throw new Error('Choose a preference dataset and the checkpoint the policy starts from.');
      const pairs = await dpoForm.pairs();
      if (pairs.length < 2) throw new Error(`The dataset "${dataset.name}" has ${pairs.length} labeled pair(s); label at least 2 in the Preferences stage.`);
      const from = await loadModelSource(dpoForm.source);
      const buffers = [from.files.model];
      // Another checkpoint as the reference only where the method has one; else a frozen copy of the start.
      let reference: CheckpointFiles | undefined;
      let referenceLabel = 'a frozen copy of the start';
      if (dpoForm.usesReference && dpoForm.referenceSource !== SAME_AS_POLICY) {
        const ref = await loadModelSource(dpoForm.referenceSource);
        reference = ref.files;
        referenceLabel = ref.label;
        buffers.push(ref.files.model);
      }
      // The gold preference set on the Preferences tab (the simulated annotator's) scores the samples.
      const goldSpec = $state.snapshot(simulator.spec.gold) as GoldSpec;
      const who = annotator === ALL_ANNOTATORS ? 'all annotators' : annotator;
      const trainPairs = Math.max(1, pairs.length - Math.round(config.eval_fraction * pairs.length));
      const request = {
        config,
        pairs,
        from: from.files,
        fromLabel: from.label,
        ...(reference ? { reference } : {}),
        goldSpec,
        sampling: sampling.snapshot(),
        prompts: dpoForm.samplePrompts(pairs),
        ...(extra.label_noise ? { label_noise: extra.label_noise } : {}),
      };
      return {
        name: `${extra.name ? `${extra.name} · ` : ''}${config.method.toUpperCase()} from ${from.label} · ${dataset.name} · ${who} · ${pairs.length} pairs`,
        maxSteps: totalDpoSteps(config, trainPairs),
        startedFrom: from.label,
        settings: {
          ...config,
          source: dpoForm.source,
          referenceSource: dpoForm.referenceSource,
          reference: referenceLabel,
          dataset: dataset.name,
          datasetId: dataset.id,
          annotator: who,
          annotatorKey: annotator,
          pairs: pairs.length,
          gold: describeGoldSpec(goldSpec),
          ...(extra.label_noise ? { label_noise: extra.label_noise } : {}),
        },
        call: (onEvents) => this.engine.dpo(Comlink.transfer(request, buffers), onEvents as (events: TrainEvent[]) => void),
        refused: (message) => {
          const errors = refusalsOf(message, Object.keys(config));
          if (!errors) return false;
          dpoForm.refusals = errors;
          return true;
        },
      };
    });
  }
}

export const dpoRun = new DpoRunState();
