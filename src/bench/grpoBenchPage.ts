/**
 * The GRPO half of the benchmark page (`npm run bench:grpo`): a GRPO (or RLOO) run in the app's own
 * worker from the SFT checkpoint the script placed next to the page, rewarded by the happy-ending
 * gold score, for a wall-clock budget. Streams one point per step (seconds since the run started)
 * to the page's console.
 */
import * as Comlink from 'comlink';
import type { EngineApi, RunOutcome } from '../core/engine/engineApi.ts';
import type { GroupMethod, GrpoConfig } from '../core/grpo/grpoConfig.ts';
import type { GrpoSample } from '../core/grpo/grpoTrainer.ts';
import type { MetricRow } from '../core/train/pretrainConfig.ts';
import { fetchCheckpoint } from './fetchFiles.ts';
import { timedRun } from './timedRun.ts';

/** One step's figures, as the benchmark prints them. */
export interface GrpoBenchPoint {
  step: number;
  /** Seconds since the run's 'started' event (after loading the model). */
  seconds: number;
  gold: number;
  reward_std: number;
  frac_reward_zero_std: number;
  entropy: number;
  kl: number | null;
  mean_length: number;
}

export interface GrpoBenchResult {
  backend: string;
  outcome: RunOutcome;
  points: GrpoBenchPoint[];
  /** The last step's shown samples (one prompt's group). */
  lastSamples: { prompt: string; completion: string; gold: number; advantage: number }[];
}

export function grpoBenchPoint(row: MetricRow, seconds: number): GrpoBenchPoint {
  const r = (x: number | undefined, digits = 3) => Math.round((x ?? NaN) * 10 ** digits) / 10 ** digits;
  return {
    step: row.step,
    seconds,
    gold: r(row['gold/score_mean']),
    reward_std: r(row.reward_std),
    frac_reward_zero_std: r(row.frac_reward_zero_std),
    entropy: r(row.entropy),
    kl: row.kl === undefined ? null : r(row.kl, 4),
    mean_length: r(row['completions/mean_length'], 1),
  };
}

export function grpoShownSamples(samples: readonly GrpoSample[]): GrpoBenchResult['lastSamples'] {
  return samples.map((s) => ({ prompt: s.prompt, completion: s.completion, gold: Math.round(s.gold_score * 1000) / 1000, advantage: Math.round(s.advantage * 100) / 100 }));
}

export function grpoBenchApi(engine: Comlink.Remote<EngineApi>) {
  return {
    /** `dataUrl` holds sft/{model.safetensors,config.json,tokenizer.json}. */
    async trainGrpo(dataUrl: string, method: GroupMethod, config: GrpoConfig, budgetSeconds: number): Promise<GrpoBenchResult> {
      const from = await fetchCheckpoint(`${dataUrl}sft/`);
      let lastSamples: GrpoBenchResult['lastSamples'] = [];
      const run = await timedRun(engine, {
        budgetSeconds,
        tag: 'grpoBench',
        point: grpoBenchPoint,
        onSamples: (samples) => (lastSamples = grpoShownSamples(samples as GrpoSample[])),
        call: (onEvents) => engine.grpo({ method, config, from, fromLabel: 'the benchmark SFT checkpoint', rewards: [{ kind: 'gold' }] }, onEvents),
      });
      return { ...run, lastSamples };
    },
  };
}
