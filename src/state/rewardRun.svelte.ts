/**
 * The reward-model run on screen: the shared training-run state (start / pause / resume / stop,
 * metrics, checkpoints, reopening, the history's open and delete) plus what the scoring view needs: the latest held-out report
 * (histograms, most-wrong pairs, stored with the run) and the latest checkpoint to score with.
 */
import * as Comlink from 'comlink';
import type { TrainEvent } from '../core/engine/engineApi.ts';
import type { GoldSpec } from '../core/preferences/goldScore.ts';
import type { PreferencePair } from '../core/preferences/types.ts';
import { defaultRewardConfig, totalRewardSteps, type RewardConfig } from '../core/reward/rewardConfig.ts';
import { splitIndices } from '../core/reward/rewardData.ts';
import type { RewardEvalReport } from '../core/reward/rewardEval.ts';
import type { CheckpointFiles } from '../core/train/pretrainConfig.ts';
import { db } from '../lib/db.ts';
import { engine } from '../lib/engine.ts';
import { loadModelSource, type ModelSourceKey } from './modelSources.ts';
import { ALL_ANNOTATORS, rewardForm } from './rewardForm.svelte.ts';
import { rewardScoring } from './rewardScoring.svelte.ts';
import { save } from './storage.ts';
import { TrainingRunState } from './trainingRun.svelte.ts';

class RewardRunState extends TrainingRunState {
  report = $state.raw<RewardEvalReport | null>(null);
  /** The checkpoint the scoring box uses: the live run's latest, or the shown run's stored one. */
  checkpoint = $state.raw<CheckpointFiles | null>(null);
  checkpointLabel = $derived(this.record ? `run #${this.record.id}${this.checkpointStep !== null ? ` at step ${this.checkpointStep}` : ''}` : 'this run');

  constructor() {
    super('reward');
  }

  /** Starts a run with the form's settings on the chosen dataset's labeled pairs. */
  async train(): Promise<void> {
    if (this.live || !rewardForm.valid) return;
    await this.#trainWith(async () => {
      const config = rewardForm.snapshot();
      const dataset = rewardForm.dataset;
      const annotator = rewardForm.annotator;
      if (!dataset || !rewardForm.source) throw new Error('Choose a preference dataset and a starting checkpoint.');
      const pairs = await rewardForm.pairs();
      if (pairs.length < 2) throw new Error(`The dataset "${dataset.name}" has ${pairs.length} labeled pair(s); label at least 2 in the Preferences stage.`);
      const who = annotator === ALL_ANNOTATORS ? 'all annotators' : annotator;
      return { config, pairs, source: rewardForm.source, name: `${dataset.name} · ${who} · ${pairs.length} pairs`, settings: { dataset: dataset.name, datasetId: dataset.id, annotator: who } };
    });
  }

  /**
   * Trains on pairs made elsewhere (a lesson's simulated labels) with the default settings, stored
   * like any reward run. Resolves with the run's id once it has finished with a checkpoint, else null.
   */
  async trainOnPairs(made: { pairs: PreferencePair[]; source: ModelSourceKey; name: string; goldSpec?: GoldSpec; settings?: Record<string, unknown> }): Promise<number | null> {
    if (this.live) return null;
    await this.#trainWith(async () => ({ config: defaultRewardConfig(), ...made }));
    return this.phase === 'finished' && this.checkpointStep !== null ? this.id : null;
  }

  async #trainWith(prepare: () => Promise<{ config: RewardConfig; pairs: PreferencePair[]; source: ModelSourceKey; name: string; goldSpec?: GoldSpec; settings?: Record<string, unknown> }>): Promise<void> {
    this.report = null;
    this.checkpoint = null;
    rewardScoring.reset();
    await this.start(async () => {
      const { config, pairs, source, name, goldSpec, settings } = await prepare();
      const from = await loadModelSource(source);
      const trainPairs = splitIndices(pairs.length, config.eval_fraction, config.seed).train.length;
      return {
        name,
        maxSteps: totalRewardSteps(config, trainPairs),
        startedFrom: from.label,
        settings: { ...config, ...settings, pairs: pairs.length },
        call: (onEvents) =>
          engine.trainReward(
            Comlink.transfer({ config, pairs, from: from.files, goldSpec }, [from.files.model]),
            Comlink.proxy((events: TrainEvent[]) => {
              this.#onEvents(events);
              onEvents(events);
            }),
          ),
      };
    });
    if (this.id !== null && !this.checkpoint) await this.#loadCheckpoint(this.id);
  }

  /** Shows a stored reward run: charts, its last held-out report, its checkpoint for scoring. */
  override async open(id: number): Promise<void> {
    if (this.live) return;
    await super.open(id);
    this.report = this.record?.rewardEval ?? null;
    rewardScoring.reset();
    await this.#loadCheckpoint(id);
  }

  override async remove(id: number): Promise<void> {
    await super.remove(id);
    if (this.id === null) {
      this.report = null;
      this.checkpoint = null;
    }
  }

  async #loadCheckpoint(id: number): Promise<void> {
    const c = await db.checkpoints.get(id);
    this.checkpoint = c ? { model: c.model, config: c.config, tokenizer: c.tokenizer } : null;
  }

  #onEvents(events: TrainEvent[]): void {
    for (const e of events) {
      if (e.type === 'rewardEval') {
        this.report = e.report;
        const id = this.id;
        if (id !== null) void save('the reward histograms', () => db.runs.update(id, { rewardEval: e.report }));
      }
      if (e.type === 'checkpoint') this.checkpoint = e.files;
    }
  }
}

export const rewardRun = new RewardRunState();
