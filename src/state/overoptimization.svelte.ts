/**
 * The overoptimization view of the GRPO run on screen (Gao et al. 2022): its proxy reward and gold
 * score against sqrt(KL) come from the run's metrics; the best-of-n baseline is measured here on
 * request, from the run's own starting checkpoint, reward functions and gold preference, and stored
 * with the run (stageConfig.best_of_n) so a reopened run shows it again.
 */
import * as Comlink from 'comlink';
import type { BestOfNPoint } from '../core/grpo/bestOfN.ts';
import { defaultBestOfNSettings } from '../core/grpo/bestOfNBaseline.ts';
import type { GrpoConfig } from '../core/grpo/grpoConfig.ts';
import { HAPPY_ENDING_SPEC, type GoldSpec } from '../core/preferences/goldScore.ts';
import { db } from '../lib/db.ts';
import { engine } from '../lib/engine.ts';
import { backend } from './backend.svelte.ts';
import { grpoRun, loadRewardModels } from './grpoRun.svelte.ts';
import { rewardSources, storedRewardChoices } from './grpoRewardChoices.ts';
import { history } from './history.svelte.ts';
import { loadModelSource, type ModelSourceKey } from './modelSources.ts';
import { save } from './storage.ts';

export interface StoredBestOfN {
  points: BestOfNPoint[];
  prompts: number;
  n_max: number;
}

const isSourceKey = (key: unknown): key is ModelSourceKey => key === 'base' || (typeof key === 'string' && /^run:\d+$/.test(key));

class OveroptimizationState {
  /** True while the baseline samples. */
  measuring = $state(false);
  progress = $state<{ done: number; total: number } | null>(null);
  message = $state<string | null>(null);

  /** The shown run's stored baseline, if measured. */
  get bestOfN(): StoredBestOfN | null {
    const stored = grpoRun.record?.stageConfig?.best_of_n as StoredBestOfN | undefined;
    return stored && Array.isArray(stored.points) ? stored : null;
  }

  /** Whether the shown run can have a baseline: a stored GRPO/RLOO run that is not training. */
  get canMeasure(): boolean {
    return grpoRun.id !== null && !grpoRun.live && !this.measuring && grpoRun.record?.stageConfig !== undefined;
  }

  /**
   * Samples n_max completions per prompt from the run's starting checkpoint, ranks them by the run's
   * own reward functions (the proxy), and stores the curve with the run.
   */
  async measure(): Promise<void> {
    const record = grpoRun.record;
    if (!this.canMeasure || !record?.id || !record.stageConfig) return;
    const settings = record.stageConfig as Partial<GrpoConfig> & Record<string, unknown>;
    this.measuring = true;
    this.message = null;
    this.progress = null;
    try {
      if (!isSourceKey(settings.source)) throw new Error('This run does not say which checkpoint it started from.');
      const choices = storedRewardChoices(settings.rewards, isSourceKey);
      if (!choices?.length) throw new Error('This run does not list its reward functions.');
      const from = await loadModelSource(settings.source);
      const buffers: ArrayBuffer[] = [from.files.model];
      const models = await loadRewardModels(choices, buffers);
      const goldSpec = (settings.gold_spec as GoldSpec | undefined) ?? HAPPY_ENDING_SPEC;
      const base = defaultBestOfNSettings();
      const request = {
        ...base,
        max_completion_length: settings.max_completion_length ?? base.max_completion_length,
        temperature: settings.temperature ?? base.temperature,
        seed: settings.seed ?? base.seed,
        from: from.files,
        rewards: rewardSources(choices, goldSpec, models),
        reward_weights: settings.reward_weights ?? null,
        goldSpec,
      };
      await backend.ensure();
      const result = await engine.bestOfN(
        Comlink.transfer(request, buffers),
        Comlink.proxy((done: number, total: number) => (this.progress = { done, total })),
      );
      const stored: StoredBestOfN = { points: result.points, prompts: result.prompts, n_max: base.n_max };
      const stageConfig = { ...record.stageConfig, best_of_n: stored };
      await save('the best-of-n baseline', () => db.runs.update(record.id!, { stageConfig }));
      // Still the run on screen: show the baseline at once.
      if (grpoRun.id === record.id) grpoRun.record = { ...record, stageConfig };
      void history.refresh();
    } catch (error) {
      this.message = `The best-of-n baseline failed: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      this.measuring = false;
      this.progress = null;
    }
  }
}

export const overoptimization = new OveroptimizationState();
