/**
 * The run on screen: a live pretraining run (started, paused, stopped here) or a stored one
 * reopened from the history. Its metrics and samples are replaced, never mutated, so charts
 * redraw from plain arrays.
 */
import * as Comlink from 'comlink';
import type { PretrainRequest, RunOutcome, TrainEvent } from '../core/engine/engineApi.ts';
import { SAMPLE_PROMPTS } from '../core/data/storyCorpus.ts';
import type { CheckpointFiles, MetricRow, PretrainConfig, Sample } from '../core/train/pretrainConfig.ts';
import { fetchBaseCheckpoint } from '../lib/checkpointFiles.ts';
import { db, type RunRecord, type RunStatus } from '../lib/db.ts';
import { engine } from '../lib/engine.ts';
import { backend } from './backend.svelte.ts';
import { history } from './history.svelte.ts';
import { pretrainForm } from './pretrainForm.svelte.ts';
import { RunRecorder } from './runRecorder.ts';
import { sampling } from './sampling.svelte.ts';
import { save } from './storage.ts';

export type RunPhase = 'idle' | 'starting' | 'running' | 'paused' | 'stopping' | Exclude<RunStatus, 'running' | 'paused'>;

const LIVE: RunPhase[] = ['starting', 'running', 'paused', 'stopping'];

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Merges rows that share a step (train and eval metrics may arrive apart); sorted by step. */
function mergeRows(current: readonly MetricRow[], incoming: readonly MetricRow[]): { all: MetricRow[]; changed: MetricRow[] } {
  const byStep = new Map(current.map((row) => [row.step, row]));
  const changed = new Map<number, MetricRow>();
  for (const row of incoming) {
    const merged = { ...byStep.get(row.step), ...row };
    byStep.set(row.step, merged);
    changed.set(row.step, merged);
  }
  return { all: [...byStep.values()].sort((a, b) => a.step - b.step), changed: [...changed.values()] };
}

class RunState {
  id = $state<number | null>(null);
  record = $state.raw<RunRecord | null>(null);
  phase = $state<RunPhase>('idle');
  step = $state(0);
  /** The step this run started at (0, or the checkpoint's step when continuing). */
  startStep = $state(0);
  maxSteps = $state(0);
  nParams = $state<number | null>(null);
  metrics = $state.raw<MetricRow[]>([]);
  samples = $state.raw<Sample[]>([]);
  samplesStep = $state<number | null>(null);
  checkpointStep = $state<number | null>(null);
  /** Why the run failed, or why it could not start. */
  message = $state<string | null>(null);
  sampling = $state(false);

  live = $derived(LIVE.includes(this.phase));
  latest = $derived.by(() => {
    const last = (key: keyof MetricRow) => this.metrics.findLast((row) => typeof row[key] === 'number')?.[key];
    return { loss: last('loss'), evalLoss: last('eval/loss'), perplexity: last('perplexity'), tokensPerSecond: last('tokens_per_second') };
  });

  #recorder: RunRecorder | null = null;
  /** Whether the live run's 'started' event came (the engine accepted the config). */
  #started = false;

  async start(): Promise<void> {
    if (this.live || !pretrainForm.valid) return;
    const config = pretrainForm.snapshot();
    const corpusText = config.corpus.kind === 'upload' ? pretrainForm.upload?.text : undefined;
    this.#show(null);
    this.phase = 'starting';
    this.maxSteps = config.max_steps;
    let from: { files: CheckpointFiles; step?: number; label: string } | undefined;
    try {
      from = await this.#startingCheckpoint();
      await backend.ensure();
    } catch (error) {
      this.phase = 'idle';
      this.message = messageOf(error);
      return;
    }
    this.step = this.startStep = from?.step ?? 0;
    const now = Date.now();
    const record: RunRecord = {
      name: `${config.model_preset} · ${config.tokenizer.kind === 'bpe' ? `BPE ${config.tokenizer.vocabSize}` : 'characters'} · ${config.corpus.kind === 'stories' ? 'stories' : config.corpus.name}`,
      source: 'train', createdAt: now, updatedAt: now, status: 'running', step: this.step, maxSteps: config.max_steps,
      backend: backend.active ?? undefined, config, startedFrom: from?.label ?? 'scratch',
    };
    let id: number | null = null;
    await save('this run (it trains, but will not be in the history)', async () => (id = (await db.runs.add(record)) ?? null));
    this.id = id;
    this.record = id === null ? null : { ...record, id };
    this.#recorder = new RunRecorder(this.id);
    void history.refresh();

    const request: PretrainRequest = {
      config, corpusText, from: from?.files, fromStep: from?.step, sampling: sampling.snapshot(), prompts: [...SAMPLE_PROMPTS],
    };
    const onEvents = Comlink.proxy((events: TrainEvent[]) => this.#onEvents(events));
    sampling.live = true;
    this.phase = 'running';
    this.#started = false;
    let outcome: RunOutcome;
    try {
      outcome = await engine.pretrain(from ? Comlink.transfer(request, [from.files.model]) : request, onEvents);
    } catch (error) {
      sampling.live = false;
      // Refused before the first step: nothing was trained, so keep no run; say what to fix.
      if (!this.#started) return this.#refused(config, messageOf(error));
      outcome = { status: 'failed', step: this.step, message: messageOf(error) };
    }
    sampling.live = false;
    await this.#finish(outcome);
  }

  async #refused(config: PretrainConfig, message: string): Promise<void> {
    const id = this.id;
    this.#recorder = null;
    this.#show(null);
    if (!pretrainForm.engineRefused(config, message)) this.message = message;
    if (id !== null) await db.runs.delete(id).catch(() => undefined);
    await history.refresh();
  }

  pause(): void {
    if (this.phase !== 'running') return;
    this.phase = 'paused';
    void engine.pause();
  }

  resume(): void {
    if (this.phase !== 'paused') return;
    this.phase = 'running';
    void engine.resume();
  }

  stop(): void {
    if (this.phase !== 'running' && this.phase !== 'paused') return;
    this.phase = 'stopping';
    void engine.stop();
  }

  /** Shows a stored run: its charts, latest samples and checkpoint. */
  async open(id: number): Promise<void> {
    if (this.live) return;
    const record = await db.runs.get(id);
    if (!record) return;
    const [metrics, samples, checkpoint] = await Promise.all([
      db.metrics.where('runId').equals(id).sortBy('step'),
      db.samples.where('runId').equals(id).sortBy('step'),
      db.checkpoints.get(id),
    ]);
    this.#show(record);
    this.metrics = metrics.map(({ runId: _runId, ...row }) => row);
    const last = samples.at(-1);
    this.samples = last?.samples ?? [];
    this.samplesStep = last?.step ?? null;
    this.checkpointStep = checkpoint?.step ?? null;
  }

  /** The worker died: a live run will never report back, so end it here. */
  async workerLost(message: string): Promise<void> {
    backend.lost(message);
    if (this.phase === 'starting' && !this.#recorder) {
      this.phase = 'idle';
      this.message = message;
    } else if (this.live) {
      await this.#finish({ status: 'failed', step: this.step, message, checkpointStep: this.checkpointStep ?? undefined });
    }
  }

  /** Clears the screen if the run shown was deleted. */
  forget(id: number): void {
    if (this.id === id && !this.live) this.#show(null);
  }

  /** Samples the fixed prompts now: from the paused run's model, or from the shown run's checkpoint. */
  async sampleNow(): Promise<void> {
    if (this.sampling || this.phase === 'running' || this.phase === 'starting' || this.phase === 'stopping') return;
    this.sampling = true;
    this.message = null;
    try {
      const prompts = [...SAMPLE_PROMPTS];
      let samples: Sample[];
      if (this.phase === 'paused') {
        samples = await engine.sample(prompts, sampling.snapshot());
      } else {
        const checkpoint = this.id === null ? undefined : await db.checkpoints.get(this.id);
        if (!checkpoint) throw new Error('This run has no saved checkpoint to sample from.');
        await backend.ensure();
        const files: CheckpointFiles = { model: checkpoint.model, config: checkpoint.config, tokenizer: checkpoint.tokenizer };
        samples = await engine.sample(prompts, sampling.snapshot(), Comlink.transfer(files, [files.model]));
      }
      this.samples = samples;
      this.samplesStep = this.phase === 'paused' ? this.step : this.checkpointStep;
    } catch (error) {
      this.message = `Sampling failed: ${messageOf(error)}`;
    } finally {
      this.sampling = false;
    }
  }

  #onEvents(events: TrainEvent[]): void {
    const recorder = this.#recorder;
    for (const event of events) {
      switch (event.type) {
        case 'started':
          this.#started = true;
          backend.observed(event.backend);
          this.nParams = event.nParams;
          void recorder?.update({ backend: event.backend, nParams: event.nParams, vocabSize: event.vocabSize });
          break;
        case 'metrics': {
          if (event.rows.length === 0) break;
          const { all, changed } = mergeRows(this.metrics, event.rows);
          this.metrics = all;
          this.step = Math.max(this.step, all.at(-1)!.step);
          recorder?.metrics(changed);
          break;
        }
        case 'samples':
          this.samples = event.samples;
          this.samplesStep = event.step;
          recorder?.samples(event.step, event.samples);
          break;
        case 'checkpoint':
          this.checkpointStep = event.step;
          recorder?.checkpoint(event.step, event.files);
          break;
        case 'status':
          if (this.phase !== 'stopping') this.phase = event.state;
          this.step = Math.max(this.step, event.step);
          void recorder?.update({ status: event.state, step: this.step });
          break;
      }
    }
  }

  async #finish(outcome: RunOutcome): Promise<void> {
    this.step = Math.max(this.step, outcome.step);
    this.phase = outcome.status;
    this.message = outcome.status === 'failed' ? (outcome.message ?? 'The run failed.') : null;
    if (outcome.checkpointStep !== undefined) this.checkpointStep = outcome.checkpointStep;
    await this.#recorder?.finish({
      status: outcome.status,
      step: this.step,
      message: this.message ?? undefined,
      ...(this.checkpointStep !== null ? { checkpointStep: this.checkpointStep } : {}),
    });
    this.#recorder = null;
    if (this.id !== null) this.record = (await db.runs.get(this.id)) ?? this.record;
    await history.refresh();
  }

  async #startingCheckpoint(): Promise<{ files: CheckpointFiles; step?: number; label: string } | undefined> {
    if (pretrainForm.startFrom === 'base') {
      const base = await fetchBaseCheckpoint();
      return { files: base.files, step: base.step, label: 'the base checkpoint' };
    }
    if (pretrainForm.startFrom === 'run' && pretrainForm.startRunId !== null) {
      const id = pretrainForm.startRunId;
      const checkpoint = await db.checkpoints.get(id);
      if (!checkpoint) throw new Error(`Run #${id} has no saved checkpoint to continue from.`);
      return { files: { model: checkpoint.model, config: checkpoint.config, tokenizer: checkpoint.tokenizer }, step: checkpoint.step, label: `run #${id}` };
    }
    return undefined;
  }

  /** Puts a stored run (or nothing) on screen. */
  #show(record: RunRecord | null): void {
    this.id = record?.id ?? null;
    this.record = record;
    this.phase = record ? (record.status === 'running' || record.status === 'paused' ? 'interrupted' : record.status) : 'idle';
    this.step = record?.step ?? 0;
    this.startStep = 0;
    this.maxSteps = record?.maxSteps ?? 0;
    this.nParams = record?.nParams ?? null;
    this.metrics = [];
    this.samples = [];
    this.samplesStep = null;
    this.checkpointStep = record?.checkpointStep ?? null;
    this.message = record?.message ?? null;
  }
}

export const run = new RunState();
