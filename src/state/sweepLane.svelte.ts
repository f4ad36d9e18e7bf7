/**
 * One lane of a sweep: a stage's run state that trains the sweep's values one after another. The
 * first lane is the stage's own run on the page's worker (its runs show on the stage's tab); each
 * other lane has a run state of its own on an extra worker (src/lib/enginePool.ts), started with
 * the page's backend and terminated when the sweep ends. A worker that fails ends its run as
 * failed, with the reason, and its lane takes no more values.
 */
import type { Engine } from '../lib/engine.ts';
import { startExtraEngine, type ExtraEngine } from '../lib/enginePool.ts';
import { metric } from '../lib/format.ts';
import type { SweepResult } from '../lib/sweepLanes.ts';
import { backend } from './backend.svelte.ts';
import type { RunPhase, TrainingRunState } from './trainingRun.svelte.ts';

/** The metric a lane's row shows, per stage ('objective/scores' as "score"). */
export interface Headline {
  key: string;
  label: string;
}

/** What a lane row shows of a run: kept when the run ends, so the row stays put. */
interface RunView {
  step: number;
  maxSteps: number;
  latest: number | undefined;
}

const PHASE_WORDS: Record<RunPhase, string> = {
  idle: 'starting',
  starting: 'starting',
  running: 'training',
  paused: 'paused on its tab',
  stopping: 'stopping',
  finished: 'finished',
  stopped: 'stopped',
  failed: 'failed',
  interrupted: 'interrupted',
  imported: 'imported',
};

const TRAINING: readonly RunPhase[] = ['starting', 'running', 'paused', 'stopping'];

export class SweepLane {
  /** 1 for the page's worker, 2.. for the extra ones. */
  readonly number: number;
  readonly run: TrainingRunState;
  readonly headline: Headline;
  /** The value its current (or last) run trains; null before its first. */
  value = $state<number | null>(null);
  /** True while one of the sweep's runs is in this lane. */
  busy = $state(false);
  /** How its last run ended. */
  last = $state.raw<SweepResult | null>(null);
  /** Why the lane takes no more values (its worker failed), else ''. */
  gone = $state('');

  /** A run of the sweep is live in this lane now. */
  training = $derived.by(() => this.busy && TRAINING.includes(this.run.phase));
  /** Step, step count and headline metric: the live run's, else as its last run ended. */
  view = $derived.by((): RunView | null => (this.busy ? this.#live() : this.#ended));
  /** The row's status, in words. */
  status = $derived.by((): string => {
    if (this.gone) return this.gone;
    if (this.busy) return PHASE_WORDS[this.run.phase];
    if (!this.last) return 'waiting';
    return this.last.outcome === 'failed' ? `failed: ${this.last.message ?? 'no reason given'}` : this.last.outcome;
  });

  #worker: ExtraEngine | null;
  /** Settles with why, once this lane's worker is gone. */
  #lost: Promise<string>;
  #ended = $state.raw<RunView | null>(null);

  private constructor(number: number, run: TrainingRunState, headline: Headline, worker: ExtraEngine | null, lost: Promise<string>) {
    this.number = number;
    this.run = run;
    this.headline = headline;
    this.#worker = worker;
    this.#lost = lost;
  }

  /** The first lane: the stage's run on the page's worker; `lost` settles if that worker fails to load. */
  static onPage(run: TrainingRunState, headline: Headline, lost: Promise<string>): SweepLane {
    return new SweepLane(1, run, headline, null, lost);
  }

  /** A lane with a worker of its own: `makeRun` builds the stage's run state on that worker. */
  static extra(number: number, makeRun: (engine: Engine) => TrainingRunState, headline: Headline): SweepLane {
    const worker = startExtraEngine();
    return new SweepLane(number, makeRun(worker.engine), headline, worker, worker.lost);
  }

  /** Sets an extra worker to the page's backend; false (and the lane is gone) when it cannot start. */
  async prepare(): Promise<boolean> {
    if (!this.#worker) return true;
    const failed = this.#lost.then((why) => Promise.reject(new Error(why)));
    try {
      await Promise.race([backend.startOn(this.#worker.engine), failed]);
      return true;
    } catch (error) {
      this.gone = `its worker could not start: ${error instanceof Error ? error.message : String(error)}`;
      this.close();
      return false;
    } finally {
      failed.catch(() => undefined);
    }
  }

  /**
   * Trains one value: `train` starts the stage's run (named with `prefix`) and resolves when it has
   * ended. Resolves with how it ended, also when the worker fails mid-run (the run is then ended
   * here as failed: it would never report back).
   */
  async train(value: number, prefix: string, train: (run: TrainingRunState) => Promise<void>): Promise<SweepResult> {
    this.value = value;
    this.busy = true;
    this.run.nextNamePrefix = prefix;
    const lost = await Promise.race([train(this.run).then(() => null), this.#lost]);
    this.run.nextNamePrefix = '';
    let result: SweepResult;
    if (lost !== null) {
      const message = `lane ${this.number}'s training worker stopped: ${lost}`;
      // The page's worker: startup ends its live runs (endLiveRuns); an extra one is ended here.
      if (this.#worker) await this.run.workerLost(message);
      this.gone = `its worker stopped: ${lost}`;
      // The run may still be starting; it then ends as failed with this message (TrainingRunState.start).
      this.close();
      result = { value, outcome: 'failed', message };
    } else {
      const phase = this.run.phase;
      result =
        phase === 'finished' || phase === 'stopped'
          ? { value, outcome: phase }
          : { value, outcome: 'failed', message: phase === 'failed' ? (this.run.message ?? undefined) : `it did not start${this.run.message ? ` (${this.run.message})` : ''}` };
    }
    this.#ended = this.#live();
    this.last = result;
    this.busy = false;
    return result;
  }

  /** The headline metric's latest value, as the row shows it. */
  latestText(): string {
    return metric(this.view?.latest);
  }

  /** Ends an extra lane's worker (with every tensor in it) and forgets its run state; the first lane's stays. */
  close(): void {
    if (!this.#worker) return;
    this.#worker.terminate();
    this.run.release();
  }

  #live(): RunView {
    return { step: this.run.step, maxSteps: this.run.maxSteps, latest: this.run.latest[this.headline.key] };
  }
}
