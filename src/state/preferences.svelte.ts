/**
 * The preference dataset on screen and its labeling: the stored datasets, the open one's
 * comparisons and labels, the annotator's name, and labeling with undo. Every label is written
 * to IndexedDB the moment it is made, so a reload mid-labeling loses nothing.
 */
import { agreementReport } from '../core/preferences/agreement.ts';
import { annotatorCounts } from '../core/preferences/classLabels.ts';
import { DEFAULT_GUIDELINES } from '../core/preferences/markdown.ts';
import { abRanking, isValidRanking, rankingFromRanks, type AbChoice, type Ranking } from '../core/preferences/ranking.ts';
import { db, type ComparisonRecord, type LabelRecord, type PreferenceDatasetRecord } from '../lib/db.ts';
import { listPreferenceDatasets, type PreferenceDatasetSummary } from './preferenceData.ts';
import { save } from './storage.ts';

/** One step of the undo history: the label made, and the one it replaced (if any). */
interface UndoStep {
  added: LabelRecord;
  replaced: LabelRecord | null;
}

class PreferencesState {
  datasets = $state.raw<PreferenceDatasetSummary[]>([]);
  dataset = $state.raw<PreferenceDatasetRecord | null>(null);
  comparisons = $state.raw<ComparisonRecord[]>([]);
  /** Every label of the open dataset, all annotators. */
  labels = $state.raw<LabelRecord[]>([]);
  /** The name labels are made under: the open dataset's own (PreferenceDatasetRecord.annotator). */
  annotator = $state('');
  message = $state<string | null>(null);
  #undo = $state.raw<UndoStep[]>([]);

  /** The current annotator's label per comparison id. */
  mine = $derived(new Map(this.labels.filter((l) => l.annotator === this.annotator.trim()).map((l) => [l.comparisonId, l])));
  labeledCount = $derived(this.comparisons.filter((c) => this.mine.has(c.id!)).length);
  /** The first comparison this annotator has not labeled yet, or null when all are. */
  current = $derived(this.comparisons.find((c) => !this.mine.has(c.id!)) ?? null);
  canUndo = $derived(this.#undo.length > 0);
  hasName = $derived(this.annotator.trim() !== '');
  /** Per annotator: labels, ties and discards (the class pool's table). */
  counts = $derived(annotatorCounts(this.labels));
  agreement = $derived.by(() => {
    const k = new Map(this.comparisons.map((c) => [c.id!, c.completions.length]));
    return agreementReport(this.labels.filter((l) => k.has(l.comparisonId)).map((l) => ({ annotator: l.annotator, simulated: l.simulated, comparisonId: l.comparisonId, k: k.get(l.comparisonId)!, ranking: l.ranking })));
  });

  async refresh(): Promise<void> {
    this.datasets = await listPreferenceDatasets();
    if (this.dataset === null && this.datasets.length > 0) await this.open(this.datasets[0].id);
  }

  async open(id: number): Promise<void> {
    const dataset = await db.preferenceDatasets.get(id);
    if (!dataset) return;
    const [comparisons, labels] = await Promise.all([
      db.comparisons.where('datasetId').equals(id).sortBy('id'),
      db.labels.where('datasetId').equals(id).toArray(),
    ]);
    this.dataset = dataset;
    this.annotator = dataset.annotator ?? '';
    this.comparisons = comparisons;
    this.labels = labels;
    this.#undo = [];
    this.message = null;
  }

  /** Re-reads the open dataset's labels (after the simulator or an import wrote some). */
  async reloadLabels(): Promise<void> {
    if (!this.dataset) return;
    const id = this.dataset.id!;
    const [comparisons, labels] = await Promise.all([db.comparisons.where('datasetId').equals(id).sortBy('id'), db.labels.where('datasetId').equals(id).toArray()]);
    this.comparisons = comparisons;
    this.labels = labels;
    this.datasets = await listPreferenceDatasets();
  }

  /** Sets the name and keeps it on the open dataset, so each dataset keeps its own labeler's name. */
  setAnnotator(name: string): void {
    this.annotator = name;
    this.#undo = [];
    const dataset = this.dataset;
    if (!dataset) return;
    this.dataset = { ...dataset, annotator: name };
    void save('the annotator name', () => db.preferenceDatasets.update(dataset.id!, { annotator: name }));
  }

  /** Stores a new dataset with its comparisons and opens it. */
  async createDataset(name: string, source: string, comparisons: Omit<ComparisonRecord, 'id' | 'datasetId'>[], guidelines = DEFAULT_GUIDELINES): Promise<number | null> {
    const now = Date.now();
    let id: number | null = null;
    await save(`the dataset "${name}"`, () =>
      db.transaction('rw', db.preferenceDatasets, db.comparisons, async () => {
        const datasetId = (await db.preferenceDatasets.add({ name, source, guidelines, createdAt: now, updatedAt: now }))!;
        await db.comparisons.bulkAdd(comparisons.map((c) => ({ ...c, datasetId })));
        id = datasetId;
      }),
    );
    if (id !== null) {
      this.datasets = await listPreferenceDatasets();
      await this.open(id);
    }
    return id;
  }

  async remove(id: number): Promise<void> {
    await save('the deletion', () =>
      db.transaction('rw', db.preferenceDatasets, db.comparisons, db.labels, async () => {
        await db.labels.where('datasetId').equals(id).delete();
        await db.comparisons.where('datasetId').equals(id).delete();
        await db.preferenceDatasets.delete(id);
      }),
    );
    if (this.dataset?.id === id) {
      this.dataset = null;
      this.comparisons = [];
      this.labels = [];
      this.#undo = [];
    }
    await this.refresh();
  }

  async saveGuidelines(text: string): Promise<void> {
    const dataset = this.dataset;
    if (!dataset) return;
    const updated = { ...dataset, guidelines: text, updatedAt: Date.now() };
    if (await save('the guidelines', () => db.preferenceDatasets.put(updated))) this.dataset = updated;
  }

  /** A two-way choice for the current comparison, as the labeler saw it (A and B in display order). */
  async choose(choice: AbChoice): Promise<void> {
    const c = this.current;
    if (!c || c.completions.length !== 2) return;
    await this.#record(c, abRanking(choice, c.order));
  }

  /** A ranking of the current comparison's 3-4 completions: ranks[p] for display position p (1 = best). */
  async rank(ranks: number[]): Promise<void> {
    const c = this.current;
    if (!c) return;
    const ranking = rankingFromRanks(ranks, c.order);
    if (!isValidRanking(ranking, c.completions.length)) return;
    await this.#record(c, ranking);
  }

  async discard(): Promise<void> {
    const c = this.current;
    if (c) await this.#record(c, []);
  }

  async #record(c: ComparisonRecord, ranking: Ranking): Promise<void> {
    const annotator = this.annotator.trim();
    if (!annotator) {
      this.message = 'Type your name as the annotator first: labels are kept per annotator.';
      return;
    }
    this.message = null;
    const replaced = this.mine.get(c.id!) ?? null;
    const label: LabelRecord = { datasetId: c.datasetId, comparisonId: c.id!, annotator, simulated: false, ranking, createdAt: Date.now() };
    const ok = await save('this label', () =>
      db.transaction('rw', db.labels, async () => {
        if (replaced?.id !== undefined) await db.labels.delete(replaced.id);
        label.id = await db.labels.add(label);
      }),
    );
    if (!ok) return;
    this.labels = [...this.labels.filter((l) => l !== replaced), label];
    this.#undo = [...this.#undo, { added: label, replaced }];
  }

  /** Takes back the last label made here (restoring the one it replaced). */
  async undo(): Promise<void> {
    const step = this.#undo.at(-1);
    if (!step) return;
    const ok = await save('the undo', () =>
      db.transaction('rw', db.labels, async () => {
        await db.labels.delete(step.added.id!);
        if (step.replaced) await db.labels.put(step.replaced);
      }),
    );
    if (!ok) return;
    this.#undo = this.#undo.slice(0, -1);
    this.labels = [...this.labels.filter((l) => l !== step.added), ...(step.replaced ? [step.replaced] : [])];
  }
}

export const preferences = new PreferencesState();
