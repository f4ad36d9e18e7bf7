/**
 * The PPO half of the benchmark page (`npm run bench:ppo`): a PPO run in the app's own worker from
 * the SFT checkpoint the script placed next to the page, against the gold score, for a wall-clock
 * budget. Streams one point per iteration (seconds since the run started) to the page's console.
 */
import * as Comlink from 'comlink';
import type { EngineApi, RunOutcome } from '../core/engine/engineApi.ts';
import { fetchCheckpoint } from './fetchFiles.ts';
import { timedRun } from './timedRun.ts';
import type { PpoRunConfig } from '../core/ppo/ppoRunConfig.ts';
import type { PpoSample } from '../core/ppo/ppoTrainer.ts';
import type { MetricRow } from '../core/train/pretrainConfig.ts';

/** One PPO iteration's figures, as the benchmark prints them. */
export interface PpoBenchPoint {
  step: number;
  /** Seconds since the run's 'started' event (after loading the models). */
  seconds: number;
  gold: number;
  scores: number;
  kl: number;
  kl_coef: number;
  entropy: number;
  mean_length: number;
}

export interface PpoBenchResult {
  backend: string;
  outcome: RunOutcome;
  points: PpoBenchPoint[];
  /** The last iteration's shown samples (prompt, completion, gold score, KL). */
  lastSamples: { prompt: string; completion: string; gold: number; kl: number }[];
}

export function ppoBenchPoint(row: MetricRow, seconds: number): PpoBenchPoint {
  const r = (x: number | undefined, digits = 3) => Math.round((x ?? NaN) * 10 ** digits) / 10 ** digits;
  return {
    step: row.step,
    seconds,
    gold: r(row['gold/score_mean']),
    scores: r(row['objective/scores']),
    kl: r(row['objective/kl']),
    kl_coef: r(row.kl_coef, 4),
    entropy: r(row['objective/entropy']),
    mean_length: r(row['completions/mean_length'], 1),
  };
}

export function shownSamples(samples: readonly PpoSample[]): PpoBenchResult['lastSamples'] {
  return samples.map((s) => ({ prompt: s.prompt, completion: s.completion, gold: Math.round(s.gold_score * 1000) / 1000, kl: Math.round(s.kl * 100) / 100 }));
}

export function ppoBenchApi(engine: Comlink.Remote<EngineApi>) {
  return {
    /** `dataUrl` holds sft/{model.safetensors,config.json,tokenizer.json}. */
    async trainPpo(dataUrl: string, config: PpoRunConfig, budgetSeconds: number): Promise<PpoBenchResult> {
      const from = await fetchCheckpoint(`${dataUrl}sft/`);
      let lastSamples: PpoBenchResult['lastSamples'] = [];
      const run = await timedRun(engine, {
        budgetSeconds,
        tag: 'ppoBench',
        point: ppoBenchPoint,
        onSamples: (samples) => (lastSamples = shownSamples(samples as PpoSample[])),
        call: (onEvents) => engine.ppo({ config, from, fromLabel: 'the benchmark SFT checkpoint', reward: { kind: 'gold' } }, onEvents),
      });
      return { ...run, lastSamples };
    },
  };
}
