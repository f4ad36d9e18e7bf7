/**
 * The live metric charts (loss, perplexity against step): metric rows in, plain line series, axes
 * with readable ticks and SVG path strings out; MetricChart.svelte draws them as SVG.
 *
 * Why not Plotly (plot.ts): these charts redraw several times a second while a run trains, and a
 * Plotly redraw (defaults, axes, tick-label and legend measuring) took 25-65 ms of main-thread
 * time per chart on this project's 2-core machines, often over the 50 ms that makes a long task
 * (janky scrolling and typing) while the training worker used the other core. Drawing a few
 * dozen points as SVG paths costs well under a millisecond and reads nothing back from layout.
 */
import type { MetricRow } from '../core/train/pretrainConfig.ts';
import type { SeriesSpec } from './plot.ts';

/** One line: x = step, y = the metric, only where it was logged (and positive on a log axis). */
export interface Series {
  name: string;
  color: string;
  dash?: string;
  x: number[];
  y: number[];
}

export function lineSeries(rows: readonly MetricRow[], spec: SeriesSpec, logY = false): Series {
  const x: number[] = [];
  const y: number[] = [];
  for (const row of rows) {
    const v = row[spec.key];
    if (typeof v === 'number' && Number.isFinite(v) && (!logY || v > 0)) {
      x.push(row.step);
      y.push(v);
    }
  }
  return { name: spec.name, color: spec.color, dash: spec.dash, x, y };
}

export interface Tick {
  value: number;
  label: string;
}

export interface Axis {
  min: number;
  max: number;
  log: boolean;
  ticks: Tick[];
}

/** A step of 1, 2 or 5 times a power of ten, about (max - min) / count. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * power;
}

function label(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 10_000) return `${+(v / 1000).toPrecision(3)}k`;
  return String(+v.toPrecision(4));
}

/** A linear axis over `values`, widened to whole ticks; a flat or empty range gets some room. */
export function linearAxis(values: readonly number[], count = 5, fromZero = false): Axis {
  let min = values.length ? Math.min(...values) : 0;
  let max = values.length ? Math.max(...values) : 1;
  if (fromZero) min = Math.min(0, min);
  if (max - min < 1e-12) {
    const pad = Math.abs(max) * 0.1 || 1;
    min -= pad;
    max += pad;
  }
  const step = niceStep(max - min, count);
  min = Math.floor(min / step + 1e-9) * step;
  max = Math.ceil(max / step - 1e-9) * step;
  const ticks: Tick[] = [];
  for (let v = min; v <= max + step * 1e-6; v += step) ticks.push({ value: v, label: label(+v.toPrecision(12)) });
  return { min, max, log: false, ticks };
}

/** A log-10 axis over positive `values`, with ticks at 1, 2, 5 x powers of ten (fewer if crowded). */
export function logAxis(values: readonly number[]): Axis {
  const positive = values.filter((v) => v > 0);
  let lo = positive.length ? Math.log10(Math.min(...positive)) : 0;
  let hi = positive.length ? Math.log10(Math.max(...positive)) : 1;
  if (hi - lo < 0.3) {
    const mid = (hi + lo) / 2;
    lo = mid - 0.15;
    hi = mid + 0.15;
  }
  const pad = (hi - lo) * 0.04;
  lo -= pad;
  hi += pad;
  const ticks: Tick[] = [];
  const decades = hi - lo;
  const mantissas = decades > 4 ? [1] : decades > 1.5 ? [1, 3] : [1, 2, 5];
  for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) {
    for (const m of mantissas) {
      const v = m * 10 ** e;
      const l = Math.log10(v);
      if (l >= lo && l <= hi) ticks.push({ value: v, label: label(v) });
    }
  }
  if (ticks.length < 2) {
    // A narrow range between two 1-2-5 values: linear-looking ticks inside it.
    const inner = linearAxis([10 ** lo, 10 ** hi], 3).ticks.filter((t) => t.value >= 10 ** lo && t.value <= 10 ** hi);
    ticks.splice(0, ticks.length, ...inner);
  }
  return { min: 10 ** lo, max: 10 ** hi, log: true, ticks };
}

/** Maps axis values to pixels between `from` and `to` (to < from for a y axis, drawn upward). */
export function scale(axis: Axis, from: number, to: number): (v: number) => number {
  const f = axis.log ? Math.log10 : (v: number) => v;
  const a = f(axis.min);
  const span = f(axis.max) - a || 1;
  return (v) => from + ((f(v) - a) / span) * (to - from);
}

/** SVG path data through a series' points, in pixels (rounded to 0.1 px: shorter strings). */
export function linePath(s: Series, sx: (v: number) => number, sy: (v: number) => number): string {
  let d = '';
  for (let i = 0; i < s.x.length; i++) d += `${i ? 'L' : 'M'}${sx(s.x[i]).toFixed(1)} ${sy(s.y[i]).toFixed(1)}`;
  return d;
}

/** Index of the x value nearest to `x` in ascending `xs` (binary search), or -1 when empty. */
export function nearestIndex(xs: readonly number[], x: number): number {
  if (xs.length === 0) return -1;
  let lo = 0;
  let hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid;
    else hi = mid;
  }
  return Math.abs(xs[lo] - x) <= Math.abs(xs[hi] - x) ? lo : hi;
}
