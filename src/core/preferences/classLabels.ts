/**
 * A class without a server: each student exports one labels file, the teacher imports many into
 * one pool. A labels file is TRL preference JSONL (so TRL reads it as it is) with two more columns
 * on every row:
 *
 *   {"prompt", "chosen", "rejected"[, "margin"], "annotator": "Ada", "playground_version": 2}
 *
 * Versions of the labels file:
 *   1  the earlier export: TRL JSONL with an optional "annotator" column and no version field.
 *      Plain TRL JSONL from anywhere reads the same way. Migrated: a row without an annotator is
 *      the file's (its name without the extension).
 *   2  this version: "annotator" and "playground_version" on every row.
 * A file that says another version is refused with a message naming the version and what this
 * version reads. A file with any row that cannot be read is refused as a whole, with its line:
 * a class pool is never half-applied.
 */
import type { PreferencePair } from './types.ts';
import { parsePreferenceFile, type ImportedRecord } from './importFormats.ts';

import { LABELS_FORMAT_VERSION, VERSION_FIELD } from './labelsFormat.ts';

export { LABELS_FORMAT_VERSION, VERSION_FIELD };
/** One row of a labels file is a prompt and two short completions; a longer line is not one of ours. */
export const MAX_LINE_CHARS = 1_000_000;

/** One student's labels as a labels file (the current version). */
export function toClassLabelsJsonl(pairs: readonly PreferencePair[], annotator: string): string {
  const margin = pairs.length > 0 && pairs.every((p) => p.margin !== undefined && Number.isFinite(p.margin));
  return pairs
    .map((p) => {
      const row: Record<string, unknown> = { prompt: p.prompt, chosen: p.chosen, rejected: p.rejected };
      if (margin) row.margin = p.margin;
      row.annotator = annotator;
      row[VERSION_FIELD] = LABELS_FORMAT_VERSION;
      return JSON.stringify(row) + '\n';
    })
    .join('');
}

/** The file a student's labels are saved as: "<name>-labels.jsonl", the name made safe for a file system. */
export function labelsFileName(annotator: string): string {
  return `${annotator.trim()}-labels`.replace(/[^\w.-]+/g, '_') + '.jsonl';
}

/** The annotator of rows that name none: the file's name without its extension. */
export function annotatorFromFileName(name: string): string {
  return name.replace(/\.[^.]*$/, '').trim() || name;
}

export interface ClassFile {
  name: string;
  records: ImportedRecord[];
  /** The file's version: 1 for plain TRL JSONL (migrated), 2 for the current format. */
  version: number;
  /** Rows identical to an earlier row of the file (skipped). */
  duplicates: number;
}

const READS = `this version reads labels files of version 1 and ${LABELS_FORMAT_VERSION}, and plain TRL preference JSONL ("prompt", "chosen", "rejected")`;

/** Refuses what is not a labels file this version can read: oversized lines, other versions, wrong types. */
function checkRows(name: string, text: string): { version: number } | { error: string } {
  const lines = text.split(/\r?\n/);
  let version: number | null = null;
  const refuse = (line: number, message: string) => ({ error: `${name}, line ${line}: ${message}. Nothing was imported from ${name}.` });
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    if (raw.length > MAX_LINE_CHARS) return refuse(i + 1, `the line is ${(raw.length / 1e6).toFixed(1)} million characters long; a labels row is far shorter`);
    if (raw.trim() === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(raw);
    } catch (e) {
      return refuse(i + 1, `not valid JSON (${(e as Error).message})`);
    }
    if (!row || typeof row !== 'object' || Array.isArray(row)) return refuse(i + 1, 'not a JSON object');
    const obj = row as Record<string, unknown>;
    const v = Object.hasOwn(obj, VERSION_FIELD) ? obj[VERSION_FIELD] : 1;
    if (typeof v !== 'number' || !Number.isInteger(v)) return refuse(i + 1, `"${VERSION_FIELD}" must be a whole number`);
    if (v !== 1 && v !== LABELS_FORMAT_VERSION) {
      const which = v > LABELS_FORMAT_VERSION ? 'a newer version of the playground' : 'an unknown version of the playground';
      return { error: `${name} is a labels file of version ${v}, from ${which}; ${READS}. Nothing was imported from ${name}.` };
    }
    if (version !== null && v !== version) return refuse(i + 1, `version ${v} after rows of version ${version}; a labels file has one version`);
    version = v;
    if (Object.hasOwn(obj, 'annotator') && typeof obj.annotator !== 'string') return refuse(i + 1, '"annotator" must be text');
    if (v === LABELS_FORMAT_VERSION && (typeof obj.annotator !== 'string' || obj.annotator.trim() === '')) {
      return refuse(i + 1, `a version ${v} labels file names the annotator on every row`);
    }
  }
  if (version === null) return { error: `${name} holds no labels.` };
  return { version };
}

/** Reads one student's file, all or nothing: its records, or why it is refused (naming the file and line). */
export function readClassFile(name: string, text: string): ClassFile | { name: string; error: string } {
  const checked = checkRows(name, text);
  if ('error' in checked) return { name, error: checked.error };
  const report = parsePreferenceFile(text, { annotator: annotatorFromFileName(name), format: 'trl' });
  const first = report.problems[0];
  if (first) return { name, error: `${name}, line ${first.line}: ${first.message}. Nothing was imported from ${name}.` };
  if (report.error) return { name, error: `${name}: ${report.error} Nothing was imported from ${name}.` };
  if (report.records.length === 0) return { name, error: `${name} holds no labels.` };
  return { name, records: report.records, version: checked.version, duplicates: report.duplicates.length };
}


/** Who labeled which comparison, whatever the completions' order: pass stored labels' keys to mergeClassFiles as `known`. */
export function labelKey(annotator: string, prompt: string, completions: readonly string[]): string {
  return JSON.stringify([annotator, prompt, [...completions].sort()]);
}

export interface ClassPool {
  /** Files taken, with how many of their labels were new to the pool. */
  accepted: { name: string; version: number; labels: number; duplicates: number }[];
  /** Files refused as a whole, with the message. */
  refused: { name: string; error: string }[];
  /** One record per (annotator, prompt, completions): the first file's label is kept. */
  records: ImportedRecord[];
}

/**
 * Several students' files as one pool. A label seen before (same annotator, prompt and completions,
 * in this file, an earlier one, or `known`) is not counted again.
 */
export function mergeClassFiles(files: readonly { name: string; text: string }[], known: Iterable<string> = []): ClassPool {
  const seen = new Set(known);
  const pool: ClassPool = { accepted: [], refused: [], records: [] };
  for (const file of files) {
    const read = readClassFile(file.name, file.text);
    if ('error' in read) {
      pool.refused.push(read);
      continue;
    }
    let labels = 0;
    let duplicates = 0;
    for (const record of read.records) {
      const fresh = record.labels.filter((l) => {
        const key = labelKey(l.annotator, record.prompt, record.completions);
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
      duplicates += record.labels.length - fresh.length;
      if (fresh.length === 0) continue;
      labels += fresh.length;
      pool.records.push({ ...record, labels: fresh });
    }
    pool.accepted.push({ name: file.name, version: read.version, labels, duplicates: duplicates + read.duplicates });
  }
  return pool;
}


export interface AnnotatorCount {
  annotator: string;
  /** Comparisons labeled (a discard counts). */
  labels: number;
  /** Labels with at least one tie. */
  ties: number;
  discards: number;
}

/** Per-annotator counts of a pool's labels, by name. */
export function annotatorCounts(labels: readonly { annotator: string; ranking: readonly (readonly number[])[] }[]): AnnotatorCount[] {
  const counts = new Map<string, AnnotatorCount>();
  for (const l of labels) {
    const c = counts.get(l.annotator) ?? { annotator: l.annotator, labels: 0, ties: 0, discards: 0 };
    c.labels++;
    if (l.ranking.length === 0) c.discards++;
    else if (l.ranking.some((group) => group.length > 1)) c.ties++;
    counts.set(l.annotator, c);
  }
  return [...counts.values()].sort((a, b) => a.annotator.localeCompare(b.annotator));
}
