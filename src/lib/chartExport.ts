/**
 * A chart saved as a file: an image of it (PNG or SVG, drawn by Plotly from the chart's traces,
 * with a title and Plotly's own legend, which the page draws as HTML instead) or its data as CSV.
 */
import type { PlotTrace } from 'plotly.js-dist-min';
import { downloadFile } from './download.ts';
import { metricsCsv, tableCsv, type CsvSeries } from './metricsCsv.ts';
import { CHART_HEIGHT, chartLayout, loadPlotly } from './plot.ts';

export interface ChartFigure {
  /** The file's name without extension, and the layout's uirevision. */
  id: string;
  title: string;
  yTitle: string;
  logY: boolean;
  /** The chart's width on the page (a default when it was never measured). */
  width: number;
  traces: PlotTrace[];
  /** The chart's own layout, for charts whose x is not the step (its axes, a second y axis); the step chart's otherwise. */
  layout?: Record<string, unknown>;
}

/** Room above the plot for the title and a legend of a few lines. */
const EXPORT_TOP = 96;

export async function downloadChartImage(figure: ChartFigure, format: 'png' | 'svg'): Promise<void> {
  const Plotly = await loadPlotly();
  const width = figure.width > 0 ? figure.width : 720;
  const base = figure.layout ?? chartLayout({ width, xTitle: 'step', yTitle: figure.yTitle, logY: figure.logY, uirevision: figure.id });
  // The plot area keeps its size and side margins (a right axis needs room); the top margin
  // becomes room for the title and the legend.
  const margin = (base.margin ?? {}) as { t?: number; r?: number };
  const height = (typeof base.height === 'number' ? base.height : CHART_HEIGHT) - (margin.t ?? 0) + EXPORT_TOP;
  const layout = {
    ...base,
    height,
    margin: { l: 64, r: margin.r ?? 16, t: EXPORT_TOP, b: 52, autoexpand: false },
    title: { text: figure.title, x: 0, xref: 'paper', xanchor: 'left', y: 1, yref: 'container', yanchor: 'top', pad: { t: 8 } },
    paper_bgcolor: '#ffffff',
  };
  // A figure, not the chart's element: the page's plot is left exactly as drawn.
  await Plotly.downloadImage({ data: figure.traces, layout }, { format, filename: figure.id, width, height });
}

export function downloadChartCsv(id: string, columns: readonly CsvSeries[]): void {
  downloadFile(`${id}.csv`, metricsCsv(columns), 'text/csv');
}

/** A chart's points as a table (one row per point) for charts whose x is not the step. */
export function downloadTableCsv(id: string, header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): void {
  downloadFile(`${id}.csv`, tableCsv(header, rows), 'text/csv');
}
