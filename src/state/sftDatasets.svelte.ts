/**
 * SFT datasets in this browser: build one from the built-in instruction sets, import a file
 * (JSONL / JSON / CSV, chat records through an editable template), edit rows in the table, export
 * as TRL JSONL or CSV. Every edit is written to IndexedDB (the sftDatasets table) as it happens.
 */
import { buildInstructionSet, type InstructionKind } from '../core/data/instructions.ts';
import { DEFAULT_CHAT_TEMPLATE, parseChatTemplate } from '../core/sft/chatTemplate.ts';
import type { SftRow } from '../core/sft/sftData.ts';
import { decodeSftFile, listPlaces, MAX_SFT_FILE_BYTES, parseSftText, toSftCsv, toTrlJsonl, type SftImport } from '../core/sft/sftFormats.ts';
import { db, type SftDatasetRecord } from '../lib/db.ts';
import { downloadFile } from '../lib/download.ts';
import { save } from './storage.ts';

/** A file read and parsed, waiting for the user: to fix the chat template, or to agree to skip bad records. */
export interface PendingImport {
  name: string;
  /** The decoded text, parsed again when the template changes. */
  text: string;
  result: SftImport;
}

const ROW_SAVE_MS = 300;

/** Problems that block training on a dataset, in words ("row 4 has an empty prompt"). */
export function datasetProblems(rows: readonly SftRow[]): string[] {
  const problems: string[] = [];
  if (rows.length < 2) problems.push(`the dataset needs at least 2 rows (it has ${rows.length})`);
  const emptyPrompt = rows.flatMap((r, i) => (r.prompt.trim() === '' ? [i + 1] : []));
  const emptyCompletion = rows.flatMap((r, i) => (r.completion.trim() === '' ? [i + 1] : []));
  if (emptyPrompt.length) problems.push(`${listPlaces('row', emptyPrompt)} ${emptyPrompt.length === 1 ? 'has' : 'have'} an empty prompt`);
  if (emptyCompletion.length) problems.push(`${listPlaces('row', emptyCompletion)} ${emptyCompletion.length === 1 ? 'has' : 'have'} an empty completion`);
  return problems;
}

class SftDatasetsState {
  list = $state.raw<SftDatasetRecord[]>([]);
  loaded = $state(false);
  currentId = $state<number | null>(null);
  current = $derived(this.list.find((d) => d.id === this.currentId) ?? null);
  problems = $derived(this.current ? datasetProblems(this.current.rows) : ['choose or build a dataset']);

  /** The built-in set to build. */
  builtin = $state<{ kind: InstructionKind; count: number; seed: number }>({ kind: 'mood_topic', count: 500, seed: 1 });
  building = $state(false);

  pending = $state.raw<PendingImport | null>(null);
  importError = $state<string | null>(null);
  /** The chat template text being edited, and what is wrong with it. */
  templateText = $state(DEFAULT_CHAT_TEMPLATE);
  templateError = $state<string | null>(null);

  #saveTimer: ReturnType<typeof setTimeout> | null = null;

  async load(): Promise<void> {
    this.list = await db.sftDatasets.orderBy('createdAt').reverse().toArray();
    this.loaded = true;
    if (this.currentId === null || !this.list.some((d) => d.id === this.currentId)) this.currentId = this.list[0]?.id ?? null;
  }

  select(id: number | null): void {
    this.flush();
    this.currentId = id;
  }

  /** Builds the chosen built-in set (sized for a 64-token context, the shipped base's) and selects it. */
  async buildBuiltin(): Promise<void> {
    const { kind, count, seed } = $state.snapshot(this.builtin);
    if (!Number.isInteger(count) || count < 2 || count > 20_000 || !Number.isInteger(seed) || seed < 0) return;
    this.building = true;
    try {
      const rows = buildInstructionSet({ kind, count, seed }).map(({ prompt, completion }) => ({ prompt, completion }));
      await this.#add({ name: `Built-in: ${kind.replaceAll('_', ' + ')} · ${count} · seed ${seed}`, source: 'builtin', rows, builtin: { kind, count, seed } });
    } finally {
      this.building = false;
    }
  }

  /** Reads a chosen file; imports it at once when it is clean, else waits for the user (pending). */
  async chooseFile(file: File): Promise<void> {
    this.importError = null;
    this.pending = null;
    if (file.size > MAX_SFT_FILE_BYTES) {
      this.importError = `${file.name} is ${(file.size / 1e6).toFixed(1)} MB; the limit is ${MAX_SFT_FILE_BYTES / 1e6} MB`;
      return;
    }
    const decoded = decodeSftFile(file.name, new Uint8Array(await file.arrayBuffer()));
    if ('error' in decoded) {
      this.importError = decoded.error;
      return;
    }
    this.#parse(file.name, decoded.text);
    const p = this.pending as PendingImport | null;
    if (p && !p.result.chat && p.result.skipped.length === 0) await this.confirmImport();
  }

  /** Edits the chat template; a pending chat import is converted again with it. */
  setTemplate(text: string): void {
    this.templateText = text;
    if (this.pending) this.#parse(this.pending.name, this.pending.text);
    else {
      const parsed = parseChatTemplate(text);
      this.templateError = 'error' in parsed ? parsed.error : null;
    }
  }

  /** Imports the pending file's usable rows (skipping the records listed as unusable). */
  async confirmImport(): Promise<void> {
    const p = this.pending;
    if (!p || this.templateError || p.result.rows.length === 0) return;
    const skipped = p.result.skipped.length;
    await this.#add({
      name: `${p.name}${skipped ? ` (${skipped} skipped)` : ''}`,
      source: 'import',
      rows: p.result.rows,
      ...(p.result.chat ? { chatTemplate: this.templateText } : {}),
    });
    this.pending = null;
  }

  cancelImport(): void {
    this.pending = null;
  }

  /** Changes one cell; the row list is replaced (never mutated) and written shortly after. */
  updateRow(index: number, patch: Partial<SftRow>): void {
    this.#editRows((rows) => rows.map((r, i) => (i === index ? { ...r, ...patch } : r)), false);
  }

  addRow(): void {
    this.#editRows((rows) => [...rows, { prompt: '', completion: '' }], true);
  }

  deleteRow(index: number): void {
    this.#editRows((rows) => rows.filter((_, i) => i !== index), true);
  }

  rename(name: string): void {
    const d = this.current;
    if (!d?.id || name.trim() === '') return;
    this.#replace({ ...d, name: name.trim(), updatedAt: Date.now() });
    void save(`the name of dataset “${name.trim()}”`, () => db.sftDatasets.update(d.id!, { name: name.trim(), updatedAt: Date.now() }));
  }

  async remove(id: number): Promise<void> {
    await save('the deletion of the dataset', () => db.sftDatasets.delete(id));
    if (this.currentId === id) this.currentId = null;
    await this.load();
  }

  export(format: 'jsonl' | 'csv'): void {
    const d = this.current;
    if (!d) return;
    const base = d.name.replace(/\.(jsonl|json|csv)\b.*$/i, '').replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '') || 'sft';
    if (format === 'jsonl') downloadFile(`${base}.jsonl`, toTrlJsonl(d.rows), 'application/jsonl');
    else downloadFile(`${base}.csv`, toSftCsv(d.rows), 'text/csv');
  }

  /** Writes a pending row edit now (before switching datasets, or when a cell loses focus). */
  flush(): void {
    if (!this.#saveTimer) return;
    clearTimeout(this.#saveTimer);
    this.#saveTimer = null;
    const d = this.current;
    if (d?.id !== undefined) void save(`the edit to dataset “${d.name}”`, () => db.sftDatasets.update(d.id!, { rows: d.rows, updatedAt: d.updatedAt, source: d.source }));
  }

  #parse(name: string, text: string): void {
    const parsed = parseChatTemplate(this.templateText);
    if ('error' in parsed) {
      this.templateError = parsed.error;
      return;
    }
    this.templateError = null;
    const result = parseSftText(name, text, parsed.template);
    if (!result.ok) {
      this.importError = result.error;
      this.pending = null;
      return;
    }
    this.importError = null;
    this.pending = { name, text, result };
  }

  async #add(fields: Omit<SftDatasetRecord, 'id' | 'createdAt' | 'updatedAt'>): Promise<void> {
    this.flush();
    const now = Date.now();
    const record: SftDatasetRecord = { ...fields, createdAt: now, updatedAt: now };
    let id: number | undefined;
    await save(`dataset “${record.name}”`, async () => (id = await db.sftDatasets.add(record)));
    if (id === undefined) return;
    this.list = [{ ...record, id }, ...this.list];
    this.currentId = id;
  }

  #replace(record: SftDatasetRecord): void {
    this.list = this.list.map((d) => (d.id === record.id ? record : d));
  }

  /** Structural edits (add, delete) are written at once; typing is written after a short pause. */
  #editRows(change: (rows: SftRow[]) => SftRow[], now: boolean): void {
    const d = this.current;
    if (!d?.id) return;
    this.#replace({ ...d, rows: change(d.rows), updatedAt: Date.now(), source: d.source === 'builtin' ? 'builtin (edited)' : d.source });
    if (this.#saveTimer) clearTimeout(this.#saveTimer);
    this.#saveTimer = setTimeout(() => this.flush(), now ? 0 : ROW_SAVE_MS);
    if (now) this.flush();
  }
}

export const sftDatasets = new SftDatasetsState();
