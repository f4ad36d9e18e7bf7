/**
 * Plotting helpers: metric rows in, Plotly traces and layouts out, and the one scheduler every
 * chart draws through. Plotly is large, so it loads lazily, when the first chart mounts (the
 * pretrain stage shows its charts at page load): its parse and compile land before any training,
 * never inside a training task.
 *
 * Why a scheduler: while a run trains, metrics arrive several times a second, and a Plotly redraw
 * (defaults, autorange, axes, tick labels and legend measured and drawn) costs 10-65 ms of
 * main-thread time per chart on this project's 2-core machines, where the training worker holds
 * the other core. Drawing every update inside the message handler that brought it, or several
 * charts in one task, made main-thread tasks over 50 ms (janky scrolling and typing). So:
 * - each chart redraws at most every MIN_REDRAW_MS while a run trains (the latest data wins), and
 *   at once when the run ends or a stored run opens;
 * - at most one chart draws per task (a setTimeout chain), so tasks stay one redraw long;
 * - each plot is created once (Plotly's first react is a newPlot) and later redraws pass the
 *   same layout object (see layoutFor);
 * - the layout avoids Plotly's layout reads: fixed size and margins (no autosize, no automargin,
 *   no margin pushing by the legend), tick labels neither hidden on overflow nor auto-angled (both
 *   measure every label), no mode bar, no window-resize listener;
 * - very long series are thinned for display (the exact rows stay in state);
 * - while a run trains, a line chart holds its own axis ranges and most redraws move only its
 *   lines (~3-5 ms, against ~20 for a react; see liveDraw); the line charts' legend is HTML.
 */
import type { PlotConfig, PlotLayout, PlotTrace, PlotlyStatic } from 'plotly.js-dist-min';
import type { MetricRow } from '../core/train/pretrainConfig.ts';

type MetricKey = Exclude<keyof MetricRow, 'step'>;

export interface SeriesSpec {
  key: MetricKey;
  name: string;
  color: string;
  dash?: string;
}

export const COLORS = { train: '#2563eb', eval: '#ea580c' };

let plotly: Promise<PlotlyStatic> | null = null;

export function loadPlotly(): Promise<PlotlyStatic> {
  plotly ??= import('plotly.js-dist-min').then((m) => m.default);
  return plotly;
}

/**
 * At most this many points of one series are drawn: a long run logs thousands of rows, and
 * Plotly's cost grows with the points it draws, not with what a 600-pixel-wide chart can show.
 */
export const MAX_DRAWN_POINTS = 500;

/** Every k-th point (k chosen to keep at most `max`), always with the first and the last. */
export function thin(x: readonly number[], y: readonly number[], max = MAX_DRAWN_POINTS): { x: number[]; y: number[] } {
  if (x.length <= max) return { x: [...x], y: [...y] };
  const every = Math.ceil((x.length - 1) / (max - 1));
  const tx: number[] = [];
  const ty: number[] = [];
  for (let i = 0; i < x.length - 1; i += every) {
    tx.push(x[i]);
    ty.push(y[i]);
  }
  tx.push(x[x.length - 1]);
  ty.push(y[y.length - 1]);
  return { x: tx, y: ty };
}

/** x = step, y = the metric, for the rows that logged it (only positive values on a log axis). */
export function series(rows: readonly MetricRow[], spec: SeriesSpec, logY = false): PlotTrace {
  const x: number[] = [];
  const y: number[] = [];
  for (const row of rows) {
    const v = row[spec.key];
    if (typeof v === 'number' && Number.isFinite(v) && (!logY || v > 0)) {
      x.push(row.step);
      y.push(v);
    }
  }
  return {
    ...thin(x, y),
    name: spec.name,
    type: 'scatter',
    mode: x.length > 1 ? 'lines' : 'markers',
    line: { color: spec.color, width: 3, dash: spec.dash },
    marker: { size: 8, color: spec.color },
    hovertemplate: '%{y:.4g}',
  };
}

export const CHART_HEIGHT = 280;

/** No mode bar, no listener on window resizes (the components pass their width), no tips. */
export const CHART_CONFIG: PlotConfig = { displayModeBar: false, responsive: false, showTips: false, doubleClick: 'reset' };

interface LayoutOptions {
  /** The chart's width in pixels, from its frame (Plotly never measures it). */
  width: number;
  xTitle: string;
  yTitle: string;
  logY?: boolean;
  /** Kept across redraws so a user's zoom survives new data (Plotly's uirevision). */
  uirevision: string;
  /**
   * Plotly's own legend (default). The line charts draw theirs as HTML next to the plot instead:
   * Plotly's legend was a quarter of every redraw.
   */
  legend?: boolean;
}

export function chartLayout({ width, xTitle, yTitle, logY = false, uirevision, legend = true }: LayoutOptions): PlotLayout {
  const axisFont = { size: 15, color: '#334155' };
  const axis = {
    gridcolor: '#e2e8f0',
    zeroline: false,
    automargin: false,
    nticks: 7,
    tickfont: { size: 13, color: '#475569' },
    // 'allow': the default ('hide past div') measures every tick label's box at every redraw,
    // forcing a layout (~30% of a redraw). The margins leave the labels room.
    ticklabeloverflow: 'allow',
  };
  return {
    width,
    height: CHART_HEIGHT,
    autosize: false,
    // autoexpand false: nothing (the legend above the plot) pushes the margins, which would
    // redraw the whole chart a second time whenever a pushed margin changed.
    margin: { l: 64, r: 16, t: legend ? 36 : 14, b: 52, autoexpand: false },
    paper_bgcolor: 'rgba(0,0,0,0)',
    plot_bgcolor: '#ffffff',
    font: { family: 'system-ui, sans-serif', size: 15, color: '#1e293b' },
    // tickangle 0: no automatic angle, which measures the labels to see whether they collide.
    // The axis titles are annotations in the margins: an axis title measures every tick label
    // (to move clear of them) after the ticks were just redrawn, forcing a layout of the page at
    // every redraw; an annotation's text is measured once and cached.
    xaxis: { ...axis, tickangle: 0, hoverformat: ',d' },
    yaxis: { ...axis, type: logY ? 'log' : 'linear', hoverformat: '.4g' },
    annotations: [
      { text: xTitle, font: axisFont, xref: 'paper', yref: 'paper', x: 0.5, y: 0, yanchor: 'top', yshift: -28, showarrow: false },
      { text: yTitle, font: axisFont, xref: 'paper', yref: 'paper', x: 0, y: 0.5, xanchor: 'right', xshift: -44, textangle: -90, showarrow: false },
    ],
    ...(legend ? { legend: { orientation: 'h', x: 0, xanchor: 'left', y: 1, yanchor: 'bottom', font: { size: 15 } } } : {}),
    showlegend: legend,
    hovermode: 'x unified',
    uirevision,
  };
}

/** Draws one chart's newest figure; the scheduler below calls it, one chart per task. */
interface Pending {
  traces: PlotTrace[];
  layout: PlotLayout;
  /** Draw in the next task, not MIN_REDRAW_MS after the last draw. */
  urgent: boolean;
  /** A run is training: axis ranges are held (see liveDraw) and most redraws only move the lines. */
  live: boolean;
  done: (() => void)[];
}

/**
 * While a run trains, one chart redraws at most this often. A redraw's median cost is ~20 ms, but
 * with the training worker on one core and the compositor rasterising on the other, one in every
 * 30-60 redraws took 50-80 ms (measured at 500 ms: 2-3 long tasks a 150-step run): fewer redraws
 * are fewer chances of a long task. Once a second still shows a curve growing.
 */
export const MIN_REDRAW_MS = 1000;

/** The newest figure waiting to be drawn, per chart, in the order they first waited (round robin). */
const pending = new Map<HTMLElement, Pending>();
const lastDrawn = new WeakMap<HTMLElement, number>();
let timer: ReturnType<typeof setTimeout> | null = null;
let timerAt = Infinity;
/** True from a task's start until its one chart is drawn: no second draw meanwhile. */
let busy = false;

/**
 * The layout object each chart's Plotly holds, reused while its settings are unchanged. Given a
 * new layout object, Plotly.react diffs and lays out axes, titles and legend again, which doubled
 * the cost of a redraw (~18 ms against ~9 ms on an idle page); the same object with a new
 * `datarevision` redraws the data (autoranged axes still follow it).
 */
const heldLayouts = new WeakMap<HTMLElement, { key: string; layout: PlotLayout }>();
/**
 * Never repeats, not even across a chart's layout objects: given an equal `datarevision`, react
 * skips the data (it kept a finished run's final points off the autoranged axes).
 */
let dataRevision = 0;

function layoutFor(el: HTMLElement, layout: PlotLayout): PlotLayout {
  const key = JSON.stringify(layout);
  let held = heldLayouts.get(el);
  if (!held || held.key !== key) {
    held = { key, layout: structuredClone(layout) };
    heldLayouts.set(el, held);
  }
  held.layout.datarevision = ++dataRevision;
  return held.layout;
}

function dueAt(el: HTMLElement, figure: Pending): number {
  return figure.urgent ? 0 : (lastDrawn.get(el) ?? -Infinity) + MIN_REDRAW_MS;
}

function schedule(): void {
  if (busy || pending.size === 0) return;
  const now = performance.now();
  let at = Infinity;
  for (const [el, figure] of pending) at = Math.min(at, dueAt(el, figure));
  at = Math.max(now, at);
  if (timer !== null) {
    if (timerAt <= at) return;
    clearTimeout(timer);
  }
  timerAt = at;
  timer = setTimeout(() => void drawNext(), at - now);
}

/** One task: draws the first chart that is due, then schedules the next task. */
async function drawNext(): Promise<void> {
  timer = null;
  timerAt = Infinity;
  busy = true;
  try {
    const Plotly = await loadPlotly();
    const now = performance.now();
    let next: [HTMLElement, Pending] | undefined;
    for (const entry of pending) {
      if (dueAt(...entry) <= now + 1) {
        next = entry;
        break;
      }
    }
    if (next) {
      const [el, figure] = next;
      pending.delete(el);
      lastDrawn.set(el, now);
      try {
        // The first react on an element is Plotly's newPlot; later ones update it.
        if (el.isConnected) {
          let kind = 'full';
          let start = now;
          if (figure.live) {
            // Plotly.animate draws in the next animation frame: timed from that frame's start
            // (this callback runs just before Plotly's), not across the wait for it.
            const frame = requestAnimationFrame(() => (start = performance.now()));
            kind = await liveDraw(Plotly, el, figure.traces, figure.layout);
            if (kind !== 'lines') {
              cancelAnimationFrame(frame);
              start = now;
            }
          }
          else {
            // After a live run its ranges are fixed (and Plotly keeps ranges set by relayout
            // across reacts of the same uirevision): new axis revisions autorange again.
            if (liveViews.get(el)?.ranges) {
              heldLayouts.delete(el);
              axisRevisions.set(el, (axisRevisions.get(el) ?? 0) + 1);
            }
            await Plotly.react(el, figure.traces, layoutFor(el, axisRevised(el, figure.layout)), CHART_CONFIG);
            heldView(el, figure.traces, figure.layout);
          }
          // A user-timing entry per redraw: DevTools' performance panel shows what each chart costs.
          if (kind !== 'skip') performance.measure(`chart ${el.dataset.chart ?? ''}`, { start, detail: { kind } });
        }
      } catch (error) {
        console.warn('chart:', error);
      }
      figure.done.forEach((done) => done());
    }
  } finally {
    busy = false;
    schedule();
  }
}

/**
 * Asks for a chart to show these traces: drawn in a task of its own, at most every
 * MIN_REDRAW_MS per chart unless `urgent` (a run ended, a stored run opened, the chart mounted).
 * Resolves once drawn (or superseded by a purge).
 */
export function drawChart(el: HTMLElement, traces: PlotTrace[], layout: PlotLayout, urgent = false, live = false): Promise<void> {
  return new Promise((resolve) => {
    const waiting = pending.get(el);
    if (waiting) {
      waiting.traces = traces;
      waiting.layout = layout;
      waiting.urgent ||= urgent;
      waiting.live = live;
      waiting.done.push(resolve);
    } else {
      pending.set(el, { traces, layout, urgent: urgent || !heldLayouts.has(el), live, done: [resolve] });
    }
    schedule();
  });
}

export function purgeChart(el: HTMLElement): void {
  const figure = pending.get(el);
  pending.delete(el);
  heldLayouts.delete(el);
  liveViews.delete(el);
  figure?.done.forEach((done) => done());
  void loadPlotly().then((Plotly) => Plotly.purge(el));
}

/**
 * Live redraws. A Plotly.react re-autoranges and redraws both axes (ticks, grid, labels) even when
 * only the data changed (~20 ms under load, some over 50). With the axis ranges held fixed, only
 * the lines need drawing. So while a run trains, each line chart holds its own ranges: x from the
 * first step over a span that triples when the steps outgrow it, y (in log10 units on a log axis,
 * as Plotly's ranges are) with headroom that grows geometrically when a value leaves it. Each
 * redraw is then Plotly.animate without redraw (LIVE_UPDATE), which rewrites the traces' x, y and
 * mode (so `el.data[i]` holds every drawn point, as the tests read; the hover readout follows)
 * and redraws only their paths: ~3 ms. When the data leaves a range, a Plotly.relayout of the
 * ranges alone redraws the axes first (~3-5 ms against ~10-20 for a react), a few times a run. A
 * full react only when the layout or the set of traces changed. When the run ends the chart is
 * drawn once more in full, autoranged to its data.
 */
interface LiveView {
  /** The layout (without ranges) and the traces (type and name) the plot was drawn with. */
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

function axisRevised(el: HTMLElement, layout: PlotLayout): PlotLayout {
  const n = axisRevisions.get(el);
  if (!n) return layout;
  const uirevision = `${String(layout.uirevision)}:${n}`;
  return { ...layout, xaxis: { ...(layout.xaxis as object), uirevision }, yaxis: { ...(layout.yaxis as object), uirevision } };
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

/** After a react (not live): the plot as drawn, autoranged, for live redraws to build on. */
function heldView(el: HTMLElement, traces: readonly PlotTrace[], layout: PlotLayout): void {
  liveViews.set(el, { key: JSON.stringify(layout), shape: shapeOf(traces), ranges: null });
}

/** (A trace's mode, a marker for one point then lines, changes in the cheap path too.) */
const shapeOf = (traces: readonly PlotTrace[]) => traces.map((t) => `${t.type}:${t.name}`).join('|');

/**
 * Draws a live figure; says how: 'lines' (only the traces moved: timed from the animation frame
 * Plotly draws them in), 'skip' (nothing changed), or 'new' (a full react: the layout or the traces changed).
 */
async function liveDraw(Plotly: PlotlyStatic, el: HTMLElement, traces: PlotTrace[], layout: PlotLayout): Promise<'lines' | 'skip' | 'new'> {
  const logY = (layout.yaxis as { type?: string } | undefined)?.type === 'log';
  const key = JSON.stringify(layout);
  const shape = shapeOf(traces);
  const extent = extentOf(traces, logY);
  const view = liveViews.get(el);
  const gd = el as PlotElement;
  if (!view || view.key !== key || view.shape !== shape || gd.data?.length !== traces.length) {
    // The first draw of a plot, or a new layout (a resize) or set of traces: a full react.
    const ranges = extent ? liveRanges(extent, null, logY) : null;
    const axis = (name: 'xaxis' | 'yaxis', range: [number, number]) => ({ ...(layout[name] as object), range, autorange: false });
    const ranged = ranges ? { ...layout, xaxis: axis('xaxis', ranges.x), yaxis: axis('yaxis', ranges.y) } : layout;
    heldLayouts.delete(el);
    await Plotly.react(el, traces, layoutFor(el, axisRevised(el, ranged)), CHART_CONFIG);
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
  const indices = traces.map((_, i) => i);
  if (LIVE_UPDATE === 'animate') {
    await Plotly.animate(el, { data: traces.map((t) => ({ x: t.x, y: t.y, mode: t.mode })), traces: indices }, { transition: { duration: 0 }, frame: { duration: 0, redraw: false }, mode: 'immediate' });
  } else {
    await Plotly.restyle(el, { x: traces.map((t) => t.x), y: traces.map((t) => t.y), mode: traces.map((t) => t.mode) }, indices);
  }
  return 'lines';
}
