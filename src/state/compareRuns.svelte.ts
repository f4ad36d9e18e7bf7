/**
 * The Compare runs section: which stored runs (of any stage) are ticked, which metric their chart
 * overlays, and the tables of their last figures and settings. The only code of that section that
 * reads the database: each ticked run's metric rows, loaded again when the run changed since.
 * The ticked runs and the picked metric are kept in IndexedDB (pageState 'compareRuns'), so a
 * reload shows the same comparison; runs deleted since are dropped from it.
 */
import type { MetricRow } from '../core/train/pretrainConfig.ts';
import { db, type RunRecord } from '../lib/db.ts';
import { COLORS, OVERLAY_COLORS, type SeriesSpec } from '../lib/plot.ts';
import { compareRecords, flattenConfig, isKeyFigure, lastValues, metricKeys, type ComparedRow } from '../lib/runComparison.ts';
import { history } from './history.svelte.ts';
import { save } from './storage.ts';

/** The pageState key of the selection. */
const KEPT_KEY = 'compareRuns';

/** A kept selection as stored, checked (the database may hold anything an older page wrote). */
function readKept(value: unknown): { ids: number[]; metric: string } | null {
  if (typeof value !== 'object' || value === null) return null;
  const { ids, metric } = value as Record<string, unknown>;
  if (!Array.isArray(ids) || typeof metric !== 'string') return null;
  return { ids: [...new Set(ids.filter((id): id is number => Number.isInteger(id)))], metric };
}

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
  /** Whether the kept selection was read (once per page). */
  #restored = false;

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

  /** Loads the list of stored runs if no stage has yet, then the selection kept from the last visit. */
  async load(): Promise<void> {
    if (!history.loaded) await history.refresh();
    if (this.#restored) return;
    this.#restored = true;
    const kept = readKept((await db.pageState.get(KEPT_KEY).catch(() => undefined))?.value);
    if (!kept) return;
    // Ticked meanwhile (before the read finished) stays ticked, after the kept ones.
    const stored = new Set(history.runs.map((r) => r.id));
    const ids = kept.ids.filter((id) => stored.has(id));
    this.ids = [...ids, ...this.ids.filter((id) => !ids.includes(id))];
    this.picked = kept.metric || this.picked;
    if (ids.length !== kept.ids.length) await this.#keep();
    for (const id of ids) await this.#read(id);
  }

  /** Picks the metric the chart overlays (kept for the next visit). */
  pick(metric: string): void {
    this.picked = metric;
    void this.#keep();
  }

  /** Writes the selection for the next visit. */
  async #keep(): Promise<void> {
    const value = { ids: [...this.ids], metric: this.picked };
    await save('the runs ticked for comparison', () => db.pageState.put({ key: KEPT_KEY, value }));
  }

  /**
   * Ticks or unticks a run. A ticked run's rows are read afresh (the checkbox follows before they
   * arrive); an unticked run's stay cached but are no longer drawn.
   */
  async tick(id: number, on: boolean): Promise<void> {
    const others = this.ids.filter((x) => x !== id);
    this.ids = on ? [...others, id] : others;
    await this.#keep();
    if (on) await this.#read(id);
  }

  /**
   * Reads again the rows of ticked runs that changed since (a run still training, or continued),
   * and drops ticked runs that were deleted.
   */
  async refreshChanged(runs: readonly RunRecord[]): Promise<void> {
    const gone = history.loaded && this.#restored ? this.ids.filter((id) => !runs.some((r) => r.id === id)) : [];
    if (gone.length > 0) {
      this.ids = this.ids.filter((id) => !gone.includes(id));
      await this.#keep();
    }
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
