/**
 * The live loop on screen: label a pair the current policy just wrote, and watch the policy move.
 * Each label is written to a "Live labels" preference dataset at once (so nothing labeled is lost,
 * and the labels can train a reward model or an offline DPO run later), then the worker runs a few
 * DPO steps (core/dpo/liveDpo.ts) and answers with fresh samples of the watched prompts and the
 * next pair. The time from the click to the new samples on screen is measured and shown.
 */
import { tick } from 'svelte';
import { instructionPrompts } from '../core/data/instructions.ts';
import { defaultLiveDpoConfig, validateLiveDpoConfig, type LiveDpoConfig, type TokenRewards } from '../core/dpo/liveDpo.ts';
import type { LiveWatchSample } from '../core/engine/liveDpoEngine.ts';
import { goldScore } from '../core/preferences/goldScore.ts';
import { simulatedAnnotatorName, simulateJudgement } from '../core/preferences/simulatedAnnotator.ts';
import { Rng } from '../core/rng.ts';
import type { MetricRow } from '../core/train/pretrainConfig.ts';
import type { FieldError } from '../core/train/validate.ts';
import { db } from '../lib/db.ts';
import { engine } from '../lib/engine.ts';
import { backend } from './backend.svelte.ts';
import { history } from './history.svelte.ts';
import { defaultStartKey, loadModelSource, type ModelSourceKey } from './modelSources.ts';
import { preferences } from './preferences.svelte.ts';
import { simulator } from './preferenceSimulator.svelte.ts';
import { save } from './storage.ts';

/** The prompts whose samples are redrawn after every label ("watch the policy move"). */
const WATCH_PROMPTS = instructionPrompts(3, 7, 'topic').map((p) => p.prompt);
/** The prompts pairs are sampled for, in turn. */
const LABEL_PROMPTS = instructionPrompts(64, 11, 'topic').map((p) => p.prompt);

export type LivePhase = 'idle' | 'starting' | 'ready' | 'learning' | 'failed';

/** A watched prompt: the sample before the last label and the one after, each with its gold score. */
export interface WatchedPrompt {
  prompt: string;
  before: string | null;
  beforeGold: number | null;
  after: string;
  afterGold: number;
  /** Sum of log(pi / pi_ref) over the new sample's tokens. */
  logratio: number;
}

const median = (xs: readonly number[]) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

class LiveDpoState {
  config = $state<LiveDpoConfig>(defaultLiveDpoConfig());
  source = $state<ModelSourceKey | ''>('');
  phase = $state<LivePhase>('idle');
  message = $state<string | null>(null);
  /** What the session started from, in words. */
  startedFrom = $state('');
  /** The pair to label: two completions of one prompt from the current policy. */
  pair = $state.raw<{ prompt: string; completions: string[] } | null>(null);
  watched = $state.raw<WatchedPrompt[]>([]);
  /** One row per label (step = labels so far): TRL's names, plus the watched samples' gold score. */
  rows = $state.raw<MetricRow[]>([]);
  /** The last labeled pair after its update, token by token: beta * log(pi / pi_ref). */
  tokens = $state.raw<{ prompt: string; chosen: TokenRewards; rejected: TokenRewards } | null>(null);
  /** Seconds from each label's click to its new samples on screen. */
  latencies = $state.raw<number[]>([]);
  /** The preference dataset this session's labels go to (created at the first label). */
  datasetId = $state<number | null>(null);
  savedRunId = $state<number | null>(null);

  errors = $derived.by((): FieldError[] => {
    const errors = validateLiveDpoConfig(this.config);
    if (!this.source) errors.push({ field: 'source', message: 'choose the checkpoint the policy starts from' });
    return errors;
  });
  valid = $derived(this.errors.length === 0);
  active = $derived(this.phase === 'ready' || this.phase === 'learning');
  labels = $derived(this.rows.length);
  medianLatency = $derived(median(this.latencies));
  #promptIndex = 0;
  #simulating = false;

  error(field: string): string | undefined {
    return this.errors.find((e) => e.field === field)?.message;
  }

  set<K extends keyof LiveDpoConfig>(field: K, value: LiveDpoConfig[K]): void {
    this.config = { ...this.config, [field]: value };
  }

  /** Picks a starting checkpoint if none is chosen: the newest SFT run with a checkpoint, else the base. */
  refresh(): void {
    if (!this.source) {
      this.source = defaultStartKey(history.runs);
    }
  }

  /** Opens a session on the worker and draws the first samples and the first pair. */
  async start(): Promise<void> {
    if (this.active || this.phase === 'starting' || !this.valid || !this.source) return;
    this.phase = 'starting';
    this.message = null;
    try {
      await backend.ensure();
      const from = await loadModelSource(this.source);
      this.startedFrom = from.label;
      await engine.liveStart({ from: from.files, config: $state.snapshot(this.config) as LiveDpoConfig });
      const [watch, next] = await Promise.all([engine.liveSample(WATCH_PROMPTS, 1), engine.liveSample([this.#nextPrompt()], 2)]);
      this.watched = watch.map(([s]) => this.#watchedFrom(s, null));
      this.pair = { prompt: next[0][0].prompt, completions: next[0].map((s) => s.completion) };
      this.rows = [];
      this.tokens = null;
      this.latencies = [];
      this.datasetId = null;
      this.savedRunId = null;
      this.phase = 'ready';
    } catch (e) {
      this.phase = 'idle';
      this.message = (e as Error).message.replace(/^Error: /, '');
    }
  }

  /** The person's label: completion `index` of the shown pair is the better one. */
  async choose(index: number): Promise<void> {
    const annotator = preferences.annotator.trim() || 'you';
    await this.#learn(index, annotator, false);
  }

  /** Neither is better: a new pair of another prompt, nothing learned. */
  async skip(): Promise<void> {
    if (this.phase !== 'ready') return;
    this.phase = 'learning';
    try {
      const [next] = await engine.liveSample([this.#nextPrompt()], 2);
      this.pair = { prompt: next[0].prompt, completions: next.map((s) => s.completion) };
    } finally {
      this.phase = 'ready';
    }
  }

  /** The simulated annotator (its gold preference from the Preferences tab) labels `n` pairs in a row. */
  async simulate(n: number): Promise<void> {
    if (this.#simulating) return;
    this.#simulating = true;
    const spec = $state.snapshot(simulator.spec);
    const rng = new Rng((spec.seed * 7919 + this.labels) >>> 0);
    try {
      for (let i = 0; i < n && this.phase === 'ready' && this.pair; i++) {
        const judged = simulateJudgement(this.pair.prompt, this.pair.completions, spec, rng);
        const best = judged.ranking[0]?.length === 1 ? judged.ranking[0][0] : null;
        if (best === null) await this.skip();
        else await this.#learn(best, simulatedAnnotatorName(spec), true);
      }
    } finally {
      this.#simulating = false;
    }
  }

  async stop(): Promise<void> {
    await engine.liveStop();
    this.phase = 'idle';
    this.pair = null;
  }

  /** Stores the current policy as a run of the Direct preference stage (its curves and checkpoint). */
  async savePolicy(): Promise<void> {
    if (!this.active || this.labels === 0) return;
    const step = this.labels;
    const files = await engine.liveCheckpoint({ stage: 'dpo', step, run_config: { ...$state.snapshot(this.config), live: true, started_from: this.startedFrom } });
    const now = Date.now();
    const rows = this.rows;
    let id: number | null = null;
    const ok = await save('the live policy', () =>
      db.transaction('rw', [db.runs, db.metrics, db.checkpoints], async () => {
        id = (await db.runs.add({
          stage: 'dpo',
          name: `Live DPO from ${this.startedFrom} · ${step} labels`,
          source: 'train',
          createdAt: now,
          updatedAt: now,
          status: 'finished',
          step,
          maxSteps: step,
          stageConfig: { ...$state.snapshot(this.config), method: 'dpo', live: true, source: this.source },
          startedFrom: this.startedFrom,
          checkpointStep: step,
        })) as number;
        await db.metrics.bulkAdd(rows.map((r) => ({ ...r, runId: id! })));
        await db.checkpoints.put({ runId: id, step, model: files.model, config: files.config, tokenizer: files.tokenizer });
      }),
    );
    if (ok) {
      this.savedRunId = id;
      await history.refresh();
    }
  }

  async #learn(index: number, annotator: string, simulated: boolean): Promise<void> {
    if (this.phase !== 'ready' || !this.pair) return;
    const { prompt, completions } = this.pair;
    const chosen = completions[index];
    const rejected = completions[1 - index];
    if (chosen === rejected) {
      this.message = 'Both answers are the same, so there is nothing to prefer: skipped to a new pair.';
      await this.skip();
      return;
    }
    const t0 = performance.now();
    this.phase = 'learning';
    this.message = null;
    await this.#store(prompt, completions, index, annotator, simulated);
    try {
      const step = await engine.liveLearn({ prompt, chosen, rejected }, WATCH_PROMPTS, this.#nextPrompt());
      const previous = new Map(this.watched.map((w) => [w.prompt, w]));
      this.watched = step.watch.map((s) => this.#watchedFrom(s, previous.get(s.prompt) ?? null));
      this.tokens = { prompt, chosen: step.chosen, rejected: step.rejected };
      this.pair = { prompt: step.next.prompt, completions: step.next.completions };
      const u = step.update;
      this.rows = [
        ...this.rows,
        {
          step: u.labels,
          loss: u.loss,
          'rewards/chosen': u['rewards/chosen'],
          'rewards/rejected': u['rewards/rejected'],
          'rewards/margins': u['rewards/margins'],
          'rewards/accuracies': u['rewards/accuracies'],
          // TRL's OnlineDPOTrainer: the mean over fresh samples of sum(log pi - log pi_ref).
          'objective/kl': this.watched.reduce((a, w) => a + w.logratio, 0) / Math.max(1, this.watched.length),
          'gold/score_mean': this.watched.reduce((a, w) => a + w.afterGold, 0) / Math.max(1, this.watched.length),
          worker_seconds: step.seconds,
        },
      ];
      this.phase = 'ready';
      await tick();
      this.latencies = [...this.latencies, (performance.now() - t0) / 1000];
    } catch (e) {
      // A NaN loss leaves the policy broken: the session ends; the labels are already stored.
      await engine.liveStop().catch(() => undefined);
      this.phase = 'failed';
      this.pair = null;
      this.message = `${(e as Error).message.replace(/^Error: /, '')}. The live loop stopped; your ${this.labels + 1} labels are saved in the Preferences tab.`;
    }
  }

  /** Writes the label as a two-way comparison of this session's "Live labels" dataset. */
  async #store(prompt: string, completions: string[], index: number, annotator: string, simulated: boolean): Promise<void> {
    const now = Date.now();
    await save('the label', () =>
      db.transaction('rw', db.preferenceDatasets, db.comparisons, db.labels, async () => {
        if (this.datasetId === null) {
          this.datasetId = (await db.preferenceDatasets.add({
            name: `Live labels · ${new Date(now).toLocaleString()}`,
            createdAt: now,
            updatedAt: now,
            guidelines: 'Pick the answer you prefer. Each label trains the policy at once (the live loop of the Direct preference tab).',
            source: `live loop on ${this.startedFrom}`,
            // The person at the keyboard, whose name the human labels carry: the dataset's own name, as on the Preferences tab.
            annotator: preferences.annotator.trim() || 'you',
          })) as number;
        }
        const datasetId = this.datasetId;
        const comparisonId = (await db.comparisons.add({ datasetId, prompt, completions: [...completions], order: [0, 1] })) as number;
        await db.labels.add({ datasetId, comparisonId, annotator, simulated, ranking: [[index], [1 - index]], createdAt: now });
        await db.preferenceDatasets.update(datasetId, { updatedAt: now });
      }),
    );
  }

  #watchedFrom(s: LiveWatchSample, previous: WatchedPrompt | null): WatchedPrompt {
    const gold = simulator.spec.gold;
    return {
      prompt: s.prompt,
      before: previous?.after ?? null,
      beforeGold: previous?.afterGold ?? null,
      after: s.completion,
      afterGold: goldScore(s.prompt, s.completion, gold),
      logratio: s.logratio,
    };
  }

  #nextPrompt(): string {
    return LABEL_PROMPTS[this.#promptIndex++ % LABEL_PROMPTS.length];
  }
}

export const liveDpo = new LiveDpoState();
