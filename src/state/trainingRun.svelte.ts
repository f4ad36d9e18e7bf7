/**
 * The run on screen for one training stage (pretraining, SFT, the reward model): a live run
 * started, paused and stopped here, or a stored one reopened from the history. It knows nothing
 * of a stage's settings: the stage hands `start` a function that loads what it needs and returns
 * how to call the engine. Metrics and samples are replaced, never mutated, so charts redraw from
 * plain arrays.
 */
import * as Comlink from 'comlink';
import type { RunOutcome, TrainEvent } from '../core/engine/engineApi.ts';
import type { CheckpointFiles, MetricRow, PretrainConfig, Sample } from '../core/train/pretrainConfig.ts';
import { db, type RunRecord, type RunStage, type RunStatus } from '../lib/db.ts';
import { engine as mainEngine, type Engine } from '../lib/engine.ts';
import { backend } from './backend.svelte.ts';
import { history } from './history.svelte.ts';
import { stageOf } from './modelSources.ts';
import { RunRecorder } from './runRecorder.ts';
import { sampling } from './sampling.svelte.ts';
import { save } from './storage.ts';

export type RunPhase = 'idle' | 'starting' | 'running' | 'paused' | 'stopping' | Exclude<RunStatus, 'running' | 'paused'>;

const LIVE: RunPhase[] = ['starting', 'running', 'paused', 'stopping'];

/** Every stage's run state, so a lost worker can end whichever run was live. */
const instances = new Set<TrainingRunState>();

/** The page's worker died: end the live run of every stage that trains in it. */
export async function endLiveRuns(message: string): Promise<void> {
  await Promise.all([...instances].filter((r) => r.engine === mainEngine).map((r) => r.workerLost(message)));
}

/** Ids of the runs training in this tab now (never marked interrupted). */
export function liveRunIds(): number[] {
  return [...instances].flatMap((r) => (r.live && r.id !== null ? [r.id] : []));
}

/** What a stage gives `start`: the run record's fields, and the engine call to make. */
export interface RunLaunch {
  name: string;
  /** Steps this run trains (not counting those of the checkpoint it continues). */
  maxSteps: number;
  /** The checkpoint's step when continuing one (pretraining counts on from it); 0 by default. */
  startStep?: number;
  /** In words: "the base checkpoint", "run #4", or "scratch". */
  startedFrom: string;
  /** A pretraining run's settings (RunRecord.config). */
  config?: PretrainConfig;
  /** Another stage's settings (RunRecord.stageConfig). */
  settings?: Record<string, unknown>;
  /** Calls the engine (e.g. `(onEvents) => engine.sft(request, onEvents)`); onEvents is already a comlink proxy. */
  call: (onEvents: (events: TrainEvent[]) => void) => Promise<RunOutcome>;
  /** The engine refused the run before its first step: true when the stage shows why itself (next to a field). */
  refused?: (message: string) => boolean;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Merges rows that share a step (train and eval metrics arrive apart); sorted by step. */
function mergeRows(current: readonly MetricRow[], incoming: readonly MetricRow[]): { all: MetricRow[]; changed: MetricRow[] } {
  const byStep = new Map(current.map((row) => [row.step, row]));
  const changed = new Map<number, MetricRow>();
  for (const row of incoming) {
    const merged = { ...byStep.get(row.step), ...row };
    byStep.set(row.step, merged);
    changed.set(row.step, merged);
  }
  return { all: [...byStep.values()].sort((a, b) => a.step - b.step), changed: [...changed.values()] };
}

export class TrainingRunState {
  readonly stage: RunStage;
  /** The prompts `sampleNow` uses when given none. */
  readonly prompts: readonly string[];
  /** The worker this run trains in: the page's one, or a sweep's extra worker. */
  readonly engine: Engine;
  id = $state<number | null>(null);
  record = $state.raw<RunRecord | null>(null);
  phase = $state<RunPhase>('idle');
  step = $state(0);
  /** The step this run started at (0, or the checkpoint's step when continuing). */
  startStep = $state(0);
  maxSteps = $state(0);
  nParams = $state<number | null>(null);
  /** Rows and examples the run trains and evaluates on (from its 'started' event). */
  counts = $state.raw<{ train?: number; eval?: number }>({});
  metrics = $state.raw<MetricRow[]>([]);
  /** The samples written before the first step: the "before" side of a before/after view. */
  firstSamples = $state.raw<Sample[]>([]);
  /** The latest samples, and the step they were written at. */
  samples = $state.raw<Sample[]>([]);
  samplesStep = $state<number | null>(null);
  checkpointStep = $state<number | null>(null);
  /** Why the run failed, or why it could not start. */
  message = $state<string | null>(null);
  /** True while "Sample now" is generating. */
  sampling = $state(false);
  /** Put first in the next started run's name, then cleared (a sweep's "Sweep beta = 0.1 · "). */
  nextNamePrefix = '';

  live = $derived(LIVE.includes(this.phase));
  /** The latest value of each metric key. */
  latest = $derived.by(() => {
    const out: Record<string, number> = {};
    for (const row of this.metrics) for (const [k, v] of Object.entries(row)) if (typeof v === 'number') out[k] = v;
    return out;
  });

  #recorder: RunRecorder | null = null;
  /** Whether the live run's 'started' event came (the engine accepted the config). */
  #started = false;
  /** Why this run state's worker is gone (it failed while a run was starting); null while it is there. */
  #workerGone: string | null = null;

  constructor(stage: RunStage, prompts: readonly string[] = [], engine: Engine = mainEngine) {
    this.stage = stage;
    this.prompts = prompts;
    this.engine = engine;
    instances.add(this);
  }

  /** Forgets this run state (a sweep's extra lane, once the sweep ends). */
  release(): void {
    instances.delete(this);
  }

  /** Runs of this stage, newest first. */
  get runs(): RunRecord[] {
    return history.runs.filter((r) => stageOf(r) === this.stage);
  }

  /**
   * Starts a run: `prepare` loads what the run needs (a checkpoint, a dataset) and may throw an
   * Error whose message is shown. A run the engine refuses before its first step is not kept.
   */
  async start(prepare: () => Promise<RunLaunch>): Promise<void> {
    if (this.live) return;
    const prefix = this.nextNamePrefix;
    this.nextNamePrefix = '';
    this.#show(null);
    this.phase = 'starting';
    let launch: RunLaunch;
    try {
      launch = await prepare();
      // An extra worker's backend is set by whoever started it (backend.startOn).
      if (this.engine === mainEngine) await backend.ensure();
    } catch (error) {
      this.phase = 'idle';
      this.message = messageOf(error);
      return;
    }
    this.maxSteps = launch.maxSteps;
    this.step = this.startStep = launch.startStep ?? 0;
    const now = Date.now();
    const record: RunRecord = {
      stage: this.stage, name: prefix + launch.name, source: 'train', createdAt: now, updatedAt: now, status: 'running', step: this.step,
      maxSteps: launch.maxSteps, backend: backend.active ?? undefined, startedFrom: launch.startedFrom,
      ...(launch.config ? { config: launch.config } : {}),
      ...(launch.settings ? { stageConfig: launch.settings } : {}),
    };
    let id: number | null = null;
    await save('this run (it trains, but will not be in the history)', async () => (id = (await db.runs.add(record)) ?? null));
    this.id = id;
    this.record = id === null ? null : { ...record, id };
    this.#recorder = new RunRecorder(id);
    void history.refresh();
    // The worker failed while this run was starting: the call would never answer.
    if (this.#workerGone) return this.#finish({ status: 'failed', step: this.step, message: this.#workerGone });

    const onEvents = Comlink.proxy((events: TrainEvent[]) => this.#onEvents(events));
    // The sampling knobs reach the page's worker only.
    const onScreen = this.engine === mainEngine;
    if (onScreen) sampling.live = true;
    this.phase = 'running';
    this.#started = false;
    let outcome: RunOutcome;
    try {
      outcome = await launch.call(onEvents);
    } catch (error) {
      if (onScreen) sampling.live = false;
      // Refused before the first step: nothing was trained, so keep no run; say what to fix.
      if (!this.#started) return this.#refused(messageOf(error), launch.refused);
      outcome = { status: 'failed', step: this.step, message: messageOf(error) };
    }
    if (onScreen) sampling.live = false;
    await this.#finish(outcome);
  }

  pause(): void {
    if (this.phase !== 'running') return;
    this.phase = 'paused';
    void this.engine.pause();
  }

  resume(): void {
    if (this.phase !== 'paused') return;
    this.phase = 'running';
    void this.engine.resume();
  }

  stop(): void {
    if (this.phase !== 'running' && this.phase !== 'paused') return;
    this.phase = 'stopping';
    void this.engine.stop();
  }

  /** Shows a stored run: its charts, its first and latest samples, its checkpoint. */
  async open(id: number): Promise<void> {
    if (this.live) return;
    const record = await db.runs.get(id);
    if (!record) return;
    const [metrics, samples, checkpoint] = await Promise.all([
      db.metrics.where('runId').equals(id).sortBy('step'),
      db.samples.where('runId').equals(id).sortBy('step'),
      db.checkpoints.get(id),
    ]);
    this.#show(record);
    this.metrics = metrics.map(({ runId: _runId, ...row }) => row);
    this.firstSamples = samples[0]?.step === 0 ? samples[0].samples : [];
    const last = samples.at(-1);
    this.samples = last?.samples ?? [];
    this.samplesStep = last?.step ?? null;
    this.checkpointStep = checkpoint?.step ?? null;
  }

  /** Shows this stage's newest run, if nothing is on screen yet (after a reload). */
  async openLatest(): Promise<void> {
    if (this.id !== null || this.live) return;
    if (!history.loaded) await history.refresh();
    const newest = this.runs[0];
    if (newest?.id !== undefined && this.id === null) await this.open(newest.id);
  }

  /** Deletes a stored run of this stage (not the live one) and everything stored with it. */
  async remove(id: number): Promise<void> {
    if (this.live && this.id === id) return;
    await history.remove(id);
    if (this.id === id) this.#show(null);
  }

  /**
   * Samples `prompts` again with the current sampling settings: the "after" side from the paused
   * run's model or the shown run's checkpoint, and the "before" side from `before` when given.
   */
  async sampleNow(prompts: readonly string[] = this.prompts, before?: () => Promise<CheckpointFiles>): Promise<void> {
    if (this.sampling || this.phase === 'running' || this.phase === 'starting' || this.phase === 'stopping') return;
    this.sampling = true;
    this.message = null;
    try {
      const list = [...prompts];
      let after: Sample[];
      if (this.phase === 'paused') after = await this.engine.sample(list, sampling.snapshot());
      else {
        const checkpoint = this.id === null ? undefined : await db.checkpoints.get(this.id);
        if (!checkpoint) throw new Error('This run has no saved checkpoint to sample from.');
        await backend.ensure();
        const files: CheckpointFiles = { model: checkpoint.model, config: checkpoint.config, tokenizer: checkpoint.tokenizer };
        after = await this.engine.sample(list, sampling.snapshot(), Comlink.transfer(files, [files.model]));
      }
      if (before) {
        const files = await before();
        this.firstSamples = await this.engine.sample(list, sampling.snapshot(), Comlink.transfer(files, [files.model]));
      }
      this.samples = after;
      this.samplesStep = this.phase === 'paused' ? this.step : this.checkpointStep;
    } catch (error) {
      this.message = `Sampling failed: ${messageOf(error)}`;
    } finally {
      this.sampling = false;
    }
  }

  /** The worker died: a live run will never report back, so end it here. */
  async workerLost(message: string): Promise<void> {
    if (this.phase === 'starting' && !this.#recorder) {
      this.#workerGone = message;
      this.phase = 'idle';
      this.message = message;
    } else if (this.live) {
      await this.#finish({ status: 'failed', step: this.step, message, checkpointStep: this.checkpointStep ?? undefined });
    }
  }

  async #refused(message: string, shownByStage?: (message: string) => boolean): Promise<void> {
    const id = this.id;
    this.#recorder = null;
    this.#show(null);
    if (!shownByStage?.(message)) this.message = message;
    if (id !== null) await db.runs.delete(id).catch(() => undefined);
    await history.refresh();
  }

  #onEvents(events: TrainEvent[]): void {
    const recorder = this.#recorder;
    for (const event of events) {
      switch (event.type) {
        case 'started':
          this.#started = true;
          backend.observed(event.backend);
          this.nParams = event.nParams;
          this.counts = { train: event.numTrainExamples, eval: event.numEvalExamples };
          void recorder?.update({ backend: event.backend, nParams: event.nParams, vocabSize: event.vocabSize });
          break;
        case 'metrics': {
          if (event.rows.length === 0) break;
          const { all, changed } = mergeRows(this.metrics, event.rows);
          this.metrics = all;
          this.step = Math.max(this.step, all.at(-1)!.step);
          recorder?.metrics(changed);
          break;
        }
        case 'samples':
          if (event.step === 0) this.firstSamples = event.samples;
          this.samples = event.samples;
          this.samplesStep = event.step;
          recorder?.samples(event.step, event.samples);
          break;
        case 'checkpoint':
          this.checkpointStep = event.step;
          recorder?.checkpoint(event.step, event.files);
          break;
        case 'status':
          if (this.phase !== 'stopping') this.phase = event.state;
          this.step = Math.max(this.step, event.step);
          void recorder?.update({ status: event.state, step: this.step });
          break;
        default:
          this.onOtherEvent(event);
      }
    }
  }

  /** A stage's own events (e.g. GRPO's reward failures); the shared ones are handled above. */
  protected onOtherEvent(_event: TrainEvent): void {}

  async #finish(outcome: RunOutcome): Promise<void> {
    this.step = Math.max(this.step, outcome.step);
    const message = outcome.status === 'failed' ? (outcome.message ?? 'The run failed.') : null;
    if (outcome.checkpointStep !== undefined) this.checkpointStep = outcome.checkpointStep;
    await this.#recorder?.finish({
      status: outcome.status,
      step: this.step,
      message: message ?? undefined,
      ...(this.checkpointStep !== null ? { checkpointStep: this.checkpointStep } : {}),
    });
    // Shown only once stored: a reload right after "Finished" must find the run finished, not interrupted.
    this.phase = outcome.status;
    this.message = message;
    this.#recorder = null;
    if (this.id !== null) this.record = (await db.runs.get(this.id)) ?? this.record;
    await history.refresh();
  }

  /** Puts a stored run (or nothing) on screen. */
  #show(record: RunRecord | null): void {
    this.id = record?.id ?? null;
    this.record = record;
    this.phase = record ? (record.status === 'running' || record.status === 'paused' ? 'interrupted' : record.status) : 'idle';
    this.step = record?.step ?? 0;
    this.startStep = 0;
    this.maxSteps = record?.maxSteps ?? 0;
    this.nParams = record?.nParams ?? null;
    this.counts = {};
    this.metrics = [];
    this.firstSamples = [];
    this.samples = [];
    this.samplesStep = null;
    this.checkpointStep = record?.checkpointStep ?? null;
    this.message = record?.message ?? null;
  }
}
