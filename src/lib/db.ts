/**
 * The one IndexedDB database (dexie). Runs of every training stage, their metric rows, their
 * sample tables and their latest good checkpoint; SFT datasets; preference datasets with their
 * comparison records and labels; a few choices the page keeps between visits (pageState). Only
 * state classes import this.
 */
import Dexie, { type EntityTable, type Table } from 'dexie';
import type { BackendName, MetricRow, PretrainConfig, Sample } from '../core/train/pretrainConfig.ts';
import type { RewardEvalReport } from '../core/reward/rewardEval.ts';

export type RunStatus = 'running' | 'paused' | 'finished' | 'stopped' | 'failed' | 'interrupted' | 'imported';

/** The stages whose runs train a model (and so have metrics and checkpoints). */
export type RunStage = 'pretrain' | 'sft' | 'reward' | 'ppo' | 'dpo' | 'grpo';

export interface RunRecord {
  id?: number;
  /** Absent on runs stored before other stages existed: those are pretraining runs. */
  stage?: RunStage;
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
  /** The settings of a run of another stage (e.g. an SFTConfig plus the dataset it trained on). */
  stageConfig?: Record<string, unknown>;
  /** A reward-model run's latest held-out evaluation (histograms, most-wrong pairs), shown again on reopening. */
  rewardEval?: RewardEvalReport;
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

/** A supervised fine-tuning dataset: (prompt, completion) rows, edited in the table editor. */
export interface SftDatasetRecord {
  id?: number;
  name: string;
  createdAt: number;
  updatedAt: number;
  /** 'builtin' (derived from the story corpus), 'import' (a file) or 'manual'. */
  source: string;
  rows: { prompt: string; completion: string }[];
  /** The chat template used to turn `messages` records into prompt/completion, when imported as chat. */
  chatTemplate?: string;
  /** The built-in instruction set's recipe, when source is 'builtin'. */
  builtin?: { kind: string; count: number; seed: number };
}

/** A preference dataset: the comparisons to label, how they were made, and the labeling guidelines. */
export interface PreferenceDatasetRecord {
  id?: number;
  name: string;
  createdAt: number;
  updatedAt: number;
  /** Markdown shown to labelers (rendered as text elements, never as HTML). */
  guidelines: string;
  /** Where the completions came from, in words ("SFT run #4, temperature 0.9"), or the imported file's name. */
  source: string;
  /**
   * Who labels this dataset in this browser: the name on their labels and exported files. Kept
   * per dataset, so two students sharing a laptop, each with a dataset, each keep their own name.
   * Absent until someone types a name (datasets from before version 3 take the browser's old name).
   */
  annotator?: string;
}

/** A choice the page keeps between visits (e.g. 'compareRuns': the ticked runs and metric), by key. */
export interface PageStateRecord {
  key: string;
  value: unknown;
}

/** Where the annotator's name was kept, once per browser, before it moved onto each dataset (version 3). */
export const LEGACY_ANNOTATOR_KEY = 'rlhf-playground:annotator';

function legacyAnnotator(): string {
  try {
    return globalThis.localStorage?.getItem(LEGACY_ANNOTATOR_KEY)?.trim() ?? '';
  } catch {
    return '';
  }
}

/** One prompt with 2-4 completions, shown in a recorded random order. */
export interface ComparisonRecord {
  id?: number;
  datasetId: number;
  prompt: string;
  completions: string[];
  /** The display order: order[i] is the index into `completions` shown in position i (A, B, ...). */
  order: number[];
  /** Known attributes of the prompt (animal, mood, ...) when it came from the story corpus. */
  attributes?: Record<string, string>;
}

/** One annotator's judgement of one comparison; written the moment it is made. */
export interface LabelRecord {
  id?: number;
  datasetId: number;
  comparisonId: number;
  annotator: string;
  /** Simulated annotators are always marked as such. */
  simulated: boolean;
  /** Indices into the comparison's `completions`, best first; ties share a group. Empty when discarded. */
  ranking: number[][];
  createdAt: number;
  /** Per-completion scores (imported ratings, or a simulated annotator's): pairs' margins are their differences. */
  scores?: number[];
  /** An explicit margin for a two-way comparison (imported from TRL's `margin` column). */
  margin?: number;
}

class PlaygroundDb extends Dexie {
  runs!: EntityTable<RunRecord, 'id'>;
  /** One row per logged step, keyed [runId+step]; written in batches. */
  metrics!: Table<MetricRecord, [number, number]>;
  samples!: Table<SampleRecord, [number, number]>;
  /** The latest good checkpoint of each run (one per run). */
  checkpoints!: Table<CheckpointRecord, number>;
  sftDatasets!: EntityTable<SftDatasetRecord, 'id'>;
  preferenceDatasets!: EntityTable<PreferenceDatasetRecord, 'id'>;
  comparisons!: EntityTable<ComparisonRecord, 'id'>;
  labels!: EntityTable<LabelRecord, 'id'>;
  pageState!: Table<PageStateRecord, string>;

  constructor() {
    super('rlhf-playground');
    this.version(1).stores({
      runs: '++id, createdAt',
      metrics: '[runId+step], runId',
      samples: '[runId+step], runId',
      checkpoints: 'runId',
    });
    // Version 2: the SFT, preference and reward-model stages.
    this.version(2).stores({
      runs: '++id, createdAt, stage',
      sftDatasets: '++id, createdAt',
      preferenceDatasets: '++id, createdAt',
      comparisons: '++id, datasetId',
      labels: '++id, datasetId, comparisonId, [datasetId+annotator]',
    });
    // Version 3: the page's kept choices, and the annotator's name on each preference dataset.
    // Only adds a table and a field: every run, checkpoint, dataset and label is kept as it is;
    // the name this browser used for every dataset becomes the name of each dataset there was.
    this.version(3)
      .stores({ pageState: 'key' })
      .upgrade(async (tx) => {
        const name = legacyAnnotator();
        if (!name) return;
        await tx
          .table<PreferenceDatasetRecord, number>('preferenceDatasets')
          .toCollection()
          .modify((dataset) => {
            if (!dataset.annotator) dataset.annotator = name;
          });
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
