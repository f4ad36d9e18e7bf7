/**
 * The one IndexedDB database (dexie). Runs, their metric rows, their sample tables and their
 * latest good checkpoint. Only state classes import this.
 */
import Dexie, { type EntityTable, type Table } from 'dexie';
import type { BackendName, MetricRow, PretrainConfig, Sample } from '../core/train/pretrainConfig.ts';

export type RunStatus = 'running' | 'paused' | 'finished' | 'stopped' | 'failed' | 'interrupted' | 'imported';

export interface RunRecord {
  id?: number;
  name: string;
  /** Where the run came from: trained here, or imported from files. */
  source: 'train' | 'import';
  createdAt: number;
  updatedAt: number;
  status: RunStatus;
  step: number;
  maxSteps: number;
  backend?: BackendName;
  config?: PretrainConfig;
  nParams?: number;
  vocabSize?: number;
  /** What the run started from, in words ("scratch", "base checkpoint", "run #3"). */
  startedFrom: string;
  /** Why it failed or what could not be saved. */
  message?: string;
  checkpointStep?: number;
}

export interface MetricRecord extends MetricRow {
  runId: number;
}

export interface SampleRecord {
  runId: number;
  step: number;
  samples: Sample[];
}

export interface CheckpointRecord {
  runId: number;
  step: number;
  model: ArrayBuffer;
  config: string;
  tokenizer: string;
}

class PlaygroundDb extends Dexie {
  runs!: EntityTable<RunRecord, 'id'>;
  /** One row per logged step, keyed [runId+step]; written in batches. */
  metrics!: Table<MetricRecord, [number, number]>;
  samples!: Table<SampleRecord, [number, number]>;
  /** The latest good checkpoint of each run (one per run). */
  checkpoints!: Table<CheckpointRecord, number>;

  constructor() {
    super('rlhf-playground');
    this.version(1).stores({
      runs: '++id, createdAt',
      metrics: '[runId+step], runId',
      samples: '[runId+step], runId',
      checkpoints: 'runId',
    });
  }
}

export const db = new PlaygroundDb();

/** True when `error` (or an error it wraps) says the browser's storage quota is used up. */
export function isQuotaError(error: unknown): boolean {
  const seen = new Set<unknown>();
  const visit = (e: unknown): boolean => {
    if (!e || typeof e !== 'object' || seen.has(e)) return false;
    seen.add(e);
    const err = e as { name?: string; inner?: unknown; failures?: unknown[] };
    if (err.name === 'QuotaExceededError' || err.name === Dexie.errnames.QuotaExceeded) return true;
    return visit(err.inner) || (Array.isArray(err.failures) && err.failures.some(visit));
  };
  return visit(error);
}
