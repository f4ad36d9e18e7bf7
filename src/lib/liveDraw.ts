/**
 * Live redraws. A Plotly.react re-autoranges and redraws both axes (ticks, grid, labels) even when
 * only the data changed (~20 ms under load, some over 50). With the axis ranges held fixed, only
 * the lines need drawing. So while a run trains, each line chart holds its own ranges: x from the
 * first step over a span that triples when the steps outgrow it, y (in log10 units on a log axis,
 * as Plotly's ranges are) with headroom that grows geometrically when a value leaves it. Each
 * redraw is then Plotly.animate without redraw (LIVE_UPDATE), which rewrites the live traces' x, y
 * and mode (so `el.data[i]` holds every drawn point, as the tests read; the hover readout follows)
 * and redraws only their paths: ~3 ms. When the data leaves a range, a Plotly.relayout of the
 * ranges alone redraws the axes first (~3-5 ms against ~10-20 for a react), a few times a run. A
 * full react only when the layout or the set of traces changed. When the run ends the chart is
 * drawn once more in full, autoranged to its data (plot.ts's scheduler; see endLive).
 *
 * Overlays (earlier runs drawn beside the live one) come after the live traces and stay still
 * while a run trains: the held ranges include them, and the cheap path never touches them.
 */
import type { PlotLayout, PlotTrace, PlotlyStatic } from 'plotly.js-dist-min';

interface LiveView {
  /** The layout (without ranges) and the traces (type and name; overlays with their data) the plot was drawn with. */
  key: string;
  shape: string;
  /** The ranges this code set (null: Plotly's autorange, as drawn by a react). */
  ranges: { x: [number, number]; y: [number, number] } | null;
}
const liveViews = new WeakMap<HTMLElement, LiveView>();

/**
 * Per chart, how many live runs ended: part of the axes' uirevision. Plotly keeps ranges set by
 * Plotly.relayout (as it keeps a user's zoom) across reacts of one uirevision, so a run's final
 * react gives the axes a new one, and they autorange to the finished curves.
 */
const axisRevisions = new WeakMap<HTMLElement, number>();

export function axisRevised(el: HTMLElement, layout: PlotLayout): PlotLayout {
  const n = axisRevisions.get(el);
  if (!n) return layout;
  const uirevision = `${String(layout.uirevision)}:${n}`;
  return { ...layout, xaxis: { ...(layout.xaxis as object), uirevision }, yaxis: { ...(layout.yaxis as object), uirevision } };
}

/**
 * Before a full (not live) draw: true when a live run held this chart's ranges, which are then
 * given up (a new axis revision), so the caller lays the axes out afresh.
 */
export function endLive(el: HTMLElement): boolean {
  if (!liveViews.get(el)?.ranges) return false;
  axisRevisions.set(el, (axisRevisions.get(el) ?? 0) + 1);
  return true;
}

export function forgetLive(el: HTMLElement): void {
  liveViews.delete(el);
}

/** 'animate': Plotly.animate without redraw (scatter traces only rewrite their paths; cheapest); 'restyle': Plotly.restyle (a full replot). */
const LIVE_UPDATE: 'animate' | 'restyle' = 'animate' as 'animate' | 'restyle';

interface Extent {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

function extentOf(traces: readonly PlotTrace[], logY: boolean): Extent | null {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const t of traces) {
    for (let i = 0; i < t.x.length; i++) {
      const y = logY ? Math.log10(t.y[i]) : t.y[i];
      if (!Number.isFinite(y)) continue;
      x0 = Math.min(x0, t.x[i]);
      x1 = Math.max(x1, t.x[i]);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
    }
  }
  return x0 <= x1 ? { x0, x1, y0, y1 } : null;
}

/** The smallest of 1, 2, 5 x 10^k at least `v`. */
function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((n) => n >= v * (1 - 1e-9)) ?? 10 * p;
}

type Ranges = NonNullable<LiveView['ranges']>;

/** Ranges holding `e`, grown from `held` (if any) so that each growth at least doubles a span. */
export function liveRanges(e: Extent, held: Ranges | null, logY: boolean): Ranges {
  const xStart = held ? Math.min(held.x[0], e.x0) : e.x0;
  const heldSpan = held ? held.x[1] - held.x[0] : 0;
  const xSpan = e.x1 - xStart <= heldSpan ? heldSpan : niceCeil(Math.max(20, 3 * (e.x1 - xStart), 3 * heldSpan));
  const x: [number, number] = [xStart, xStart + xSpan];

  const minSpan = logY ? 0.5 : Math.max(1e-3, 0.5 * Math.max(Math.abs(e.y0), Math.abs(e.y1)));
  let [lo, hi] = held ? held.y : [e.y0, e.y1];
  const grow = Math.max(minSpan, Math.max(hi, e.y1) - Math.min(lo, e.y0));
  if (!held) {
    // Most curves fall (losses, perplexity): more room below than above.
    lo = e.y0 - grow;
    hi = e.y1 + grow / 4;
  } else {
    // The side the data left moves out by the whole new span: a falling loss grows its range
    // geometrically, so a run redraws its axes a handful of times, not every second.
    if (e.y0 < lo) lo = e.y0 - grow;
    if (e.y1 > hi) hi = e.y1 + grow;
  }
  // A metric that never went below zero (a loss, an accuracy) is not given a negative range.
  if (!logY && e.y0 >= 0 && lo < 0) lo = 0;
  return { x, y: [lo, hi] };
}

function inside(e: Extent, r: Ranges): boolean {
  return e.x0 >= r.x[0] && e.x1 <= r.x[1] && e.y0 >= r.y[0] && e.y1 <= r.y[1];
}

type PlotElement = HTMLElement & { data?: { x: unknown[] }[]; layout?: { xaxis?: { range?: number[] }; yaxis?: { range?: number[] } } };

const sameRange = (a: readonly number[] | undefined, b: readonly number[]) => !!a && a.length === 2 && a[0] === b[0] && a[1] === b[1];

/**
 * The set of traces, as far as the cheap path cares: each live trace's type and name (its mode, a
 * marker for one point then lines, changes in the cheap path too), and each overlay with its data,
 * which the cheap path never redraws.
 */
function shapeOf(traces: readonly PlotTrace[], overlays: readonly PlotTrace[]): string {
  const live = traces.map((t) => `${t.type}:${t.name}`);
  const still = overlays.map((t) => `${t.type}:${t.name}:${t.x.length}:${t.x.at(-1)}:${t.y.at(-1)}`);
  return [...live, ...still].join('|');
}

/** After a react (not live): the plot as drawn, autoranged, for live redraws to build on. */
export function heldView(el: HTMLElement, traces: readonly PlotTrace[], overlays: readonly PlotTrace[], layout: PlotLayout): void {
  liveViews.set(el, { key: JSON.stringify(layout), shape: shapeOf(traces, overlays), ranges: null });
}

/**
 * Draws a live figure: `traces` move, `overlays` (drawn after them) stay still. Says how: 'lines'
 * (only the live traces moved: timed from the animation frame Plotly draws them in), 'skip'
 * (nothing changed), or 'new' (a full react, through `react`: the layout or the traces changed).
 */
export async function liveDraw(
  Plotly: PlotlyStatic,
  el: HTMLElement,
  traces: PlotTrace[],
  overlays: PlotTrace[],
  layout: PlotLayout,
  react: (traces: PlotTrace[], layout: PlotLayout) => Promise<void>,
): Promise<'lines' | 'skip' | 'new'> {
  const logY = (layout.yaxis as { type?: string } | undefined)?.type === 'log';
  const key = JSON.stringify(layout);
  const shape = shapeOf(traces, overlays);
  const all = [...traces, ...overlays];
  const extent = extentOf(all, logY);
  const view = liveViews.get(el);
  const gd = el as PlotElement;
  if (!view || view.key !== key || view.shape !== shape || gd.data?.length !== all.length) {
    // The first draw of a plot, or a new layout (a resize) or set of traces: a full react.
    const ranges = extent ? liveRanges(extent, null, logY) : null;
    const axis = (name: 'xaxis' | 'yaxis', range: [number, number]) => ({ ...(layout[name] as object), range, autorange: false });
    const ranged = ranges ? { ...layout, xaxis: axis('xaxis', ranges.x), yaxis: axis('yaxis', ranges.y) } : layout;
    await react(all, axisRevised(el, ranged));
    liveViews.set(el, { key, shape, ranges });
    return 'new';
  }
  if (!extent && gd.data.every((d) => d.x.length === 0)) return 'skip';
  if (extent && (!view.ranges || !inside(extent, view.ranges))) {
    // Left unchanged where the user zoomed (a drag, a double-click): their view wins.
    const userZoomed = view.ranges && !(sameRange(gd.layout?.xaxis?.range, view.ranges.x) && sameRange(gd.layout?.yaxis?.range, view.ranges.y));
    if (!userZoomed) {
      const start = performance.now();
      const ranges = liveRanges(extent, view.ranges, logY);
      await Plotly.relayout(el, { 'xaxis.range': ranges.x, 'yaxis.range': ranges.y });
      // (relayout stores copies: compare against what the plot holds.)
      view.ranges = { x: [...(gd.layout?.xaxis?.range ?? ranges.x)] as [number, number], y: [...(gd.layout?.yaxis?.range ?? ranges.y)] as [number, number] };
      performance.measure(`chart ${el.dataset.chart ?? ''}`, { start, detail: { kind: 'range' } });
    }
  }
  if (traces.length === 0) return 'skip';
  // Only the live traces (the first ones): the overlays keep what the last react drew.
  const indices = traces.map((_, i) => i);
  if (LIVE_UPDATE === 'animate') {
    await Plotly.animate(el, { data: traces.map((t) => ({ x: t.x, y: t.y, mode: t.mode })), traces: indices }, { transition: { duration: 0 }, frame: { duration: 0, redraw: false }, mode: 'immediate' });
  } else {
    await Plotly.restyle(el, { x: traces.map((t) => t.x), y: traces.map((t) => t.y), mode: traces.map((t) => t.mode) }, indices);
  }
  return 'lines';
}
