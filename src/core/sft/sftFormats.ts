/**
 * SFT datasets in and out, in TRL's formats. In: JSONL (one record per line), JSON (an array of
 * records) or CSV (a header row), where a record is
 *   - prompt-completion: {"prompt": "...", "completion": "..."}
 *   - conversational: {"messages": [{"role": "user", "content": "..."}, {"role": "assistant", ...}]}
 *     or {"prompt": [messages], "completion": [messages]}, turned into text by a chat template.
 * Records that cannot be used (malformed JSON, an empty prompt, a duplicate, ...) are listed with
 * their line numbers, apart from the usable rows, so the user decides whether to import the rest.
 * Out: TRL JSONL ({"prompt", "completion"} per line) and CSV.
 */
import { applyChatTemplate, readMessages, type ChatMessage, type ChatTemplate } from './chatTemplate.ts';
import { parseCsv, toCsv } from './csv.ts';
import type { SftRow } from './sftData.ts';

export const MAX_SFT_FILE_BYTES = 100 * 1000 * 1000;

export type SftFileFormat = 'jsonl' | 'json' | 'csv';

/** A record that is not imported, and why ("line 3: not valid JSON (...)"). */
export interface SkippedRecord {
  /** The line (JSONL, CSV) or record number (JSON) it is at, 1-based. */
  at: number;
  message: string;
}

export interface SftImport {
  format: SftFileFormat;
  /** Whether the records were chat conversations (rows then depend on the template). */
  chat: boolean;
  rows: SftRow[];
  /** Where each row came from (same order as rows), for messages. */
  at: number[];
  skipped: SkippedRecord[];
  /** "line" or "record": what `at` counts. */
  unit: 'line' | 'record';
}

export type SftImportResult = ({ ok: true } & SftImport) | { ok: false; error: string };

const ACCEPTED = 'accepted: "prompt" and "completion" (text, or lists of {role, content} messages), or "messages" (a list of {role, content})';

/** Picks the format from the file name, else from the first character. */
export function detectFormat(name: string, text: string): SftFileFormat {
  const lower = name.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  const first = text.trimStart()[0];
  if (first === '[') return 'json';
  if (first === '{') {
    // A .json file holding one object per line is JSONL in all but name.
    const lines = text.trim().split('\n').filter((l) => l.trim() !== '');
    return lines.length > 1 && lines.every((l) => l.trimStart().startsWith('{')) ? 'jsonl' : 'json';
  }
  return lower.endsWith('.json') ? 'json' : 'csv';
}

/** Decodes bytes as strict UTF-8, refusing empty, oversized and non-UTF-8 files. */
export function decodeSftFile(name: string, bytes: Uint8Array): { text: string } | { error: string } {
  if (bytes.length > MAX_SFT_FILE_BYTES) return { error: `${name} is ${(bytes.length / 1e6).toFixed(1)} MB; the limit is ${MAX_SFT_FILE_BYTES / 1e6} MB` };
  if (bytes.length === 0) return { error: `${name} is empty` };
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return text.trim() === '' ? { error: `${name} holds only whitespace` } : { text: text.replace(/^\uFEFF/, '') };
  } catch {
    return { error: `${name} is not valid UTF-8 text (it has bytes that are not UTF-8); save it as UTF-8 and import it again` };
  }
}

/** Hints for near-miss column names ("Prompt" for "prompt", "response" for "completion"). */
function columnHint(keys: readonly string[]): string {
  const aliases: Record<string, string> = { input: 'prompt', instruction: 'prompt', question: 'prompt', query: 'prompt', output: 'completion', response: 'completion', answer: 'completion', target: 'completion', conversations: 'messages', chat: 'messages' };
  const hints = keys.flatMap((k) => {
    const want = ['prompt', 'completion', 'messages'].find((n) => n === k.trim().toLowerCase() && n !== k) ?? aliases[k.trim().toLowerCase()];
    return want ? [`rename "${k}" to "${want}"`] : [];
  });
  return hints.length ? `; ${hints.join('; ')}` : '';
}

/** What is missing from a record's fields, and what it has: 'no "completion" field (it has "prompt", "response")'. */
function missingColumns(keys: readonly string[]): string {
  const has = (k: string) => keys.includes(k);
  const missing = has('prompt') ? 'no "completion" field' : has('completion') ? 'no "prompt" field' : 'none of the accepted fields';
  return `${missing} (it has ${keys.map((c) => `"${c}"`).join(', ') || 'no fields'}${columnHint(keys)})`;
}

type RecordResult = { row: SftRow; chat: boolean } | { error: string } | { columns: string[] };

/** One parsed record to a row, or why not; `columns` when it has none of the accepted fields. */
function recordToRow(record: unknown, template: ChatTemplate): RecordResult {
  if (!record || typeof record !== 'object' || Array.isArray(record)) return { error: 'is not a JSON object' };
  const r = record as Record<string, unknown>;
  let row: SftRow;
  let chat = false;
  if ('messages' in r) {
    const read = readMessages(r.messages);
    if ('error' in read) return read;
    const applied = applyChatTemplate(read.messages, template);
    if ('error' in applied) return applied;
    row = applied;
    chat = true;
  } else if ('prompt' in r && 'completion' in r) {
    if (Array.isArray(r.prompt) && Array.isArray(r.completion)) {
      const prompt = readMessages(r.prompt);
      const completion = readMessages(r.completion);
      if ('error' in prompt) return { error: `"prompt": ${prompt.error}` };
      if ('error' in completion) return { error: `"completion": ${completion.error}` };
      const applied = applyChatTemplate([...prompt.messages, ...completion.messages] as ChatMessage[], template);
      if ('error' in applied) return applied;
      row = applied;
      chat = true;
    } else if (typeof r.prompt === 'string' && typeof r.completion === 'string') {
      row = { prompt: r.prompt, completion: r.completion };
    } else return { error: '"prompt" and "completion" must both be text (or both lists of messages)' };
  } else return { columns: Object.keys(r) };
  if (row.prompt.trim() === '') return { error: 'the prompt is empty' };
  if (row.completion.trim() === '') return { error: 'the completion is empty' };
  return { row, chat };
}

/** Parses file text into rows and skipped records; a fatal problem (no usable column at all) is an error. */
export function parseSftText(name: string, text: string, template: ChatTemplate, format = detectFormat(name, text)): SftImportResult {
  const items: { at: number; value?: unknown; error?: string }[] = [];
  let unit: SftImport['unit'] = 'line';
  if (format === 'jsonl') {
    text.split(/\r?\n/).forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        items.push({ at: i + 1, value: JSON.parse(line) });
      } catch (e) {
        items.push({ at: i + 1, error: `not valid JSON (${(e as Error).message})` });
      }
    });
  } else if (format === 'json') {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      return { ok: false, error: `${name} is not valid JSON (${(e as Error).message}); a JSON file holds one array of records, a JSONL file one record per line` };
    }
    if (!Array.isArray(value)) return { ok: false, error: `${name} must hold an array of records ([{"prompt": ..., "completion": ...}, ...])` };
    unit = 'record';
    value.forEach((v, i) => items.push({ at: i + 1, value: v }));
  } else {
    const parsed = parseCsv(text);
    if ('error' in parsed) return { ok: false, error: `${name}: ${parsed.error}` };
    const [header, ...records] = parsed.records;
    if (!header) return { ok: false, error: `${name} has no header row` };
    const names = header.fields.map((f) => f.trim());
    for (const rec of records) {
      if (rec.fields.length !== names.length) {
        items.push({ at: rec.line, error: `has ${rec.fields.length} fields; the header has ${names.length}` });
        continue;
      }
      const obj: Record<string, unknown> = Object.fromEntries(names.map((n, i) => [n, rec.fields[i]]));
      // A messages column in CSV holds the JSON list.
      if (typeof obj.messages === 'string') {
        try {
          obj.messages = JSON.parse(obj.messages);
        } catch {
          items.push({ at: rec.line, error: 'its "messages" field is not a JSON list' });
          continue;
        }
      }
      items.push({ at: rec.line, value: obj });
    }
  }

  const rows: SftRow[] = [];
  const at: number[] = [];
  const skipped: SkippedRecord[] = [];
  const seen = new Map<string, number>();
  let chat = false;
  let columns: string[] | null = null;
  for (const item of items) {
    if (item.error) {
      skipped.push({ at: item.at, message: `${unit} ${item.at}: ${item.error}` });
      continue;
    }
    const result = recordToRow(item.value, template);
    if ('columns' in result) {
      columns ??= result.columns;
      skipped.push({ at: item.at, message: `${unit} ${item.at}: ${missingColumns(result.columns)}` });
    } else if ('error' in result) {
      skipped.push({ at: item.at, message: `${unit} ${item.at}: ${result.error}` });
    } else {
      const key = JSON.stringify([result.row.prompt, result.row.completion]);
      const first = seen.get(key);
      if (first !== undefined) {
        skipped.push({ at: item.at, message: `${unit} ${item.at}: duplicate of ${unit} ${first}` });
        continue;
      }
      seen.set(key, item.at);
      chat ||= result.chat;
      rows.push(result.row);
      at.push(item.at);
    }
  }
  if (rows.length === 0 && columns) {
    return { ok: false, error: `${name} has ${missingColumns(columns)}; ${ACCEPTED}` };
  }
  if (rows.length === 0 && skipped.length === 0) return { ok: false, error: `${name} has no records` };
  return { ok: true, format, chat, rows, at, skipped, unit };
}

/** Bytes of an uploaded file to rows: decoding checks, then parsing. */
export function importSftFile(name: string, bytes: Uint8Array, template: ChatTemplate): SftImportResult {
  const decoded = decodeSftFile(name, bytes);
  if ('error' in decoded) return { ok: false, error: decoded.error };
  return parseSftText(name, decoded.text, template);
}

/** "lines 3, 7 and 12" (at most `max` listed, then "and N more"). */
export function listPlaces(unit: string, places: readonly number[], max = 8): string {
  const shown = places.slice(0, max).map(String);
  const more = places.length - shown.length;
  const list = more > 0 ? `${shown.join(', ')} and ${more} more` : shown.length > 1 ? `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}` : shown[0] ?? '';
  return `${unit}${places.length === 1 ? '' : 's'} ${list}`;
}

/** TRL's prompt-completion JSONL: one {"prompt", "completion"} object per line. */
export function toTrlJsonl(rows: readonly SftRow[]): string {
  return rows.map((r) => JSON.stringify({ prompt: r.prompt, completion: r.completion })).join('\n') + '\n';
}

export function toSftCsv(rows: readonly SftRow[]): string {
  return toCsv(['prompt', 'completion'], rows.map((r) => [r.prompt, r.completion]));
}
