/**
 * The GRPO / RLOO run on screen: the shared training-run state (start / pause / resume / stop,
 * metrics, samples, checkpoints, reopening, the history's open and delete) started with the
 * form's method, policy and reward functions. It also keeps the live run's reward-function
 * failures (a user's code that threw, returned a non-number or ran too long), which the page
 * shows under that function's code; they are not stored with the run.
 */
import * as Comlink from 'comlink';
import type { NamedRewardFailure, TrainEvent } from '../core/engine/engineApi.ts';
import type { GrpoConfig } from '../core/grpo/grpoConfig.ts';
import type { GrpoSample } from '../core/grpo/grpoTrainer.ts';
import { describeGoldSpec } from '../core/preferences/goldScore.ts';
import type { CheckpointFiles } from '../core/train/pretrainConfig.ts';
import type { Engine } from '../lib/engine.ts';
import { grpoForm } from './grpoForm.svelte.ts';
import { describeRewards, rewardField, rewardSources, type GrpoRewardChoice } from './grpoRewardChoices.ts';
import { loadModelSource } from './modelSources.ts';
import { TrainingRunState } from './trainingRun.svelte.ts';

export type { GrpoSample } from '../core/grpo/grpoTrainer.ts';

/** A failed call of a reward function, with the step it happened at. */
export type StepRewardFailure = NamedRewardFailure & { step: number };

/** Failures kept for the page (newest first): enough to see a pattern, not a flood. */
const MAX_FAILURES = 50;

const METHOD_WORDS = { grpo: 'GRPO', rloo: 'RLOO' } as const;

/**
 * The checkpoints of the list's reward models, by picker key, each loaded once (the list's names keep
 * it to one); their weight buffers are added to `buffers`, to be transferred to the worker.
 */
export async function loadRewardModels(choices: readonly GrpoRewardChoice[], buffers: ArrayBuffer[]): Promise<Map<string, CheckpointFiles>> {
  const models = new Map<string, CheckpointFiles>();
  for (const choice of choices) {
    if (choice.kind !== 'model' || !choice.source || models.has(choice.source)) continue;
    const rm = await loadModelSource(choice.source);
    models.set(choice.source, rm.files);
    buffers.push(rm.files.model);
  }
  return models;
}

/** `engine`: the worker it trains in (a sweep's extra worker; the page's one by default). */
export class GrpoRunState extends TrainingRunState {
  /** The live run's reward failures, newest first, at most MAX_FAILURES. */
  failures = $state.raw<StepRewardFailure[]>([]);
  /** Every failure of the live run so far, by reward function name. */
  failureCounts = $state.raw<Record<string, number>>({});

  constructor(engine?: Engine) {
    super('grpo', [], engine);
  }

  /** The latest step's group of completions (one prompt) with their rewards and advantages. */
  get table(): GrpoSample[] {
    return this.samples as GrpoSample[];
  }

  /** The failures of one reward function, newest first. */
  failuresOf(name: string): StepRewardFailure[] {
    return this.failures.filter((f) => f.function === name);
  }

  protected override onOtherEvent(event: TrainEvent): void {
    if (event.type !== 'rewardFailures') return;
    const fresh = event.failures.map((f) => ({ ...f, step: event.step })).reverse();
    this.failures = [...fresh, ...this.failures].slice(0, MAX_FAILURES);
    const counts = { ...this.failureCounts };
    for (const [name, n] of Object.entries(event.counts)) counts[name] = (counts[name] ?? 0) + n;
    this.failureCounts = counts;
  }

  override async open(id: number): Promise<void> {
    if (this.live) return;
    this.#clearFailures();
    await super.open(id);
  }

  /**
   * Starts a run with the form's settings (with `changes` over them, e.g. a sweep's value): the
   * chosen method and policy against the chosen reward functions.
   */
  async train(changes: Partial<GrpoConfig> = {}): Promise<void> {
    if (this.live || !grpoForm.valid) return;
    grpoForm.refusal = null;
    this.#clearFailures();
    await this.start(async () => {
      const config: GrpoConfig = { ...grpoForm.snapshot(), ...changes };
      const method = grpoForm.method;
      const choices = grpoForm.rewardsSnapshot();
      if (!grpoForm.source) throw new Error('Choose the checkpoint the policy starts from.');
      const from = await loadModelSource(grpoForm.source);
      const buffers: ArrayBuffer[] = [from.files.model];
      const models = await loadRewardModels(choices, buffers);
      // The gold preference (the Preferences tab's simulated annotator's, or a lesson's): a reward
      // when listed, and always logged as gold/score_mean.
      const goldSpec = grpoForm.goldSpec();
      const rewards = rewardSources(choices, goldSpec, models);
      const rewardLabel = describeRewards(choices);
      return {
        name: `${METHOD_WORDS[method]} from ${from.label} · ${rewardLabel}`,
        maxSteps: config.max_steps,
        startedFrom: from.label,
        settings: { ...config, method, source: grpoForm.source, rewards: choices, reward: rewardLabel, gold: describeGoldSpec(goldSpec), gold_spec: goldSpec },
        call: (onEvents) =>
          this.engine.grpo(Comlink.transfer({ method, config, from: from.files, fromLabel: from.label, rewards, goldSpec }, buffers), onEvents as (events: TrainEvent[]) => void),
        refused: (message) => this.#refusedAt(message, choices.findIndex((c) => c.kind === 'model')),
      };
    });
  }

  /** Shows a refusal next to its field when the form has one: true when shown there. */
  #refusedAt(message: string, modelIndex: number): boolean {
    const m = /^(\w+): (.*)$/s.exec(message);
    if (!m) return false;
    const fields: Record<string, string> = {
      from: 'source',
      max_completion_length: 'max_completion_length',
      reward_funcs: 'reward_funcs',
      ...(modelIndex >= 0 ? { reward: rewardField(modelIndex, 'model') } : {}),
    };
    const field = fields[m[1]];
    if (!field) return false;
    grpoForm.refusal = { field, message: m[2] };
    return true;
  }

  #clearFailures(): void {
    this.failures = [];
    this.failureCounts = {};
  }
}

export const grpoRun = new GrpoRunState();
