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
 *   lines (~3-5 ms, against ~20 for a react; see liveDraw.ts); the line charts' legend is HTML.
 */
import type { PlotConfig, PlotLayout, PlotTrace, PlotlyStatic } from 'plotly.js-dist-min';
import type { MetricRow } from '../core/train/pretrainConfig.ts';
import { axisRevised, endLive, forgetLive, heldView, liveDraw } from './liveDraw.ts';
import { smoothed } from './smoothing.ts';

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

/**
 * x = step, y = the metric, for the rows that logged it (only positive values on a log axis),
 * smoothed (see smoothing.ts; 0: raw) before thinning, so the average sees every point.
 */
export function series(rows: readonly MetricRow[], spec: SeriesSpec, logY = false, smoothing = 0): PlotTrace {
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
    ...thin(x, smoothed(y, smoothing)),
    name: spec.name,
    type: 'scatter',
    mode: x.length > 1 ? 'lines' : 'markers',
    line: { color: spec.color, width: 3, dash: spec.dash },
    marker: { size: 8, color: spec.color },
    hovertemplate: '%{y:.4g}',
  };
}

/** An earlier run to draw beside the live one: `label` says how it differs (e.g. "#3 kl_coef=0.05"). */
export interface ChartOverlay {
  label: string;
  rows: readonly MetricRow[];
}

/**
 * Colours of earlier runs drawn beside the live one (one per run, in the order they were added),
 * apart from the live series' blue, orange and purple.
 */
export const OVERLAY_COLORS = ['#64748b', '#0d9488', '#db2777', '#a16207', '#65a30d', '#0891b2'];

export function overlayColor(index: number): string {
  return OVERLAY_COLORS[index % OVERLAY_COLORS.length];
}

/**
 * A series of an earlier run, named "<series> · <run label>": thinner and a little faded, in the
 * run's colour, keeping the series' dash (so a run's score and gold score still differ).
 */
export function overlaySeries(rows: readonly MetricRow[], spec: SeriesSpec, label: string, color: string, logY = false, smoothing = 0): PlotTrace {
  const trace = series(rows, { ...spec, name: `${spec.name} · ${label}`, color }, logY, smoothing);
  return { ...trace, line: { ...trace.line, width: 2 }, marker: { ...trace.marker, size: 6 }, opacity: 0.8 };
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
  /** Earlier runs' traces, drawn after `traces` and held still while a run trains. */
  overlays: PlotTrace[];
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
            kind = await liveDraw(Plotly, el, figure.traces, figure.overlays, figure.layout, async (traces, layout) => {
              heldLayouts.delete(el);
              await Plotly.react(el, traces, layoutFor(el, layout), CHART_CONFIG);
            });
            if (kind !== 'lines') {
              cancelAnimationFrame(frame);
              start = now;
            }
          }
          else {
            // After a live run its ranges are fixed (and Plotly keeps ranges set by relayout
            // across reacts of the same uirevision): new axis revisions autorange again.
            if (endLive(el)) heldLayouts.delete(el);
            await Plotly.react(el, [...figure.traces, ...figure.overlays], layoutFor(el, axisRevised(el, figure.layout)), CHART_CONFIG);
            heldView(el, figure.traces, figure.overlays, figure.layout);
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
 * `overlays` (earlier runs) are drawn after `traces`, so `el.data[i]` is the i-th of `traces`.
 * Resolves once drawn (or superseded by a purge).
 */
export function drawChart(el: HTMLElement, traces: PlotTrace[], layout: PlotLayout, urgent = false, live = false, overlays: PlotTrace[] = []): Promise<void> {
  return new Promise((resolve) => {
    const waiting = pending.get(el);
    if (waiting) {
      waiting.traces = traces;
      waiting.overlays = overlays;
      waiting.layout = layout;
      waiting.urgent ||= urgent;
      waiting.live = live;
      waiting.done.push(resolve);
    } else {
      pending.set(el, { traces, overlays, layout, urgent: urgent || !heldLayouts.has(el), live, done: [resolve] });
    }
    schedule();
  });
}

export function purgeChart(el: HTMLElement): void {
  const figure = pending.get(el);
  pending.delete(el);
  heldLayouts.delete(el);
  forgetLive(el);
  figure?.done.forEach((done) => done());
  void loadPlotly().then((Plotly) => Plotly.purge(el));
}

