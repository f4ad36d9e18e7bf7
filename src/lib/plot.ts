/**
 * Plotting helpers: metric rows in, Plotly traces out. Plotly is large, so it loads lazily on
 * the first chart.
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
    xaxis: { title: { text: 'step', font: axisFont }, gridcolor: '#e2e8f0', zeroline: false },
    yaxis: { title: { text: yTitle, font: axisFont }, gridcolor: '#e2e8f0', zeroline: false, type: logY ? 'log' : 'linear' },
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

export function drawChart(el: HTMLElement, traces: PlotTrace[], layout: PlotLayout): Promise<void> {
  return queue(el, (Plotly) => (el.isConnected ? Plotly.react(el, traces, layout, { displayModeBar: false, responsive: true }) : undefined));
}

export function purgeChart(el: HTMLElement): void {
  void queue(el, (Plotly) => Plotly.purge(el));
}
