/**
 * Reading preference files: TRL preference JSONL, Anthropic hh-rlhf style text pairs, and
 * Argilla-style records (argillaRecords.ts). Every problem is reported against its line (JSONL)
 * or record number (a JSON array) so the user can fix it, or import the valid rest.
 *
 *   TRL      {"prompt": "...", "chosen": "...", "rejected": "..."[, "margin": 1.5][, "annotator": "..."]}
 *   hh-rlhf  {"chosen": "\n\nHuman: ...\n\nAssistant: ...", "rejected": "\n\nHuman: ...\n\nAssistant: ..."}
 *            The prompt is the shared dialogue up to and including the last "\n\nAssistant:".
 */
import { argillaRecord, isArgillaRecord, type RecordProblem } from './argillaRecords.ts';
import { labelsVersionProblem } from './labelsFormat.ts';
import type { Ranking } from './ranking.ts';

export type PreferenceFormat = 'trl' | 'hh-rlhf' | 'argilla';

export const FORMAT_NAMES: Record<PreferenceFormat, string> = {
  trl: 'TRL preference JSONL',
  'hh-rlhf': 'hh-rlhf text pairs',
  argilla: 'Argilla records',
};

export interface ImportedLabel {
  annotator: string;
  ranking: Ranking;
  scores?: number[];
  margin?: number;
}

export interface ImportedRecord {
  /** Line (JSONL) or record number (JSON array) it came from, from 1. */
  line: number;
  prompt: string;
  completions: string[];
  /** Judgements in the file; none for unlabeled Argilla records. */
  labels: ImportedLabel[];
}

export interface ImportReport {
  format: PreferenceFormat | null;
  /** 'line' for JSONL, 'record' for a JSON array: what `line` numbers count. */
  unit: 'line' | 'record';
  records: ImportedRecord[];
  /** Records that could not be read, and why. The rest can be imported if the user agrees. */
  problems: { line: number; message: string }[];
  /** Records skipped because an identical one came earlier. */
  duplicates: number[];
  /** Why nothing at all can be imported (wrong columns, not JSON). */
  error?: string;
}

export const PROMPT_NAMES = ['prompt', 'instruction', 'question'] as const;
const HH_TURN = '\n\nAssistant:';

function pickString(obj: Record<string, unknown>, names: readonly string[]): string | undefined {
  for (const n of names) if (typeof obj[n] === 'string') return obj[n] as string;
  return undefined;
}

/** JSON objects of a JSONL file or a JSON array, with their line / record numbers. */
function readJson(text: string): { unit: 'line' | 'record'; values: { line: number; value: unknown }[]; problems: RecordProblem[]; error?: string } {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    try {
      const array = JSON.parse(trimmed) as unknown[];
      return { unit: 'record', values: array.map((value, i) => ({ line: i + 1, value })), problems: [] };
    } catch (e) {
      const at = /position (\d+)/.exec((e as Error).message);
      const line = at ? trimmed.slice(0, Number(at[1])).split('\n').length : null;
      return { unit: 'record', values: [], problems: [], error: `The file starts like a JSON array but is not valid JSON${line ? ` (near line ${line})` : ''}: ${(e as Error).message}` };
    }
  }
  const values: { line: number; value: unknown }[] = [];
  const problems: RecordProblem[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    try {
      values.push({ line: i + 1, value: JSON.parse(raw) });
    } catch (e) {
      problems.push({ line: i + 1, message: `not valid JSON (${(e as Error).message})` });
    }
  });
  return { unit: 'line', values, problems };
}

function detect(obj: Record<string, unknown>): PreferenceFormat | null {
  if (isArgillaRecord(obj)) return 'argilla';
  if ('chosen' in obj && 'rejected' in obj) {
    if (pickString(obj, PROMPT_NAMES) !== undefined) return 'trl';
    if (typeof obj.chosen === 'string' && obj.chosen.includes(HH_TURN)) return 'hh-rlhf';
  }
  return null;
}

const ACCEPTED = 'accepted: TRL {"prompt", "chosen", "rejected"} (optional "margin", "annotator"); hh-rlhf {"chosen", "rejected"} with "\\n\\nHuman:" / "\\n\\nAssistant:" turns; Argilla {"fields": {"prompt", "response-1", ...}, "responses": [...]}';

function trlRecord(obj: Record<string, unknown>, line: number, annotator: string): ImportedRecord | RecordProblem {
  const prompt = pickString(obj, PROMPT_NAMES);
  if (prompt === undefined) return { line, message: `no "prompt" text (it has: ${Object.keys(obj).join(', ')}; accepted names: ${PROMPT_NAMES.join(', ')})` };
  for (const key of ['chosen', 'rejected']) {
    if (!(key in obj)) return { line, message: `no "${key}" field (it has: ${Object.keys(obj).join(', ')}; accepted: prompt, chosen, rejected, margin, annotator)` };
    if (typeof obj[key] !== 'string') return { line, message: `"${key}" must be text (conversational message lists are not supported)` };
  }
  if (prompt.trim() === '') return { line, message: 'empty prompt' };
  if ((obj.chosen as string).trim() === '' || (obj.rejected as string).trim() === '') return { line, message: 'empty "chosen" or "rejected" completion' };
  const label: ImportedLabel = { annotator: typeof obj.annotator === 'string' && obj.annotator.trim() ? obj.annotator.trim() : annotator, ranking: [[0], [1]] };
  if (obj.margin !== undefined && obj.margin !== null) {
    if (typeof obj.margin !== 'number' || !Number.isFinite(obj.margin)) return { line, message: '"margin" must be a number' };
    label.margin = obj.margin;
  }
  return { line, prompt, completions: [obj.chosen as string, obj.rejected as string], labels: [label] };
}

function hhRecord(obj: Record<string, unknown>, line: number, annotator: string): ImportedRecord | RecordProblem {
  const { chosen, rejected } = obj;
  if (typeof chosen !== 'string' || typeof rejected !== 'string') return { line, message: `"chosen" and "rejected" must be text (it has: ${Object.keys(obj).join(', ')})` };
  const cut = chosen.lastIndexOf(HH_TURN);
  if (cut < 0) return { line, message: '"chosen" has no "\\n\\nAssistant:" turn' };
  const prompt = chosen.slice(0, cut + HH_TURN.length);
  if (!rejected.startsWith(prompt) || rejected.indexOf(HH_TURN, prompt.length) >= 0) {
    return { line, message: '"chosen" and "rejected" do not share the dialogue before the last "\\n\\nAssistant:" turn' };
  }
  if (prompt.replace(/\n\n(Human|Assistant):/g, '').trim() === '') return { line, message: 'empty prompt' };
  return { line, prompt, completions: [chosen.slice(prompt.length), rejected.slice(prompt.length)], labels: [{ annotator, ranking: [[0], [1]] }] };
}

/** A record's identity for duplicate detection: the prompt, its completions and its labels. */
function recordKey(r: ImportedRecord): string {
  return JSON.stringify([r.prompt, r.completions, r.labels.map((l) => [l.annotator, l.ranking])]);
}

export function parsePreferenceFile(text: string, options: { annotator: string; format?: PreferenceFormat }): ImportReport {
  const read = readJson(text);
  const report: ImportReport = { format: null, unit: read.unit, records: [], problems: [...read.problems], duplicates: [] };
  if (read.error) return { ...report, error: read.error };
  const first = read.values.find((v) => v.value && typeof v.value === 'object' && !Array.isArray(v.value));
  if (!first) {
    return { ...report, error: read.values.length === 0 ? 'No JSON records found: every line is malformed.' : 'The records are not JSON objects.' };
  }
  const format = options.format ?? detect(first.value as Record<string, unknown>);
  if (!format) {
    return { ...report, error: `Unrecognised columns on ${read.unit} ${first.line}: ${Object.keys(first.value as object).join(', ') || '(none)'}; ${ACCEPTED}.` };
  }
  report.format = format;
  // A file from another version of the playground is refused whole: its rows may mean more than
  // this version can read, and importing the readable part would half-apply it.
  for (const { line, value } of read.values) {
    const problem = value && typeof value === 'object' && !Array.isArray(value) ? labelsVersionProblem(value as Record<string, unknown>, `${read.unit === 'line' ? 'Line' : 'Record'} ${line}`) : null;
    if (problem) return { ...report, error: `${problem}. Nothing was imported.` };
  }
  const seen = new Set<string>();
  for (const { line, value } of read.values) {
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      report.problems.push({ line, message: 'not a JSON object' });
      continue;
    }
    const obj = value as Record<string, unknown>;
    const parsed = format === 'trl' ? trlRecord(obj, line, options.annotator) : format === 'hh-rlhf' ? hhRecord(obj, line, options.annotator) : argillaRecord(obj, line, options.annotator);
    if ('message' in parsed) {
      report.problems.push(parsed);
      continue;
    }
    const key = recordKey(parsed);
    if (seen.has(key)) report.duplicates.push(line);
    else {
      seen.add(key);
      report.records.push(parsed);
    }
  }
  report.problems.sort((a, b) => a.line - b.line);
  if (report.records.length === 0 && report.problems.length > 0) {
    report.error = `No usable records: ${report.problems.length} ${read.unit}${report.problems.length === 1 ? '' : 's'} could not be read.`;
  }
  return report;
}

/** "lines 3, 7 and 12" (at most `max` listed, then "and N more"). */
export function listLines(unit: 'line' | 'record', lines: readonly number[], max = 8): string {
  const shown = lines.slice(0, max).join(', ');
  const more = lines.length > max ? ` and ${lines.length - max} more` : '';
  return `${unit}${lines.length === 1 ? '' : 's'} ${shown}${more}`;
}
