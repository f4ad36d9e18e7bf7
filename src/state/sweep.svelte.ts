/**
 * A sweep: one run per value of one numeric setting (PPO's kl_coef, DPO's beta, ...), each with
 * the stage's current form settings and that value. "Runs at once" lanes train at the same time:
 * the first in the page's worker (it trains on screen in the stage's tab), each other one in an
 * extra worker of its own (src/state/sweepLane.svelte.ts); each lane takes the next value as soon
 * as its run ends. Every run is stored in the history, named "Sweep kl_coef = 0.05 · ...".
 * The form itself is left as it is: each run gets its value as a change over the form's settings.
 * Stop lets the runs training now finish and starts no more. A run that fails (or does not
 * start) ends as failed and the sweep goes on with the other values; the last message names it.
 * Kept in memory only: a reload forgets the sweep (the runs stay in the history).
 */
import { validateDpoRunConfig, type DpoRunConfig } from '../core/dpo/dpoConfig.ts';
import { validateGrpoConfig, type GrpoConfig } from '../core/grpo/grpoConfig.ts';
import { validatePpoRunConfig, type PpoRunConfig } from '../core/ppo/ppoRunConfig.ts';
import type { FieldError } from '../core/train/validate.ts';
import type { FrontierStage } from '../lib/klFrontier.ts';
import { onWorkerError, type Engine } from '../lib/engine.ts';
import { defaultRunsAtOnce, expectedBackend, maxRunsAtOnce, runInLanes, runsAtOnceError, sweepSummary, usesGpu, type SweepResult } from '../lib/sweepLanes.ts';
import { backend } from './backend.svelte.ts';
import { dpoForm } from './dpoForm.svelte.ts';
import { dpoRun, DpoRunState } from './dpoRun.svelte.ts';
import { grpoForm } from './grpoForm.svelte.ts';
import { grpoRun, GrpoRunState } from './grpoRun.svelte.ts';
import { ppoForm } from './ppoForm.svelte.ts';
import { ppoRun, PpoRunState } from './ppoRun.svelte.ts';
import { SweepLane, type Headline } from './sweepLane.svelte.ts';
import type { TrainingRunState } from './trainingRun.svelte.ts';

/** What the sweep needs of a stage: its form's settings, its checks and its runs. */
interface SweepStage {
  /** Its short name in messages ("2 PPO runs"). */
  label: string;
  /** The stage's choice in the sweep card, after its tab. */
  choice: string;
  /** The setting picked when the stage is chosen. */
  defaultField: string;
  /** The metric each lane's row shows. */
  headline: Headline;
  /** The stage's run on screen: the first lane trains in it. */
  run: TrainingRunState;
  /** A run state of this stage on another worker (an extra lane). */
  runOn(engine: Engine): TrainingRunState;
  /** Trains `run` (one of this stage's) with the form's settings and `field` = `value`; resolves when it ends. */
  train(run: TrainingRunState, field: string, value: number): Promise<void>;
  config(): Record<string, unknown>;
  validate(config: Record<string, unknown>): FieldError[];
  valid(): boolean;
}

type Loose = Record<string, unknown>;

/** What the sweep uses of a stage's form (PpoForm, DpoForm, GrpoForm all have it). */
interface StageForm<C> {
  snapshot(): C;
  valid: boolean;
}

interface StageParts<C, R extends TrainingRunState> {
  label: string;
  choice: string;
  defaultField: string;
  headline: Headline;
  run: R;
  runOn: (engine: Engine) => R;
  train: (run: R, changes: Partial<C>) => Promise<void>;
  form: StageForm<C>;
  validate: (c: C) => FieldError[];
}

function sweepStage<C, R extends TrainingRunState>(parts: StageParts<C, R>): SweepStage {
  const { form, validate, train, ...rest } = parts;
  return {
    ...rest,
    // Only numeric fields are offered, so a number is the field's type; the run is one runOn made.
    train: (run, field, value) => train(run as R, { [field]: value } as Partial<C>),
    config: () => form.snapshot() as Loose,
    validate: (c) => validate(c as C),
    valid: () => form.valid,
  };
}

export const SWEEP_STAGES: Record<FrontierStage, SweepStage> = {
  ppo: sweepStage<PpoRunConfig, PpoRunState>({
    label: 'PPO',
    choice: 'Policy optimization: PPO',
    defaultField: 'kl_coef',
    headline: { key: 'objective/scores', label: 'score (objective/scores)' },
    run: ppoRun,
    runOn: (engine) => new PpoRunState(engine),
    train: (run, changes) => run.train(changes),
    form: ppoForm,
    validate: validatePpoRunConfig,
  }),
  dpo: sweepStage<DpoRunConfig, DpoRunState>({
    label: 'DPO',
    choice: 'Direct preference: DPO, KTO, ORPO, CPO',
    defaultField: 'beta',
    headline: { key: 'loss', label: 'loss' },
    run: dpoRun,
    runOn: (engine) => new DpoRunState(engine),
    train: (run, changes) => run.trainWith(changes),
    form: dpoForm,
    validate: validateDpoRunConfig,
  }),
  grpo: sweepStage<GrpoConfig, GrpoRunState>({
    label: 'GRPO / RLOO',
    choice: 'Group-relative: GRPO, RLOO',
    defaultField: 'beta',
    headline: { key: 'reward', label: 'reward' },
    run: grpoRun,
    runOn: (engine) => new GrpoRunState(engine),
    train: (run, changes) => run.train(changes),
    form: grpoForm,
    // The reward weights are the form's own check (per reward function), as the GRPO form does.
    validate: (c) => validateGrpoConfig({ ...c, reward_weights: null }),
  }),
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
  /** What the user typed in "Runs at once" (NaN when not a number); null: the suggested count. */
  runsAtOnceChosen = $state<number | null>(null);
  running = $state(false);
  /** Stop pressed: the runs training now finish, no further run starts. */
  stopping = $state(false);
  /** The lanes of the running (or last) sweep, and the setting it sweeps. */
  lanes = $state.raw<SweepLane[]>([]);
  sweptField = $state('');
  /** The values of the running sweep and how each ended so far. */
  #values = $state.raw<number[]>([]);
  #results = $state.raw<SweepResult[]>([]);
  /** How the last sweep ended, in words. */
  message = $state('');

  spec = $derived(SWEEP_STAGES[this.stage]);
  fields = $derived(numericFields(this.spec.config()));
  parsed = $derived(parseSweepValues(this.valuesText, this.field, this.spec.config(), this.spec.validate));
  /** The message shown next to the values box ('' when the list is fine). */
  valuesError = $derived(this.parsed.errors.join('; '));

  /** The device's cores, as the browser reports them. */
  readonly cores = Math.max(1, (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) || 1);
  /** The backend the runs will train on (null while 'auto' has measured nothing). */
  backendName = $derived(expectedBackend(backend.active, backend.choice, backend.timings));
  onGpu = $derived(usesGpu(this.backendName));
  maxRunsAtOnce = maxRunsAtOnce(this.cores);
  suggestedRunsAtOnce = $derived(defaultRunsAtOnce(this.cores, this.backendName, Math.max(1, this.parsed.values.length)));
  runsAtOnce = $derived(this.runsAtOnceChosen ?? this.suggestedRunsAtOnce);
  runsAtOnceError = $derived(runsAtOnceError(this.runsAtOnce, this.cores));

  /** Runs of the sweep live now. */
  training = $derived(this.lanes.filter((l) => l.training));
  /** The running sweep in words, for the status line ("2 runs training at once: ..."). */
  progress = $derived.by((): string => {
    if (!this.running) return '';
    const total = this.#values.length;
    const live = this.training;
    const ended = this.#results.length;
    if (this.lanes.length <= 1) {
      const lane = this.lanes[0];
      return !lane || lane.value === null ? 'Starting…' : `Run ${ended + (lane.busy ? 1 : 0)} of ${total}: ${this.sweptField} = ${lane.value}…`;
    }
    const now = live.length ? `${live.length} ${live.length === 1 ? 'run' : 'runs'} training at once (${this.sweptField} = ${live.map((l) => l.value).join(', ')})` : 'Starting the workers…';
    return `${now}; ${ended} of ${total} done.`;
  });

  /** Why the sweep cannot start now; '' when it can. */
  blocked = $derived.by((): string => {
    if (this.running) return 'The sweep is running.';
    if (this.spec.run.live) return `A ${this.spec.label} run is training; wait for it to end or stop it.`;
    if (!this.fields.includes(this.field)) return 'Choose the setting to sweep.';
    if (this.valuesError) return 'Fix the list of values.';
    if (this.runsAtOnceError) return 'Fix the number of runs at once.';
    if (!this.spec.valid()) return `Fix the settings of the ${this.spec.label} stage first (every run of the sweep uses them).`;
    return '';
  });

  /** Settles with why, if the page's worker fails to load (its runs would never report back). */
  #pageWorkerLost: Promise<string> | null = null;

  chooseStage(stage: FrontierStage): void {
    if (this.running) return;
    this.stage = stage;
    this.field = SWEEP_STAGES[stage].defaultField;
  }

  /** A typed count (NaN when not a number); the field's message says what is wrong. */
  chooseRunsAtOnce(n: number): void {
    if (!this.running) this.runsAtOnceChosen = n;
  }

  /** Trains one run per value, `runsAtOnce` at a time; Stop ends it once the runs training now end. */
  async run(): Promise<void> {
    if (this.blocked) return;
    const spec = this.spec;
    const field = this.field;
    const values = [...this.parsed.values];
    const count = Math.min(this.runsAtOnce, values.length);
    this.running = true;
    this.stopping = false;
    this.message = '';
    this.lanes = [];
    this.#values = values;
    this.#results = [];
    this.sweptField = field;
    this.#pageWorkerLost ??= new Promise((resolve) => onWorkerError((message, fatal) => fatal && resolve(message)));
    const lanes = [SweepLane.onPage(spec.run, spec.headline, this.#pageWorkerLost)];
    try {
      if (count > 1) {
        // The page's worker first, so 'auto' measures once and every extra worker gets its backend.
        await backend.ensure();
        for (let n = 2; n <= count; n++) lanes.push(SweepLane.extra(n, spec.runOn, spec.headline));
      }
      this.lanes = lanes;
      const ready = await Promise.all(lanes.map((lane) => lane.prepare()));
      const working = lanes.filter((_, i) => ready[i]);
      await runInLanes(
        values,
        working.length,
        async (value, n) => {
          const lane = working[n];
          const result = await lane.train(value, sweepRunPrefix(field, value), (run) => spec.train(run, field, value));
          this.#results = [...this.#results, result];
          // A run stopped on its tab ends the sweep as the Stop button does.
          if (result.outcome === 'stopped') this.stopping = true;
          return !lane.gone;
        },
        () => !this.stopping,
      );
      this.message = sweepSummary(spec.label, field, values, this.#results) + this.#lanesGone(lanes);
    } catch (error) {
      this.message = `The sweep could not go on: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      for (const lane of lanes) lane.close();
      this.running = false;
      this.stopping = false;
    }
  }

  /** Ends the sweep once the runs training now end (they finish normally). */
  stop(): void {
    if (this.running) this.stopping = true;
  }

  /** " Lane 2 dropped out: its worker could not start: ..." for lanes that trained nothing (a failed run names its own). */
  #lanesGone(lanes: readonly SweepLane[]): string {
    return lanes
      .filter((l) => l.gone && !l.last)
      .map((l) => ` Lane ${l.number} dropped out: ${l.gone}.`)
      .join('');
  }
}

export const sweep = new SweepState();
