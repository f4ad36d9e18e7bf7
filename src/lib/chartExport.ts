/**
 * A chart saved as a file: an image of it (PNG or SVG, drawn by Plotly from the chart's traces,
 * with a title and Plotly's own legend, which the page draws as HTML instead) or its data as CSV.
 */
import type { PlotTrace } from 'plotly.js-dist-min';
import { downloadFile } from './download.ts';
import { metricsCsv, type CsvSeries } from './metricsCsv.ts';
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
}

/** Room above the plot for the title and a legend of a few lines. */
const EXPORT_TOP = 96;

export async function downloadChartImage(figure: ChartFigure, format: 'png' | 'svg'): Promise<void> {
  const Plotly = await loadPlotly();
  const width = figure.width > 0 ? figure.width : 720;
  const base = chartLayout({ width, xTitle: 'step', yTitle: figure.yTitle, logY: figure.logY, uirevision: figure.id });
  const layout = {
    ...base,
    height: CHART_HEIGHT + EXPORT_TOP,
    margin: { l: 64, r: 16, t: EXPORT_TOP, b: 52, autoexpand: false },
    title: { text: figure.title, x: 0, xref: 'paper', xanchor: 'left', y: 1, yref: 'container', yanchor: 'top', pad: { t: 8 } },
    paper_bgcolor: '#ffffff',
  };
  // A figure, not the chart's element: the page's plot is left exactly as drawn.
  await Plotly.downloadImage({ data: figure.traces, layout }, { format, filename: figure.id, width, height: CHART_HEIGHT + EXPORT_TOP });
}

export function downloadChartCsv(id: string, columns: readonly CsvSeries[]): void {
  downloadFile(`${id}.csv`, metricsCsv(columns), 'text/csv');
}
