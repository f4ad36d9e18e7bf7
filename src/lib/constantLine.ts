/**
 * A horizontal reference line for a metric chart (e.g. a win rate of 0.5: "no better than the
 * start"): the rows where `key` was logged gain `lineKey` = `value`, so the line spans exactly the
 * steps the metric covers and is drawn by the same series code as the metric.
 */
import type { MetricRow } from '../core/train/pretrainConfig.ts';

export function withConstantLine(rows: readonly MetricRow[], key: string, lineKey: string, value: number): MetricRow[] {
  return rows.map((row) => (typeof row[key] === 'number' ? { ...row, [lineKey]: value } : row));
}
