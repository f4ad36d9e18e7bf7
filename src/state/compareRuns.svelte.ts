/**
 * The Compare runs section: which stored runs (of any stage) are ticked, which metric their chart
 * overlays, and the tables of their last figures and settings. The only code of that section that
 * reads the database: each ticked run's metric rows, loaded again when the run changed since.
 * Kept in memory only: a reload forgets the selection.
 */
import type { MetricRow } from '../core/train/pretrainConfig.ts';
import { db, type RunRecord } from '../lib/db.ts';
import { COLORS, OVERLAY_COLORS, type SeriesSpec } from '../lib/plot.ts';
import { compareRecords, flattenConfig, isKeyFigure, lastValues, metricKeys, type ComparedRow } from '../lib/runComparison.ts';
import { history } from './history.svelte.ts';

/** One colour per ticked run, in the order ticked. */
const RUN_COLORS = [COLORS.train, COLORS.eval, '#7c3aed', ...OVERLAY_COLORS];

export function runLabel(run: RunRecord): string {
  return `#${run.id} ${run.name}`;
}

interface Ticked {
  run: RunRecord;
  label: string;
  rows: readonly MetricRow[];
}

class CompareRunsState {
  /** Runs ticked, in the order ticked (their colours follow it). */
  ids = $state.raw<number[]>([]);
  /** The metric the chart overlays, as picked; `metric` falls back when the ticked runs lack it. */
  picked = $state('loss');
  /** Each ticked run's rows, with the run's updatedAt when they were read. */
  #rows = $state.raw<ReadonlyMap<number, { updatedAt: number; rows: readonly MetricRow[] }>>(new Map());

  /** Ticked runs still stored whose rows are loaded. */
  ticked = $derived.by((): Ticked[] =>
    this.ids.flatMap((id) => {
      const run = history.runs.find((r) => r.id === id);
      const rows = this.#rows.get(id)?.rows;
      return run && rows ? [{ run, label: runLabel(run), rows }] : [];
    }),
  );

  /** The union of the metric keys the ticked runs logged. */
  keys = $derived([...new Set(this.ticked.flatMap((t) => metricKeys(t.rows)))].sort());

  metric = $derived(this.keys.includes(this.picked) ? this.picked : this.keys.includes('loss') ? 'loss' : (this.keys[0] ?? ''));

  /** One row per step any ticked run logged, the chosen metric under each run's label. */
  chartRows = $derived.by((): MetricRow[] => {
    const byStep = new Map<number, MetricRow>();
    for (const { label, rows } of this.ticked) {
      for (const row of rows) {
        const v = row[this.metric];
        if (typeof v !== 'number') continue;
        const merged = byStep.get(row.step) ?? { step: row.step };
        merged[label] = v;
        byStep.set(row.step, merged);
      }
    }
    return [...byStep.values()].sort((a, b) => a.step - b.step);
  });

  specs = $derived(this.ticked.map((t, i): SeriesSpec => ({ key: t.label, name: t.label, color: RUN_COLORS[i % RUN_COLORS.length] })));

  /** Last values of the chosen metric and of the key figures any ticked run logged. */
  figures = $derived.by((): ComparedRow<number>[] => {
    const keys = [...new Set([this.metric, ...this.keys.filter(isKeyFigure)])].filter(Boolean);
    return compareRecords(this.ticked.map((t) => lastValues(t.rows, keys)));
  });

  /** Every setting of the ticked runs: a pretraining run's config, another stage's settings. */
  configs = $derived(
    compareRecords(this.ticked.map(({ run }) => ({ ...flattenConfig({ ...(run.config ?? {}) }), ...flattenConfig(run.stageConfig ?? {}) }))),
  );

  shown(id: number): boolean {
    return this.ids.includes(id);
  }

  /** Loads the list of stored runs if no stage has yet. */
  async load(): Promise<void> {
    if (!history.loaded) await history.refresh();
  }

  /**
   * Ticks or unticks a run. A ticked run's rows are read afresh (the checkbox follows before they
   * arrive); an unticked run's stay cached but are no longer drawn.
   */
  async tick(id: number, on: boolean): Promise<void> {
    const others = this.ids.filter((x) => x !== id);
    this.ids = on ? [...others, id] : others;
    if (on) await this.#read(id);
  }

  /** Reads again the rows of ticked runs that changed since (a run still training, or continued). */
  async refreshChanged(runs: readonly RunRecord[]): Promise<void> {
    const stale = runs.filter((r) => this.ids.includes(r.id!) && this.#rows.get(r.id!)?.updatedAt !== r.updatedAt);
    for (const run of stale) await this.#read(run.id!);
  }

  async #read(id: number): Promise<void> {
    const updatedAt = history.runs.find((r) => r.id === id)?.updatedAt ?? 0;
    const stored = await db.metrics.where('runId').equals(id).sortBy('step');
    const rows = stored.map(({ runId: _runId, ...row }) => row);
    // (Unless it was unticked while they loaded.)
    if (this.ids.includes(id)) this.#rows = new Map(this.#rows).set(id, { updatedAt, rows });
  }
}

export const compareRuns = new CompareRunsState();
