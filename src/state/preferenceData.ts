/**
 * Preference datasets as later stages read them: the list of stored datasets, and a dataset's
 * labels expanded into TRL preference pairs (ties and discards give none).
 */
import { toPairs } from '../core/preferences/ranking.ts';
import type { PreferencePair } from '../core/preferences/types.ts';
import { db, type ComparisonRecord, type LabelRecord, type PreferenceDatasetRecord } from '../lib/db.ts';

export interface PreferenceDatasetSummary {
  id: number;
  name: string;
  source: string;
  createdAt: number;
  comparisons: number;
  labels: number;
  /** Annotator names, simulated ones included (their names say "simulated"). */
  annotators: string[];
}

/** Every stored preference dataset, newest first, with its counts. */
export async function listPreferenceDatasets(): Promise<PreferenceDatasetSummary[]> {
  const datasets: PreferenceDatasetRecord[] = await db.preferenceDatasets.orderBy('createdAt').reverse().toArray();
  return Promise.all(
    datasets.map(async (d) => {
      const labels = await db.labels.where('datasetId').equals(d.id!).toArray();
      return {
        id: d.id!,
        name: d.name,
        source: d.source,
        createdAt: d.createdAt,
        comparisons: await db.comparisons.where('datasetId').equals(d.id!).count(),
        labels: labels.length,
        annotators: [...new Set(labels.map((l) => l.annotator))].sort(),
      };
    }),
  );
}

/** The pairs of given labels over their comparisons (labels of unknown comparisons are skipped). */
export function pairsOf(comparisons: readonly ComparisonRecord[], labels: readonly LabelRecord[]): PreferencePair[] {
  const byId = new Map(comparisons.map((c) => [c.id!, c]));
  return labels.flatMap((label) => {
    const c = byId.get(label.comparisonId);
    if (!c) return [];
    return toPairs({
      prompt: c.prompt,
      completions: c.completions,
      ranking: label.ranking,
      annotator: label.annotator,
      scores: label.scores,
      margin: label.margin,
      attributes: c.attributes,
    });
  });
}

/** A dataset's labels (optionally one annotator's) as TRL preference pairs. */
export async function loadPairs(datasetId: number, opts: { annotator?: string } = {}): Promise<PreferencePair[]> {
  const [comparisons, labels] = await Promise.all([
    db.comparisons.where('datasetId').equals(datasetId).toArray(),
    opts.annotator === undefined
      ? db.labels.where('datasetId').equals(datasetId).toArray()
      : db.labels.where('[datasetId+annotator]').equals([datasetId, opts.annotator]).toArray(),
  ]);
  return pairsOf(comparisons, labels.sort((a, b) => a.comparisonId - b.comparisonId || a.createdAt - b.createdAt));
}
