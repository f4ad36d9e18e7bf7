/**
 * Preference files in and out. Export: the open dataset's labels as TRL JSONL, KTO JSONL or CSV.
 * Import: TRL JSONL, hh-rlhf pairs or Argilla records, as a new dataset or merged into the open
 * one by annotator (label files from other devices). A file with bad records is imported only
 * when the user agrees to take the valid rest; nothing stored before is changed by a failed import.
 */
import { decodePreferenceFile, sizeProblem } from '../core/preferences/decodeFile.ts';
import { toCsv, toKtoJsonl, toTrlJsonl } from '../core/preferences/exportFormats.ts';
import { FORMAT_NAMES, listLines, parsePreferenceFile, type ImportReport } from '../core/preferences/importFormats.ts';
import { db } from '../lib/db.ts';
import { downloadFile } from '../lib/download.ts';
import { pairsOf } from './preferenceData.ts';
import { preferences } from './preferences.svelte.ts';
import { addImportedRecords } from './preferenceStore.ts';
import { save } from './storage.ts';

export type ExportFormat = 'trl' | 'kto' | 'csv';

class PreferenceFilesState {
  /** '' = every annotator. */
  exportAnnotator = $state('');
  withAnnotator = $state(false);
  target = $state<'new' | 'merge'>('new');
  busy = $state(false);
  error = $state<string | null>(null);
  info = $state<string | null>(null);
  /** A parsed file with problems, waiting for the user to agree to import its valid records. */
  pending = $state.raw<{ name: string; report: ImportReport } | null>(null);

  export(format: ExportFormat): void {
    const labels = preferences.labels.filter((l) => !this.exportAnnotator || l.annotator === this.exportAnnotator);
    const pairs = pairsOf(preferences.comparisons, labels);
    const options = { annotator: this.withAnnotator };
    const base = (preferences.dataset?.name ?? 'preferences').replace(/[^\w.-]+/g, '_');
    if (format === 'csv') downloadFile(`${base}.csv`, toCsv(pairs, options), 'text/csv');
    else downloadFile(`${base}${format === 'kto' ? '.kto' : ''}.jsonl`, format === 'kto' ? toKtoJsonl(pairs, options) : toTrlJsonl(pairs, options), 'application/jsonl');
  }

  async choose(file: File): Promise<void> {
    this.error = null;
    this.info = null;
    this.pending = null;
    const tooBig = sizeProblem(file.name, file.size);
    if (tooBig) {
      this.error = tooBig;
      return;
    }
    const decoded = decodePreferenceFile(file.name, new Uint8Array(await file.arrayBuffer()));
    if ('error' in decoded) {
      this.error = decoded.error;
      return;
    }
    // Labels in a file that names no annotator are the file's, not the person importing it.
    const annotator = `imported (${file.name})`;
    const report = parsePreferenceFile(decoded.text, { annotator });
    if (report.error) {
      this.error = `${file.name}: ${report.error}`;
      return;
    }
    if (report.problems.length > 0 || report.duplicates.length > 0) {
      this.pending = { name: file.name, report };
      return;
    }
    await this.#store(file.name, report);
  }

  /** What is wrong with the pending file, in words. */
  pendingSummary = $derived.by(() => {
    const p = this.pending;
    if (!p) return [];
    const { report } = p;
    const lines: string[] = [];
    if (report.problems.length > 0) {
      lines.push(`${p.name}: ${report.problems.length} malformed ${listLines(report.unit, report.problems.map((x) => x.line))}.`);
      for (const x of report.problems.slice(0, 5)) lines.push(`${report.unit === 'line' ? 'Line' : 'Record'} ${x.line}: ${x.message}.`);
    }
    if (report.duplicates.length > 0) lines.push(`${report.duplicates.length} duplicate ${listLines(report.unit, report.duplicates)} will be skipped.`);
    return lines;
  });

  async importPending(): Promise<void> {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    await this.#store(p.name, p.report);
  }

  cancelPending(): void {
    this.pending = null;
  }

  async #store(name: string, report: ImportReport): Promise<void> {
    this.busy = true;
    try {
      const merge = this.target === 'merge' && preferences.dataset !== null;
      const datasetId = merge ? preferences.dataset!.id! : null;
      let newComparisons = 0;
      let labelCount = 0;
      let createdId: number | null = null;
      const ok = await save(`the records of ${name}`, () =>
        db.transaction('rw', db.preferenceDatasets, db.comparisons, db.labels, async () => {
          const now = Date.now();
          const id = datasetId ?? (await db.preferenceDatasets.add({ name, source: `imported from ${name} (${FORMAT_NAMES[report.format!]})`, guidelines: preferences.dataset?.guidelines ?? '', createdAt: now, updatedAt: now }))!;
          ({ newComparisons, labels: labelCount } = await addImportedRecords(id, report.records, report.records.length * 7919 + name.length, now));
          if (datasetId !== null) await db.preferenceDatasets.update(id, { updatedAt: now });
          else createdId = id;
        }),
      );
      if (!ok) return;
      const where = merge ? `merged into "${preferences.dataset!.name}"` : `as the new dataset "${name}"`;
      this.info = `Imported ${report.records.length} record${report.records.length === 1 ? '' : 's'} from ${name} (${FORMAT_NAMES[report.format!]}) ${where}: ${newComparisons} new comparison${newComparisons === 1 ? '' : 's'}, ${labelCount} label${labelCount === 1 ? '' : 's'}.`;
      if (merge) await preferences.reloadLabels();
      else if (createdId !== null) {
        await preferences.refresh();
        await preferences.open(createdId);
      }
    } finally {
      this.busy = false;
    }
  }
}

export const preferenceFiles = new PreferenceFilesState();
