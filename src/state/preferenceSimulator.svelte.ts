/**
 * The simulated annotator card: its gold spec, noise and bias, and "label N records" in one click.
 * Its labels carry its name ("simulated (happy ending)") and simulated: true, so they are never
 * mistaken for a person's.
 */
import { HAPPY_ENDING_SPEC } from '../core/preferences/goldScore.ts';
import { DEFAULT_ANNOTATOR, simulatedAnnotatorName, simulateJudgement, validateAnnotatorSpec, type AnnotatorSpec } from '../core/preferences/simulatedAnnotator.ts';
import { Rng } from '../core/rng.ts';
import { db, type LabelRecord } from '../lib/db.ts';
import { preferences } from './preferences.svelte.ts';
import { save } from './storage.ts';

class SimulatorState {
  spec = $state<AnnotatorSpec>({ ...DEFAULT_ANNOTATOR, gold: { ...HAPPY_ENDING_SPEC, weights: { ...HAPPY_ENDING_SPEC.weights } } });
  count = $state(50);
  busy = $state(false);
  message = $state<string | null>(null);

  name = $derived(simulatedAnnotatorName(this.spec));
  errors = $derived.by(() => {
    const e: Record<string, string> = {};
    for (const { field, message } of validateAnnotatorSpec(this.spec)) e[field] = message;
    if (!(Number.isInteger(this.count) && this.count >= 1)) e.count = 'must be a whole number of at least 1';
    return e;
  });
  valid = $derived(Object.keys(this.errors).length === 0);
  /** Comparisons of the open dataset this annotator has not labeled yet. */
  remaining = $derived(preferences.comparisons.filter((c) => !preferences.labels.some((l) => l.comparisonId === c.id && l.annotator === this.name)).length);

  setNoiseKind(kind: 'bradley_terry' | 'flip'): void {
    this.spec.noise = kind === 'flip' ? { kind, rate: 0.1 } : { kind, temperature: 0 };
  }

  /** Labels the next `count` comparisons this annotator has not labeled, in one write. */
  async labelNext(): Promise<void> {
    if (this.busy || !this.valid || !preferences.dataset) return;
    this.busy = true;
    this.message = null;
    try {
      const spec = $state.snapshot(this.spec) as AnnotatorSpec;
      const name = this.name;
      const done = new Set(preferences.labels.filter((l) => l.annotator === name).map((l) => l.comparisonId));
      const unlabeled = preferences.comparisons.filter((c) => !done.has(c.id!)).slice(0, this.count);
      // One stream per comparison id: the same spec labels a comparison the same way whenever it runs.
      const now = Date.now();
      const labels: LabelRecord[] = unlabeled.map((c) => {
        const judged = simulateJudgement(c.prompt, c.completions, spec, new Rng((spec.seed * 1_000_003 + c.id!) >>> 0));
        return { datasetId: c.datasetId, comparisonId: c.id!, annotator: name, simulated: true, ranking: judged.ranking, createdAt: now, ...(judged.scores ? { scores: judged.scores } : {}) };
      });
      if (labels.length === 0) {
        this.message = `${name} has already labeled every comparison of this dataset.`;
        return;
      }
      if (await save('the simulated labels', () => db.labels.bulkAdd(labels))) {
        this.message = `${name} labeled ${labels.length} comparison${labels.length === 1 ? '' : 's'}.`;
        await preferences.reloadLabels();
      }
    } finally {
      this.busy = false;
    }
  }
}

export const simulator = new SimulatorState();
