/**
 * Which stored PPO runs the Policy tab's charts draw beside the run on screen ("Show on charts"),
 * each labelled by what differs: its KL coefficient (and KL target when the adaptive controller
 * was on), plus the few other settings that differ from the run on screen. Kept in memory only:
 * a reload forgets the selection.
 */
import type { MetricRow } from '../core/train/pretrainConfig.ts';
import { db } from '../lib/db.ts';
import type { ChartOverlay } from '../lib/plot.ts';
import { overlayLabel } from '../lib/ppoRunLabel.ts';
import { history } from './history.svelte.ts';
import { ppoRun } from './ppoRun.svelte.ts';

class PpoCompareState {
  /** Runs ticked to show on the charts, in the order ticked (their colours follow it). */
  ids = $state.raw<number[]>([]);
  /** Each ticked run's metric rows, as stored. */
  #rows = $state.raw<ReadonlyMap<number, readonly MetricRow[]>>(new Map());

  /** The ticked runs still stored, less the run on screen (drawn as the live curves already). */
  overlays = $derived.by((): ChartOverlay[] => {
    const reference = ppoRun.record?.stageConfig;
    return this.ids.flatMap((id) => {
      const record = history.runs.find((r) => r.id === id);
      const rows = this.#rows.get(id);
      if (id === ppoRun.id || !record || !rows) return [];
      return [{ label: overlayLabel(record, reference), rows }];
    });
  });

  shown(id: number): boolean {
    return this.ids.includes(id);
  }

  /** Ticks or unticks a run; `rows` when the caller has them (the run just trained), else they are loaded. */
  async show(id: number, on: boolean, rows?: readonly MetricRow[]): Promise<void> {
    if (!on) {
      this.ids = this.ids.filter((x) => x !== id);
      const left = new Map(this.#rows);
      left.delete(id);
      this.#rows = left;
      return;
    }
    // Ticked at once (the checkbox follows); drawn once its rows are here.
    if (!this.ids.includes(id)) this.ids = [...this.ids, id];
    if (!rows && !this.#rows.has(id)) {
      const stored = await db.metrics.where('runId').equals(id).sortBy('step');
      rows = stored.map(({ runId: _runId, ...row }) => row);
    }
    // (Unless it was unticked while they loaded.)
    if (rows && this.ids.includes(id)) this.#rows = new Map(this.#rows).set(id, rows);
  }
}

export const ppoCompare = new PpoCompareState();
