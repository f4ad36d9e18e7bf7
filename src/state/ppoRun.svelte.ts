/**
 * The PPO run on screen: the shared training-run state (start / pause / resume / stop, metrics,
 * samples, checkpoints, reopening, the history's open and delete) started with the PPO settings.
 * Each iteration's samples carry their score and KL, which the sample table shows.
 */
import * as Comlink from 'comlink';
import type { TrainEvent } from '../core/engine/engineApi.ts';
import type { PpoRewardSource } from '../core/ppo/ppoReward.ts';
import { describeGoldSpec, type GoldSpec } from '../core/preferences/goldScore.ts';
import type { PpoRunConfig } from '../core/ppo/ppoRunConfig.ts';
import type { Sample } from '../core/train/pretrainConfig.ts';
import type { Engine } from '../lib/engine.ts';
import { loadModelSource } from './modelSources.ts';
import { ppoForm } from './ppoForm.svelte.ts';
import { simulator } from './preferenceSimulator.svelte.ts';
import { TrainingRunState } from './trainingRun.svelte.ts';

/**
 * One row of an iteration's sample table (ppoTrainer's PpoSample). Every field past the text is
 * optional: runs stored before a field existed lack it (older runs have no tokens / logratio).
 */
export interface PpoSample extends Sample {
  score?: number;
  gold_score?: number;
  kl?: number;
  /** The response's tokens as text ('<eos>' for end-of-text). */
  tokens?: string[];
  /** log(pi / pi_ref) of each response token at rollout time, one per token. */
  logratio?: number[];
}

/**
 * Fields the engine may refuse a request for, and the form field each is shown next to: a reward
 * model of another tokenizer by the reward picker, a response too long for the model's context by
 * Response length, an unreadable starting checkpoint by the policy picker. Others go in the alert.
 */
const FIELDS_SHOWN: Record<string, string> = { reward: 'reward', response_length: 'response_length', from: 'source' };

/** `engine`: the worker it trains in (a sweep's extra worker; the page's one by default). */
export class PpoRunState extends TrainingRunState {
  constructor(engine?: Engine) {
    super('ppo', [], engine);
  }

  /** The latest iteration's samples with their scores. */
  get table(): PpoSample[] {
    return this.samples as PpoSample[];
  }

  /**
   * Starts a run with the form's settings (with `changes` over them, e.g. a sweep's value): the
   * chosen policy checkpoint against the chosen reward.
   */
  async train(changes: Partial<PpoRunConfig> = {}): Promise<void> {
    if (this.live || !ppoForm.valid) return;
    ppoForm.refusal = null;
    await this.start(async () => {
      const config: PpoRunConfig = { ...ppoForm.snapshot(), ...changes };
      if (!ppoForm.source) throw new Error('Choose the checkpoint the policy starts from.');
      const from = await loadModelSource(ppoForm.source);
      // The gold preference set on the Preferences tab (the simulated annotator's): the reward itself
      // with the gold score, else logged beside the reward model's scores.
      const goldSpec = $state.snapshot(simulator.spec.gold) as GoldSpec;
      let reward: PpoRewardSource = { kind: 'gold', spec: goldSpec };
      let rewardLabel = `gold score (${describeGoldSpec(goldSpec)})`;
      const buffers = [from.files.model];
      if (ppoForm.rewardKind === 'model') {
        if (!ppoForm.rewardSource) throw new Error('Choose a reward model, or use the gold score.');
        const rm = await loadModelSource(ppoForm.rewardSource);
        reward = { kind: 'model', files: rm.files };
        rewardLabel = `reward ${rm.label}`;
        buffers.push(rm.files.model);
      }
      return {
        name: `PPO from ${from.label} · ${rewardLabel}`,
        maxSteps: config.max_steps,
        startedFrom: from.label,
        settings: { ...config, reward: rewardLabel, gold: describeGoldSpec(goldSpec), source: ppoForm.source, rewardKind: ppoForm.rewardKind, rewardSource: ppoForm.rewardSource },
        call: (onEvents) => this.engine.ppo(Comlink.transfer({ config, from: from.files, fromLabel: from.label, reward, goldSpec }, buffers), onEvents as (events: TrainEvent[]) => void),
        refused: (message) => {
          const m = /^(\w+): (.*)$/s.exec(message);
          const field = m ? FIELDS_SHOWN[m[1]] : undefined;
          if (!m || !field) return false;
          ppoForm.refusal = { field, message: m[2] };
          return true;
        },
      };
    });
  }

  /**
   * "Rerun with KL coefficient 0": the shown run's settings (else the form's) with `changes`,
   * put into the form so it shows what trains, then trained.
   */
  async rerunWith(changes: Partial<PpoRunConfig>): Promise<void> {
    if (this.live) return;
    ppoForm.load({ ...(this.record?.stageConfig ?? ppoForm.snapshot()), ...changes });
    await this.train();
  }
}

export const ppoRun = new PpoRunState();
