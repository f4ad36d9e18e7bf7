/**
 * The KL-reward frontier's data: every finished PPO, DPO and GRPO run in the history that logged
 * both objective/kl and gold/score_mean becomes one point (klFrontier.ts). The only code of the
 * chart that reads the database: a run's metric rows are read once per version of the run
 * (its updatedAt). Which stages are drawn is kept in memory only.
 */
import type { MetricRow } from '../core/train/pretrainConfig.ts';
import { db, type RunRecord } from '../lib/db.ts';
import { FRONTIER_STAGES, frontierPoint, type FrontierPoint, type FrontierStage } from '../lib/klFrontier.ts';
import { runLabel } from './compareRuns.svelte.ts';
import { history } from './history.svelte.ts';
import { stageOf } from './modelSources.ts';

const isFrontierStage = (stage: string): stage is FrontierStage => FRONTIER_STAGES.some((s) => s.stage === stage);

class KlFrontierState {
  /** Stages whose runs are drawn. */
  included = $state<FrontierStage[]>(FRONTIER_STAGES.map((s) => s.stage));
  /** Each finished run's point (null: it lacks a metric), with the run's updatedAt when read. */
  #points = $state.raw<ReadonlyMap<number, { updatedAt: number; point: FrontierPoint | null }>>(new Map());

  /** Finished runs of the frontier's stages, still stored. */
  #candidates(runs: readonly RunRecord[]): RunRecord[] {
    return runs.filter((r) => r.id !== undefined && r.status === 'finished' && isFrontierStage(stageOf(r)));
  }

  /** The points of the ticked stages, oldest run first. */
  points = $derived.by((): FrontierPoint[] =>
    this.#candidates(history.runs)
      .toReversed()
      .flatMap((r) => {
        const point = this.#points.get(r.id!)?.point;
        return point && this.included.includes(point.stage) ? [point] : [];
      }),
  );

  /** Finished runs of the ticked stages without both metrics (ORPO/CPO runs, runs from before DPO logged KL). */
  missing = $derived(
    this.#candidates(history.runs).filter((r) => this.included.includes(stageOf(r) as FrontierStage) && this.#points.has(r.id!) && this.#points.get(r.id!)!.point === null).length,
  );

  isIncluded(stage: FrontierStage): boolean {
    return this.included.includes(stage);
  }

  include(stage: FrontierStage, on: boolean): void {
    const others = this.included.filter((s) => s !== stage);
    this.included = FRONTIER_STAGES.map((s) => s.stage).filter((s) => (s === stage ? on : others.includes(s)));
  }

  /** Reads the rows of finished runs not read yet (or changed since); forgets deleted runs. */
  async refresh(runs: readonly RunRecord[]): Promise<void> {
    if (!history.loaded) await history.refresh();
    const candidates = this.#candidates(runs);
    for (const run of candidates) {
      if (this.#points.get(run.id!)?.updatedAt === run.updatedAt) continue;
      const stored = await db.metrics.where('runId').equals(run.id!).sortBy('step');
      const rows: MetricRow[] = stored.map(({ runId: _runId, ...row }) => row);
      const point = frontierPoint(stageOf(run) as FrontierStage, runLabel(run), rows);
      this.#points = new Map(this.#points).set(run.id!, { updatedAt: run.updatedAt, point });
    }
    const kept = new Set(candidates.map((r) => r.id!));
    if ([...this.#points.keys()].some((id) => !kept.has(id))) this.#points = new Map([...this.#points].filter(([id]) => kept.has(id)));
  }
}

export const klFrontier = new KlFrontierState();
