/**
 * Writing preference pairs in the formats trainers read:
 *   TRL preference JSONL   {"prompt", "chosen", "rejected"} plus "margin" when every pair has one
 *   TRL unpaired (KTO)     {"prompt", "completion", "label"}: each pair gives its chosen completion
 *                          labelled true and its rejected one labelled false (as TRL's
 *                          unpair_preference_dataset does)
 *   CSV (RFC 4180)         prompt,chosen,rejected[,margin][,annotator], CRLF line ends
 * `annotator` adds the annotator's name to each record, so label files from several devices can be
 * merged again by annotator.
 */
import type { PreferencePair } from './types.ts';

export interface ExportOptions {
  annotator?: boolean;
}

/** Margins are written only when every pair has one (a column with gaps would confuse a trainer). */
function withMargin(pairs: readonly PreferencePair[]): boolean {
  return pairs.length > 0 && pairs.every((p) => p.margin !== undefined && Number.isFinite(p.margin));
}

export function toTrlJsonl(pairs: readonly PreferencePair[], options: ExportOptions = {}): string {
  const margin = withMargin(pairs);
  return pairs
    .map((p) => {
      const row: Record<string, unknown> = { prompt: p.prompt, chosen: p.chosen, rejected: p.rejected };
      if (margin) row.margin = p.margin;
      if (options.annotator) row.annotator = p.annotator ?? '';
      return JSON.stringify(row) + '\n';
    })
    .join('');
}

export function toKtoJsonl(pairs: readonly PreferencePair[], options: ExportOptions = {}): string {
  const line = (p: PreferencePair, completion: string, label: boolean) =>
    JSON.stringify({ prompt: p.prompt, completion, label, ...(options.annotator ? { annotator: p.annotator ?? '' } : {}) }) + '\n';
  return pairs.map((p) => line(p, p.chosen, true) + line(p, p.rejected, false)).join('');
}

/** One CSV field: quoted when it holds a comma, a quote, CR or LF; quotes doubled (RFC 4180). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function toCsv(pairs: readonly PreferencePair[], options: ExportOptions = {}): string {
  const margin = withMargin(pairs);
  const header = ['prompt', 'chosen', 'rejected', ...(margin ? ['margin'] : []), ...(options.annotator ? ['annotator'] : [])];
  const rows = pairs.map((p) => [p.prompt, p.chosen, p.rejected, ...(margin ? [String(p.margin)] : []), ...(options.annotator ? [p.annotator ?? ''] : [])]);
  return [header, ...rows].map((r) => r.map(csvField).join(',') + '\r\n').join('');
}
