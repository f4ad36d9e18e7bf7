/**
 * The KL-reward frontier (Rafailov et al. 2023, Figure 2): one point per finished run, its final
 * gold score against its final KL to the reference, PPO, DPO and GRPO runs as separate series on
 * the same axes. The better method reaches more gold for the same KL. KlRewardFrontier.svelte draws
 * the traces; any finished run with both metrics counts, not only a sweep's.
 */
import type { PlotTrace } from 'plotly.js-dist-min';
import type { MetricRow } from '../core/train/pretrainConfig.ts';

export type FrontierStage = 'ppo' | 'dpo' | 'grpo';

/** `label`: the series' name in the legend; `include`: its checkbox's words. */
export const FRONTIER_STAGES: readonly { stage: FrontierStage; label: string; include: string; color: string; symbol: string }[] = [
  { stage: 'ppo', label: 'PPO', include: 'Draw PPO runs', color: '#2563eb', symbol: 'circle' },
  { stage: 'dpo', label: 'DPO', include: 'Draw DPO and KTO runs', color: '#ea580c', symbol: 'diamond' },
  { stage: 'grpo', label: 'GRPO / RLOO', include: 'Draw group-relative runs', color: '#16a34a', symbol: 'square' },
];

export const KL_METRIC = 'objective/kl';
export const GOLD_METRIC = 'gold/score_mean';

/** How many of a metric's last logged values make a run's final figure (one noisy eval would mislead). */
export const FINAL_WINDOW = 3;

export interface FrontierPoint {
  stage: FrontierStage;
  /** Hover text: the run's number and name. */
  label: string;
  kl: number;
  gold: number;
}

/** The mean of the last `window` finite values `key` took in `rows` (sorted by step); null when none. */
export function finalMean(rows: readonly MetricRow[], key: string, window = FINAL_WINDOW): number | null {
  const values = rows.map((r) => r[key]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const last = values.slice(-Math.max(1, window));
  return last.length ? last.reduce((a, b) => a + b, 0) / last.length : null;
}

/** The run's point, or null when it lacks either metric (ORPO/CPO runs have no KL, say). */
export function frontierPoint(stage: FrontierStage, label: string, rows: readonly MetricRow[], window = FINAL_WINDOW): FrontierPoint | null {
  const kl = finalMean(rows, KL_METRIC, window);
  const gold = finalMean(rows, GOLD_METRIC, window);
  return kl === null || gold === null ? null : { stage, label, kl, gold };
}

/** One marker trace per stage that has points, in FRONTIER_STAGES' order. */
export function frontierTraces(points: readonly FrontierPoint[]): PlotTrace[] {
  return FRONTIER_STAGES.flatMap(({ stage, label, color, symbol }) => {
    const mine = points.filter((p) => p.stage === stage);
    if (!mine.length) return [];
    return [
      {
        type: 'scatter',
        mode: 'markers',
        name: label,
        x: mine.map((p) => p.kl),
        y: mine.map((p) => p.gold),
        text: mine.map((p) => p.label),
        marker: { size: 10, color, symbol },
        hovertemplate: '%{text}<br>KL %{x:.3f} nats<br>gold %{y:.3f}<extra></extra>',
      } satisfies PlotTrace,
    ];
  });
}
