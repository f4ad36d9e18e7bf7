/**
 * A chart's data as CSV: a `step` column, then one column per series, one row per step that any
 * series logged (a series that did not log a step leaves its cell empty). Raw values, not the
 * smoothed or thinned ones a chart draws.
 */
import type { MetricRow } from '../core/train/pretrainConfig.ts';

export interface CsvSeries {
  /** The column's header, e.g. "train loss" or "#3 pretrain run". */
  name: string;
  /** step -> value */
  values: ReadonlyMap<number, number>;
}

/** The finite values of one metric key in metric rows, by step. */
export function seriesOf(name: string, rows: readonly MetricRow[], key: keyof MetricRow): CsvSeries {
  const values = new Map<number, number>();
  for (const row of rows) {
    const v = row[key];
    if (typeof v === 'number' && Number.isFinite(v)) values.set(row.step, v);
  }
  return { name, values };
}

/** RFC 4180: a field holding a comma, a quote, a line break or edge spaces is quoted, its quotes doubled. */
export function csvField(text: string): string {
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function metricsCsv(columns: readonly CsvSeries[]): string {
  const steps = [...new Set(columns.flatMap((c) => [...c.values.keys()]))].sort((a, b) => a - b);
  const lines = [['step', ...columns.map((c) => c.name)].map(csvField).join(',')];
  for (const step of steps) {
    lines.push([String(step), ...columns.map((c) => (c.values.has(step) ? String(c.values.get(step)) : ''))].join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

/** A table as CSV: a header row, then one row per item (charts whose x is not the step). */
export function tableCsv(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  return [header, ...rows].map((row) => row.map((cell) => csvField(String(cell))).join(',')).join('\r\n') + '\r\n';
}
