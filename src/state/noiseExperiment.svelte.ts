/**
 * The label-noise experiment on the Direct preference tab: flip a chosen share of the training
 * labels (the same pairs for every run: the form's seed picks them) and train one DPO run per ticked
 * loss type in turn with the form's other settings, so their curves compare on the same charts.
 * Finished runs are drawn beside the run on screen, each named by its variant and the noise.
 * Kept in memory only: a reload forgets the experiment (the runs stay in the history).
 */
import type { DpoRunConfig } from '../core/dpo/dpoConfig.ts';
import { validateLabelNoise } from '../core/dpo/labelNoise.ts';
import type { MetricRow } from '../core/train/pretrainConfig.ts';
import type { ChartOverlay } from '../lib/plot.ts';
import { dpoForm } from './dpoForm.svelte.ts';
import { dpoRun } from './dpoRun.svelte.ts';

export type NoiseVariant = 'sigmoid' | 'robust' | 'ipo' | 'smoothing';

export interface NoiseVariantSpec {
  value: NoiseVariant;
  /** Its name in the checkbox, the run's name and the charts' legend. */
  label: string;
  hint: string;
  /** The DPO settings this variant sets over the form's, for `fraction` flipped labels. */
  changes: (fraction: number) => Partial<DpoRunConfig>;
}

const dpo = (loss: DpoRunConfig['loss_type'][number], label_smoothing: number): Partial<DpoRunConfig> => ({
  method: 'dpo',
  loss_type: [loss],
  loss_weights: null,
  label_smoothing,
});

/**
 * TRL's loss types that answer label noise. TRL's 'sigmoid' no longer reads label_smoothing (no cDPO
 * in current TRL), so "label smoothing" is exo_pair, whose label_smoothing is the smoothed target
 * (1 - ε, ε) it matches the policy's preference to; robust is told the true flip rate.
 */
export const NOISE_VARIANTS: readonly NoiseVariantSpec[] = [
  { value: 'sigmoid', label: 'sigmoid', hint: 'Standard DPO: trusts every label (TRL: loss_type sigmoid).', changes: () => dpo('sigmoid', 0) },
  { value: 'robust', label: 'robust', hint: 'Robust DPO, told the share of flipped labels (TRL: loss_type robust, label_smoothing = the fraction).', changes: (f) => dpo('robust', f) },
  { value: 'ipo', label: 'ipo', hint: 'IPO: aims the margin at a fixed target instead of pushing it forever (TRL: loss_type ipo).', changes: () => dpo('ipo', 0) },
  {
    value: 'smoothing',
    label: 'label smoothing',
    hint: 'Aims for "chosen wins with probability 1 - the fraction" instead of certainty (TRL: loss_type exo_pair, label_smoothing = the fraction).',
    changes: (f) => dpo('exo_pair', f),
  },
];

/** "robust · 20% flipped" */
export function variantRunLabel(variant: NoiseVariantSpec, fraction: number): string {
  return `${variant.label} · ${Math.round(fraction * 1000) / 10}% flipped`;
}

interface FinishedRun {
  id: number | null;
  label: string;
  rows: readonly MetricRow[];
}

class NoiseExperimentState {
  /** Share of the training pairs whose chosen and rejected answers are swapped. */
  fraction = $state(0.2);
  ticked = $state<NoiseVariant[]>(NOISE_VARIANTS.map((v) => v.value));
  /** True from "Run the experiment" until its last run ends. */
  running = $state(false);
  /** Stop pressed: no further run starts once the current one ends. */
  stopping = $state(false);
  /** Which run trains now, e.g. "Run 2 of 4: robust · 20% flipped". */
  progress = $state('');
  /** How the last experiment ended, in words. */
  message = $state('');
  #finished = $state.raw<FinishedRun[]>([]);

  fractionError = $derived(validateLabelNoise({ fraction: this.fraction, seed: 0 })[0]?.message);

  /** Why the experiment cannot start now; '' when it can. */
  blocked = $derived.by((): string => {
    if (this.running) return 'The experiment is running.';
    if (dpoRun.live) return 'A run is training; wait for it to end or stop it.';
    if (this.fractionError) return `Flip fraction: ${this.fractionError}.`;
    if (this.ticked.length === 0) return 'Tick at least one loss type.';
    if (!dpoForm.valid) return 'Fix the settings above first (and choose a dataset with labeled pairs).';
    return '';
  });

  /** The experiment's finished runs, less the one on screen (drawn as the live curves already). */
  overlays = $derived.by((): ChartOverlay[] => this.#finished.filter((r) => r.id === null || r.id !== dpoRun.id).map(({ label, rows }) => ({ label, rows })));

  /** The variant of the run training now ('' between experiments). */
  #current = $state('');
  /** The variant name of the run on screen, when it is one of this experiment's. */
  onScreen = $derived(this.#finished.find((r) => r.id !== null && r.id === dpoRun.id)?.label ?? (this.running ? this.#current : ''));

  isTicked(variant: NoiseVariant): boolean {
    return this.ticked.includes(variant);
  }

  tick(variant: NoiseVariant, on: boolean): void {
    const others = this.ticked.filter((v) => v !== variant);
    // Kept in the table's order, so runs go in the same order whatever order they were ticked in.
    this.ticked = NOISE_VARIANTS.map((v) => v.value).filter((v) => (v === variant ? on : others.includes(v)));
  }

  /** Trains one run per ticked variant in turn; ends early on Stop, a refusal or a failed run. */
  async run(): Promise<void> {
    if (this.blocked) return;
    const fraction = this.fraction;
    const variants = NOISE_VARIANTS.filter((v) => this.ticked.includes(v.value));
    // The form's seed: every variant flips the same pairs, so the runs differ only in the loss.
    const label_noise = { fraction, seed: dpoForm.config.seed };
    this.running = true;
    this.stopping = false;
    this.message = '';
    this.#finished = [];
    try {
      for (const [i, variant] of variants.entries()) {
        if (this.stopping) {
          this.message = `Stopped after ${i} of ${variants.length} runs.`;
          return;
        }
        const label = variantRunLabel(variant, fraction);
        this.progress = `Run ${i + 1} of ${variants.length}: ${label}…`;
        this.#current = label;
        await dpoRun.trainWith(variant.changes(fraction), { label_noise, name: label });
        const phase = dpoRun.phase;
        if (phase === 'finished' || phase === 'stopped') this.#finished = [...this.#finished, { id: dpoRun.id, label, rows: dpoRun.metrics }];
        if (phase !== 'finished') {
          const why = phase === 'stopped' ? 'it was stopped' : phase === 'failed' ? 'it failed' : `it did not start${dpoRun.message ? ` (${dpoRun.message})` : ''}`;
          this.message = `The experiment ended at run ${i + 1} of ${variants.length} (${label}): ${why}.`;
          return;
        }
      }
      this.message = `Finished: ${variants.length} ${variants.length === 1 ? 'run' : 'runs'} with ${Math.round(fraction * 1000) / 10}% of the training labels flipped.`;
    } finally {
      this.running = false;
      this.stopping = false;
      this.progress = '';
      this.#current = '';
    }
  }

  /** Takes the finished runs off the charts (they stay in the history). */
  clear(): void {
    if (this.running) return;
    this.#finished = [];
    this.message = '';
  }

  /** Ends the experiment once the run training now ends (that run finishes normally). */
  stop(): void {
    if (this.running) this.stopping = true;
  }
}

export const noiseExperiment = new NoiseExperimentState();
