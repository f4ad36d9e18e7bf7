/**
 * A sweep: one run per value of one numeric setting (PPO's kl_coef, DPO's beta, ...), one after
 * another, each with the stage's current form settings and that value. Every run goes through
 * the stage's run state, so it trains on screen in its tab and is stored in the history, named
 * "Sweep kl_coef = 0.05 · ...". One worker trains at a time: runs never overlap.
 * The form's value of the setting is put back when the sweep ends.
 * Kept in memory only: a reload forgets the sweep (the runs stay in the history).
 */
import { validateDpoRunConfig } from '../core/dpo/dpoConfig.ts';
import { validateGrpoConfig } from '../core/grpo/grpoConfig.ts';
import { validatePpoRunConfig } from '../core/ppo/ppoRunConfig.ts';
import type { FieldError } from '../core/train/validate.ts';
import type { FrontierStage } from '../lib/klFrontier.ts';
import { dpoForm } from './dpoForm.svelte.ts';
import { dpoRun } from './dpoRun.svelte.ts';
import { grpoForm } from './grpoForm.svelte.ts';
import { grpoRun } from './grpoRun.svelte.ts';
import { ppoForm } from './ppoForm.svelte.ts';
import { ppoRun } from './ppoRun.svelte.ts';
import type { TrainingRunState } from './trainingRun.svelte.ts';

/** What the sweep needs of a stage: its form's settings, its checks and its run. */
interface SweepStage {
  /** Its short name in messages ("2 PPO runs"). */
  label: string;
  /** The stage's choice in the sweep card, after its tab. */
  choice: string;
  /** The setting picked when the stage is chosen. */
  defaultField: string;
  run: TrainingRunState & { train(): Promise<void> };
  config(): Record<string, unknown>;
  set(field: string, value: number): void;
  validate(config: Record<string, unknown>): FieldError[];
  valid(): boolean;
}

type Loose = Record<string, unknown>;

/** What the sweep uses of a stage's form (PpoForm, DpoForm, GrpoForm all have it). */
interface StageForm<C> {
  snapshot(): C;
  set(field: never, value: never): void;
  valid: boolean;
}

function sweepStage<C>(label: string, choice: string, defaultField: string, run: SweepStage['run'], form: StageForm<C>, validate: (c: C) => FieldError[]): SweepStage {
  return {
    label,
    choice,
    defaultField,
    run,
    config: () => form.snapshot() as Loose,
    // Only numeric fields are offered, so a number is the field's type.
    set: (field, value) => (form.set as (field: string, value: number) => void).call(form, field, value),
    validate: (c) => validate(c as C),
    valid: () => form.valid,
  };
}

export const SWEEP_STAGES: Record<FrontierStage, SweepStage> = {
  ppo: sweepStage('PPO', 'Policy optimization: PPO', 'kl_coef', ppoRun, ppoForm, validatePpoRunConfig),
  dpo: sweepStage('DPO', 'Direct preference: DPO, KTO, ORPO, CPO', 'beta', dpoRun, dpoForm, validateDpoRunConfig),
  // The reward weights are the form's own check (per reward function), as the GRPO form does.
  grpo: sweepStage('GRPO / RLOO', 'Group-relative: GRPO, RLOO', 'beta', grpoRun, grpoForm, (c) => validateGrpoConfig({ ...c, reward_weights: null })),
};

/** The most runs one sweep may queue (each is a whole training run). */
export const MAX_SWEEP_VALUES = 12;

/** The settings of a config that hold a number, sorted. */
export function numericFields(config: Loose): string[] {
  return Object.keys(config)
    .filter((k) => typeof config[k] === 'number')
    .sort();
}

/**
 * Reads "0, 0.02, 0.05" (commas, semicolons or spaces between) into numbers, each checked with the
 * stage's validator as `field` of `config`; errors name the value they are about.
 */
export function parseSweepValues(text: string, field: string, config: Loose, validate: (c: Loose) => FieldError[]): { values: number[]; errors: string[] } {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  const errors: string[] = [];
  const values: number[] = [];
  if (!parts.length) errors.push('type at least one value, e.g. 0, 0.05, 0.1');
  if (parts.length > MAX_SWEEP_VALUES) errors.push(`at most ${MAX_SWEEP_VALUES} values (one run each); this list has ${parts.length}`);
  for (const part of parts) {
    const value = Number(part);
    if (!Number.isFinite(value)) {
      errors.push(`“${part}” is not a number`);
      continue;
    }
    const problem = validate({ ...config, [field]: value }).find((e) => e.field === field);
    if (problem) errors.push(`${field} = ${part}: ${problem.message}`);
    else if (values.includes(value)) errors.push(`${part} is listed twice`);
    else values.push(value);
  }
  return { values: errors.length ? [] : values, errors };
}

/** "Sweep kl_coef = 0.05 · " */
export function sweepRunPrefix(field: string, value: number): string {
  return `Sweep ${field} = ${value} · `;
}

class SweepState {
  stage = $state<FrontierStage>('ppo');
  field = $state('kl_coef');
  valuesText = $state('0, 0.05, 0.2');
  running = $state(false);
  /** Stop pressed: the run training now finishes, no further run starts. */
  stopping = $state(false);
  /** "Run 2 of 5: kl_coef = 0.05…" */
  progress = $state('');
  /** How the last sweep ended, in words. */
  message = $state('');

  spec = $derived(SWEEP_STAGES[this.stage]);
  fields = $derived(numericFields(this.spec.config()));
  parsed = $derived(parseSweepValues(this.valuesText, this.field, this.spec.config(), this.spec.validate));
  /** The message shown next to the values box ('' when the list is fine). */
  valuesError = $derived(this.parsed.errors.join('; '));

  /** Why the sweep cannot start now; '' when it can. */
  blocked = $derived.by((): string => {
    if (this.running) return 'The sweep is running.';
    if (this.spec.run.live) return `A ${this.spec.label} run is training; wait for it to end or stop it.`;
    if (!this.fields.includes(this.field)) return 'Choose the setting to sweep.';
    if (this.valuesError) return 'Fix the list of values.';
    if (!this.spec.valid()) return `Fix the settings of the ${this.spec.label} stage first (every run of the sweep uses them).`;
    return '';
  });

  chooseStage(stage: FrontierStage): void {
    if (this.running) return;
    this.stage = stage;
    this.field = SWEEP_STAGES[stage].defaultField;
  }

  /** Trains one run per value in turn; ends early on Stop, a refusal or a failed run. */
  async run(): Promise<void> {
    if (this.blocked) return;
    const spec = this.spec;
    const field = this.field;
    const values = [...this.parsed.values];
    const original = spec.config()[field] as number;
    this.running = true;
    this.stopping = false;
    this.message = '';
    try {
      for (const [i, value] of values.entries()) {
        if (this.stopping) {
          this.message = `Stopped after ${i} of ${values.length} runs.`;
          return;
        }
        this.progress = `Run ${i + 1} of ${values.length}: ${field} = ${value}…`;
        // The form shows what trains; the run reads its settings from it.
        spec.set(field, value);
        spec.run.nextNamePrefix = sweepRunPrefix(field, value);
        await spec.run.train();
        spec.run.nextNamePrefix = '';
        const phase = spec.run.phase;
        if (phase !== 'finished') {
          const why = phase === 'stopped' ? 'it was stopped' : phase === 'failed' ? 'it failed' : `it did not start${spec.run.message ? ` (${spec.run.message})` : ''}`;
          this.message = `The sweep ended at run ${i + 1} of ${values.length} (${field} = ${value}): ${why}.`;
          return;
        }
      }
      this.message = `Finished: ${values.length} ${spec.label} ${values.length === 1 ? 'run' : 'runs'}, ${field} = ${values.join(', ')}.`;
    } finally {
      spec.run.nextNamePrefix = '';
      spec.set(field, original);
      this.running = false;
      this.stopping = false;
      this.progress = '';
    }
  }

  /** Ends the sweep once the run training now ends (that run finishes normally). */
  stop(): void {
    if (this.running) this.stopping = true;
  }
}

export const sweep = new SweepState();
