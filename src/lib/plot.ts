/**
 * Plotting helpers: metric rows in, Plotly traces out. Plotly is large, so it loads lazily on
 * the first chart. The live metric charts of a training run do not use Plotly: they redraw
 * several times a second, and lineChart.ts draws them as plain SVG (see there why).
 */
import type { PlotLayout, PlotTrace, PlotlyStatic } from 'plotly.js-dist-min';
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

/** x = step, y = the metric, for the rows that logged it. */
export function series(rows: readonly MetricRow[], spec: SeriesSpec): PlotTrace {
  const x: number[] = [];
  const y: number[] = [];
  for (const row of rows) {
    const v = row[spec.key];
    if (typeof v === 'number' && Number.isFinite(v)) {
      x.push(row.step);
      y.push(v);
    }
  }
  return {
    x,
    y,
    name: spec.name,
    type: 'scatter',
    mode: x.length > 1 ? 'lines' : 'markers',
    line: { color: spec.color, width: 3, dash: spec.dash },
    marker: { size: 8, color: spec.color },
  };
}

export function chartLayout(yTitle: string, logY = false): PlotLayout {
  const axisFont = { size: 15, color: '#334155' };
  return {
    margin: { l: 64, r: 16, t: 12, b: 52 },
    height: 280,
    paper_bgcolor: 'rgba(0,0,0,0)',
    plot_bgcolor: '#ffffff',
    font: { family: 'system-ui, sans-serif', size: 15, color: '#1e293b' },
    // ticklabeloverflow 'allow': the default ('hide past div') measures every tick label's box at
    // every redraw, forcing a layout (~30% of a redraw). The margins leave the labels room.
    xaxis: { title: { text: 'step', font: axisFont }, gridcolor: '#e2e8f0', zeroline: false, ticklabeloverflow: 'allow' },
    yaxis: { title: { text: yTitle, font: axisFont }, gridcolor: '#e2e8f0', zeroline: false, type: logY ? 'log' : 'linear', ticklabeloverflow: 'allow' },
    legend: { orientation: 'h', x: 0, y: 1.12, font: { size: 15 } },
    showlegend: true,
  };
}

/** Draws of one element run one after another; a purge waits for the draw in flight. */
const inFlight = new WeakMap<HTMLElement, Promise<unknown>>();

function queue(el: HTMLElement, work: (Plotly: PlotlyStatic) => unknown): Promise<void> {
  const previous = inFlight.get(el) ?? Promise.resolve();
  const next = previous
    .then(() => loadPlotly())
    .then(work)
    .catch((error: unknown) => console.warn('chart:', error));
  inFlight.set(el, next);
  return next.then(() => undefined);
}

/**
 * The newest figure waiting to be drawn, per chart. While a run trains, metrics arrive several
 * times a second and a redraw costs tens of milliseconds: drawing every update inside the message
 * handler that brought it made main-thread tasks over 50 ms (janky scrolling and typing). So each
 * chart redraws in a task of its own, at most every MIN_REDRAW_MS, with the latest data.
 */
const pending = new Map<HTMLElement, { traces: PlotTrace[]; layout: PlotLayout; done: (() => void)[] }>();
const lastDrawn = new WeakMap<HTMLElement, number>();
const MIN_REDRAW_MS = 400;

/**
 * The layout object each chart's Plotly holds, reused while its settings are unchanged. Given a
 * new layout object, Plotly.react diffs and lays out axes, titles and legend again, which doubled
 * the cost of a redraw (~18 ms against ~9 ms on an idle page); the same object with a new
 * `datarevision` redraws the data (autoranged axes still follow it).
 */
const heldLayouts = new WeakMap<HTMLElement, { key: string; layout: PlotLayout; revision: number }>();

function layoutFor(el: HTMLElement, layout: PlotLayout): PlotLayout {
  const key = JSON.stringify(layout);
  let held = heldLayouts.get(el);
  if (!held || held.key !== key) {
    held = { key, layout: { ...layout }, revision: 0 };
    heldLayouts.set(el, held);
  }
  held.layout.datarevision = ++held.revision;
  return held.layout;
}

export function drawChart(el: HTMLElement, traces: PlotTrace[], layout: PlotLayout): Promise<void> {
  return new Promise((resolve) => {
    const waiting = pending.get(el);
    if (waiting) {
      waiting.traces = traces;
      waiting.layout = layout;
      waiting.done.push(resolve);
      return;
    }
    pending.set(el, { traces, layout, done: [resolve] });
    const wait = Math.max(0, (lastDrawn.get(el) ?? -Infinity) + MIN_REDRAW_MS - performance.now());
    setTimeout(() => {
      const figure = pending.get(el);
      pending.delete(el);
      if (!figure) return;
      lastDrawn.set(el, performance.now());
      void queue(el, (Plotly) =>
        el.isConnected ? Plotly.react(el, figure.traces, layoutFor(el, figure.layout), { displayModeBar: false, responsive: true }) : undefined,
      ).then(() => figure.done.forEach((done) => done()));
    }, wait);
  });
}

export function purgeChart(el: HTMLElement): void {
  const figure = pending.get(el);
  pending.delete(el);
  heldLayouts.delete(el);
  figure?.done.forEach((done) => done());
  void queue(el, (Plotly) => Plotly.purge(el));
}
