/**
 * Side-by-side tables of stored runs: their last logged figures and their settings, one column per
 * run, each row marked when the runs disagree. Pure: the Compare runs state feeds it runs and rows.
 */
import type { MetricRow } from '../core/train/pretrainConfig.ts';

/** One table row: a name and one cell per run (undefined: the run has none). */
export interface ComparedRow<T> {
  key: string;
  values: (T | undefined)[];
  /** Some runs' cells differ (a missing cell differs from a present one). */
  differs: boolean;
}

/** Longer settings (a reward function's code, a list of prompts) are cut to this many characters. */
const MAX_SHOWN = 80;

function cellText(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}

/** Nested settings as "model.n_layer" → "2"; arrays and other values as short text. */
export function flattenConfig(config: Record<string, unknown>, prefix = ''): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    const name = prefix + key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) Object.assign(flat, flattenConfig(value as Record<string, unknown>, `${name}.`));
    else if (value !== undefined) flat[name] = cellText(value);
  }
  return flat;
}

/** Rows for the union of keys (in first-seen order), one value per run. */
export function compareRecords<T>(records: readonly Readonly<Record<string, T>>[]): ComparedRow<T>[] {
  const keys = [...new Set(records.flatMap((r) => Object.keys(r)))];
  return keys.map((key) => {
    const values = records.map((r) => (Object.hasOwn(r, key) ? r[key] : undefined));
    return { key, values, differs: values.some((v) => v !== values[0]) };
  });
}

/** Every metric key the rows logged, sorted, without `step`. */
export function metricKeys(rows: readonly MetricRow[]): string[] {
  const keys = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) if (key !== 'step') keys.add(key);
  return [...keys].sort();
}

/** The metrics worth a final figure: losses, rewards and scores, gold scores, KL, accuracies. */
const KEY_FIGURE = /(^|\/|_)loss$|reward|gold|score_mean|^objective\/|(^|\/)kl$|accuracy/;

export function isKeyFigure(key: string): boolean {
  return KEY_FIGURE.test(key);
}

/** Each key's last finite value in the rows (rows in step order). */
export function lastValues(rows: readonly MetricRow[], keys: readonly string[]): Record<string, number> {
  const last: Record<string, number> = {};
  for (const row of rows) {
    for (const key of keys) {
      const v = row[key];
      if (typeof v === 'number' && Number.isFinite(v)) last[key] = v;
    }
  }
  return last;
}
