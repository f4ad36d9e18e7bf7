/**
 * The overoptimization chart's data (Gao et al. 2022): a GRPO run's proxy reward and gold score
 * against sqrt(KL) from the starting model, and the best-of-n baseline on the same axes. Pure, so
 * the smoothing and the choice of points are unit-tested.
 *
 * Each step's scores are means over one batch of a few prompts, so they jump from step to step with
 * the prompts drawn; the chart shows them as faint dots and draws a line through a trailing mean of
 * `window` steps (x and y averaged alike), which is what the eye should follow.
 */
import type { PlotTrace } from 'plotly.js-dist-min';
import type { BestOfNPoint } from '../core/grpo/bestOfN.ts';
import type { MetricRow } from '../core/train/pretrainConfig.ts';

export interface KlPoint {
  step: number;
  sqrt_kl: number;
  proxy: number;
  gold: number;
}

export const OVEROPT_COLORS = { proxy: '#2563eb', gold: '#7c3aed' };

/** Rows that logged objective/kl, the combined reward and the gold score; a slightly negative KL estimate counts as 0. */
export function klPoints(rows: readonly MetricRow[]): KlPoint[] {
  const out: KlPoint[] = [];
  for (const row of rows) {
    const kl = row['objective/kl'];
    const proxy = row.reward;
    const gold = row['gold/score_mean'];
    if (typeof kl !== 'number' || typeof proxy !== 'number' || typeof gold !== 'number') continue;
    if (![kl, proxy, gold].every(Number.isFinite)) continue;
    out.push({ step: row.step, sqrt_kl: Math.sqrt(Math.max(0, kl)), proxy, gold });
  }
  return out;
}

/** Trailing means over `window` points (fewer at the start). */
export function smoothed(points: readonly KlPoint[], window: number): KlPoint[] {
  return points.map((p, i) => {
    const span = points.slice(Math.max(0, i - window + 1), i + 1);
    const avg = (f: (q: KlPoint) => number) => span.reduce((s, q) => s + f(q), 0) / span.length;
    return { step: p.step, sqrt_kl: avg((q) => q.sqrt_kl), proxy: avg((q) => q.proxy), gold: avg((q) => q.gold) };
  });
}

/** The step where the smoothed gold score was highest, and whether it has since fallen by `drop` or more. */
export function goldPeak(points: readonly KlPoint[], window: number, drop = 0.1): { peak: KlPoint; fell: boolean; last: KlPoint } | null {
  const line = smoothed(points, window);
  if (!line.length) return null;
  const peak = line.reduce((best, p) => (p.gold > best.gold ? p : best), line[0]);
  const last = line[line.length - 1];
  return { peak, fell: peak.gold - last.gold >= drop, last };
}

/**
 * Plotly traces: gold on the left axis, proxy on the right (a reward model's scale is its own), the
 * run as dots plus smoothed line, best-of-n as dashed lines with a marker per n.
 */
export function overoptimizationTraces(points: readonly KlPoint[], bestOfN: readonly BestOfNPoint[], window: number): PlotTrace[] {
  const line = smoothed(points, window);
  const dots = (key: 'proxy' | 'gold', name: string): PlotTrace => ({
    x: points.map((p) => p.sqrt_kl), y: points.map((p) => p[key]), name, type: 'scatter', mode: 'markers',
    marker: { color: OVEROPT_COLORS[key], size: 4, opacity: 0.3 }, showlegend: false, hoverinfo: 'skip', ...(key === 'proxy' ? { yaxis: 'y2' } : {}),
  });
  const smooth = (key: 'proxy' | 'gold', name: string): PlotTrace => ({
    x: line.map((p) => p.sqrt_kl), y: line.map((p) => p[key]), name, type: 'scatter', mode: 'lines',
    line: { color: OVEROPT_COLORS[key], width: 2.5 }, ...(key === 'proxy' ? { yaxis: 'y2' } : {}),
  });
  const bon = (key: 'proxy' | 'gold', name: string): PlotTrace => ({
    x: bestOfN.map((p) => p.sqrt_kl), y: bestOfN.map((p) => p[key]), text: bestOfN.map((p) => `n = ${p.n}`), name, type: 'scatter', mode: 'lines+markers',
    line: { color: OVEROPT_COLORS[key], width: 1.5, dash: 'dash' }, marker: { color: OVEROPT_COLORS[key], size: 7, symbol: 'diamond' }, ...(key === 'proxy' ? { yaxis: 'y2' } : {}),
  });
  return [
    dots('gold', 'gold (each step)'),
    dots('proxy', 'proxy (each step)'),
    smooth('gold', 'gold score (run)'),
    smooth('proxy', 'proxy reward (run)'),
    ...(bestOfN.length ? [bon('gold', 'gold score (best-of-n)'), bon('proxy', 'proxy reward (best-of-n)')] : []),
  ];
}
