/**
 * Writing imported preference records into a stored dataset: a comparison is reused when the same
 * prompt and completions are there already (in any order), and each label replaces that annotator's
 * earlier label of the comparison. Call it inside a transaction over comparisons and labels.
 */
import type { ImportedRecord } from '../core/preferences/importFormats.ts';
import { Rng } from '../core/rng.ts';
import { db, type ComparisonRecord, type LabelRecord } from '../lib/db.ts';

/** Identity of a comparison regardless of completion order: the prompt and its sorted completions. */
function comparisonKey(prompt: string, completions: readonly string[]): string {
  return JSON.stringify([prompt, [...completions].sort()]);
}

/** Adds the records to dataset `datasetId`; returns how many comparisons were new and how many labels were written. */
export async function addImportedRecords(datasetId: number, records: readonly ImportedRecord[], seed: number, now: number): Promise<{ newComparisons: number; labels: number }> {
  const rng = new Rng(seed);
  const existing = new Map<string, ComparisonRecord>();
  for (const c of await db.comparisons.where('datasetId').equals(datasetId).toArray()) existing.set(comparisonKey(c.prompt, c.completions), c);
  let newComparisons = 0;
  let labels = 0;
  for (const record of records) {
    let target = existing.get(comparisonKey(record.prompt, record.completions));
    if (!target) {
      const fresh: ComparisonRecord = { datasetId, prompt: record.prompt, completions: record.completions, order: rng.permutation(record.completions.length) };
      fresh.id = await db.comparisons.add(fresh);
      existing.set(comparisonKey(record.prompt, record.completions), fresh);
      target = fresh;
      newComparisons++;
    }
    labels += await mergeLabels(target, record, now);
  }
  return { newComparisons, labels };
}

/** Adds a record's labels to a comparison, replacing that annotator's earlier label of it. */
async function mergeLabels(target: ComparisonRecord, record: ImportedRecord, now: number): Promise<number> {
  // Imported completion i is target completion map[i].
  const map = record.completions.map((c) => target.completions.indexOf(c));
  for (const label of record.labels) {
    const old = await db.labels.where('[datasetId+annotator]').equals([target.datasetId, label.annotator]).filter((l) => l.comparisonId === target.id).primaryKeys();
    await db.labels.bulkDelete(old);
    const stored: LabelRecord = {
      datasetId: target.datasetId,
      comparisonId: target.id!,
      annotator: label.annotator,
      simulated: /^simulated\b/.test(label.annotator),
      ranking: label.ranking.map((group) => group.map((i) => map[i])),
      createdAt: now,
      ...(label.scores ? { scores: target.completions.map((c) => label.scores![record.completions.indexOf(c)]) } : {}),
      ...(label.margin !== undefined ? { margin: label.margin } : {}),
    };
    await db.labels.add(stored);
  }
  return record.labels.length;
}
