/**
 * Writes one live run to IndexedDB as its events arrive: metric rows buffered and written in
 * batches, sample tables, the latest good checkpoint, and the run record's status.
 * A run that could not be created in storage (runId null) trains without being saved.
 */
import type { CheckpointFiles, MetricRow, Sample } from '../core/train/pretrainConfig.ts';
import { db, type RunRecord } from '../lib/db.ts';
import { save } from './storage.ts';

const FLUSH_MS = 1000;

function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export class RunRecorder {
  readonly runId: number | null;
  #pending = new Map<number, MetricRow>();
  #timer: ReturnType<typeof setTimeout> | null = null;
  #writes: Promise<unknown> = Promise.resolve();

  constructor(runId: number | null) {
    this.runId = runId;
  }

  /** Queues merged rows (one per step); they are written at most once a second. */
  metrics(rows: readonly MetricRow[]): void {
    if (this.runId === null) return;
    for (const row of rows) this.#pending.set(row.step, row);
    this.#timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  flush(): Promise<unknown> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const runId = this.runId;
    if (runId === null || this.#pending.size === 0) return this.#writes;
    const rows = [...this.#pending.values()].map((row) => ({ ...row, runId }));
    this.#pending.clear();
    return this.#queue(`the metrics up to step ${rows.at(-1)!.step}`, () => db.metrics.bulkPut(rows));
  }

  samples(step: number, samples: Sample[]): void {
    const runId = this.runId;
    if (runId === null) return;
    void this.#queue(`the samples at step ${step}`, () => db.samples.put({ runId, step, samples }));
  }

  checkpoint(step: number, files: CheckpointFiles): void {
    const runId = this.runId;
    if (runId === null) return;
    void this.#queue(`the checkpoint at step ${step} (the previous one is kept)`, () =>
      db.transaction('rw', db.checkpoints, db.runs, async () => {
        await db.checkpoints.put({ runId, step, ...files });
        await db.runs.update(runId, { checkpointStep: step, updatedAt: Date.now() });
      }),
    );
  }

  update(patch: Partial<RunRecord>): Promise<unknown> {
    const runId = this.runId;
    if (runId === null) return Promise.resolve();
    return this.#queue("the run's status", () => db.runs.update(runId, { ...patch, updatedAt: Date.now() }));
  }

  /** Writes what is buffered, then the final status; resolves when everything is stored. */
  async finish(patch: Partial<RunRecord>): Promise<void> {
    await this.flush();
    await this.update(patch);
  }

  /**
   * Writes happen one after another, in the order the events came, each in a task of its own:
   * chained straight onto a settled promise, a write (Dexie's bookkeeping and IndexedDB's copy
   * of a checkpoint) ran in the same task as the worker message that brought it and the
   * re-render that message caused, together a main-thread task over 50 ms.
   */
  #queue(what: string, write: () => Promise<unknown>): Promise<unknown> {
    this.#writes = this.#writes.then(nextTask).then(() => save(what, write));
    return this.#writes;
  }
}
