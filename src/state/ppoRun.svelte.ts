/**
 * The PPO run on screen: the shared training-run state (start / pause / resume / stop, metrics,
 * samples, checkpoints, reopening, the history's open and delete) started with the PPO settings.
 * Each iteration's samples carry their score and KL, which the sample table shows.
 */
import * as Comlink from 'comlink';
import type { TrainEvent } from '../core/engine/engineApi.ts';
import type { PpoRewardSource } from '../core/ppo/ppoReward.ts';
import type { Sample } from '../core/train/pretrainConfig.ts';
import { engine } from '../lib/engine.ts';
import { loadModelSource } from './modelSources.ts';
import { ppoForm } from './ppoForm.svelte.ts';
import { TrainingRunState } from './trainingRun.svelte.ts';

/** One row of an iteration's sample table (ppoTrainer's samples event). */
export interface PpoSample extends Sample {
  score?: number;
  gold_score?: number;
  kl?: number;
}

/** Fields the engine may refuse a request for, shown next to their field. */
const FIELDS_SHOWN = ['reward', 'response_length'];

class PpoRunState extends TrainingRunState {
  constructor() {
    super('ppo');
  }

  /** The latest iteration's samples with their scores. */
  get table(): PpoSample[] {
    return this.samples as PpoSample[];
  }

  /** Starts a run with the form's settings: the chosen policy checkpoint against the chosen reward. */
  async train(): Promise<void> {
    if (this.live || !ppoForm.valid) return;
    ppoForm.refusal = null;
    await this.start(async () => {
      const config = ppoForm.snapshot();
      if (!ppoForm.source) throw new Error('Choose the checkpoint the policy starts from.');
      const from = await loadModelSource(ppoForm.source);
      let reward: PpoRewardSource = { kind: 'gold' };
      let rewardLabel = 'gold score';
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
        settings: { ...config, reward: rewardLabel, rewardKind: ppoForm.rewardKind, rewardSource: ppoForm.rewardSource },
        call: (onEvents) => engine.ppo(Comlink.transfer({ config, from: from.files, fromLabel: from.label, reward }, buffers), onEvents as (events: TrainEvent[]) => void),
        refused: (message) => {
          const m = /^(\w+): (.*)$/s.exec(message);
          if (!m || !FIELDS_SHOWN.includes(m[1])) return false;
          ppoForm.refusal = { field: m[1], message: m[2] };
          return true;
        },
      };
    });
  }
}

export const ppoRun = new PpoRunState();
