/**
 * A class without a server. A student exports "my labels": one labels file with their name on every
 * row (classLabels.ts). The teacher imports many such files at once into one pool dataset: each file
 * is taken whole or refused whole (with its name and line), labels seen before are not counted again,
 * and the pool opens with its per-annotator counts and agreement. The student's name is the open
 * dataset's own (preferences.annotator, kept on the dataset record), so students sharing a computer,
 * each with their own dataset, export under their own names.
 */
import { labelKey, LABELS_FORMAT_VERSION, labelsFileName, mergeClassFiles, toClassLabelsJsonl, type ClassPool } from '../core/preferences/classLabels.ts';
import { decodePreferenceFile, sizeProblem } from '../core/preferences/decodeFile.ts';
import { DEFAULT_GUIDELINES } from '../core/preferences/markdown.ts';
import { db } from '../lib/db.ts';
import { downloadFile } from '../lib/download.ts';
import { pairsOf } from './preferenceData.ts';
import { preferences } from './preferences.svelte.ts';
import { addImportedRecords } from './preferenceStore.ts';
import { save } from './storage.ts';

export const DEFAULT_POOL_NAME = 'Class pool';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

class PreferenceClassState {
  /** Whether to show the name field: "Export my labels" was pressed without a name (kept until an export succeeds). */
  askName = $state(false);
  exportMessage = $state<string | null>(null);
  poolName = $state(DEFAULT_POOL_NAME);
  busy = $state(false);
  /** One line per file taken, and a total. */
  imported = $state.raw<string[]>([]);
  /** One message per file refused. */
  refused = $state.raw<string[]>([]);

  /** Downloads the current annotator's labels of the open dataset as a labels file. */
  exportMine(): void {
    const name = preferences.annotator.trim();
    this.exportMessage = null;
    if (!name) {
      this.askName = true;
      this.exportMessage = 'Type your name first: it goes on every row, so the teacher can tell the labels apart.';
      return;
    }
    const pairs = pairsOf(preferences.comparisons, preferences.labels.filter((l) => l.annotator === name));
    if (pairs.length === 0) {
      this.exportMessage = `No labels by ${name} in this dataset yet (ties and discards give no pair).`;
      return;
    }
    downloadFile(labelsFileName(name), toClassLabelsJsonl(pairs, name), 'application/jsonl');
    this.askName = false;
    this.exportMessage = `Saved ${plural(pairs.length, 'pair')} by ${name} (labels file version ${LABELS_FORMAT_VERSION}). Send the file to your teacher.`;
  }

  /** Imports students' files into the pool dataset (made if there is none of that name). */
  async importFiles(files: readonly File[]): Promise<void> {
    this.imported = [];
    this.refused = [];
    const poolName = this.poolName.trim() || DEFAULT_POOL_NAME;
    this.busy = true;
    try {
      const texts: { name: string; text: string }[] = [];
      const refused: string[] = [];
      for (const file of files) {
        const tooBig = sizeProblem(file.name, file.size);
        const decoded = tooBig ? { error: tooBig } : decodePreferenceFile(file.name, new Uint8Array(await file.arrayBuffer()));
        if ('error' in decoded) refused.push(`${decoded.error} Nothing was imported from ${file.name}.`);
        else texts.push({ name: file.name, text: decoded.text });
      }
      const pool = (await db.preferenceDatasets.toArray()).find((d) => d.name === poolName);
      const merged = mergeClassFiles(texts, pool ? await this.#knownLabels(pool.id!) : []);
      this.refused = [...refused, ...merged.refused.map((r) => r.error)];
      if (merged.accepted.length === 0) return;
      const id = await this.#store(pool?.id ?? null, poolName, merged);
      if (id === null) return;
      this.imported = this.#summary(poolName, merged);
      await preferences.refresh();
      await preferences.open(id);
    } finally {
      this.busy = false;
    }
  }

  /** Keys of the labels already in the pool, so importing the same file twice adds nothing. */
  async #knownLabels(datasetId: number): Promise<string[]> {
    const [comparisons, labels] = await Promise.all([db.comparisons.where('datasetId').equals(datasetId).toArray(), db.labels.where('datasetId').equals(datasetId).toArray()]);
    const byId = new Map(comparisons.map((c) => [c.id!, c]));
    return labels.flatMap((l) => {
      const c = byId.get(l.comparisonId);
      return c ? [labelKey(l.annotator, c.prompt, c.completions)] : [];
    });
  }

  /** Writes all accepted files' labels in one transaction; returns the pool's id, or null when saving failed. */
  async #store(poolId: number | null, poolName: string, merged: ClassPool): Promise<number | null> {
    let id = poolId;
    const ok = await save(`the class pool "${poolName}"`, () =>
      db.transaction('rw', db.preferenceDatasets, db.comparisons, db.labels, async () => {
        const now = Date.now();
        id ??= (await db.preferenceDatasets.add({ name: poolName, source: "students' label files", guidelines: DEFAULT_GUIDELINES, createdAt: now, updatedAt: now }))!;
        await addImportedRecords(id, merged.records, merged.records.length * 7919 + poolName.length, now);
        await db.preferenceDatasets.update(id, { updatedAt: now });
      }),
    );
    return ok ? id : null;
  }

  #summary(poolName: string, merged: ClassPool): string[] {
    const lines = merged.accepted.map((f) => {
      const migrated = f.version < LABELS_FORMAT_VERSION ? ` (version ${f.version}: read as plain TRL JSONL)` : '';
      const dup = f.duplicates > 0 ? `, ${plural(f.duplicates, 'duplicate')} skipped` : '';
      return `${f.name}${migrated}: ${plural(f.labels, 'new label')}${dup}.`;
    });
    const total = merged.accepted.reduce((s, f) => s + f.labels, 0);
    return [`Imported ${plural(merged.accepted.length, 'file')} into "${poolName}": ${plural(total, 'new label')}.`, ...lines];
  }
}

export const preferenceClass = new PreferenceClassState();
