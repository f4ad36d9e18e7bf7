/**
 * The DPO half of the benchmark page (`npm run bench:dpo`): a preference-optimisation run in the
 * app's own worker from the SFT checkpoint and pairs the script placed next to the page, for a
 * wall-clock budget. Streams one point per evaluation (the fresh-sample gold win rate, seconds since
 * the run started) to the page's console.
 */
import * as Comlink from 'comlink';
import type { DpoRunConfig } from '../core/dpo/dpoConfig.ts';
import type { DpoRequest, DpoSample } from '../core/dpo/dpoTrainer.ts';
import type { EngineApi, RunOutcome, TrainEvent } from '../core/engine/engineApi.ts';
import type { PreferencePair } from '../core/preferences/types.ts';
import type { MetricRow } from '../core/train/pretrainConfig.ts';
import { fetchCheckpoint, fetchText } from './fetchFiles.ts';

/** One evaluation's figures, as the benchmark prints them. */
export interface DpoBenchPoint {
  step: number;
  /** Seconds since the run's 'started' event (after loading the models), sampling for the win rate included. */
  seconds: number;
  win_rate: number;
  /** Ties within the gold spec's tie_margin (the simulated annotator's rule). */
  win_rate_tie_margin: number;
  gold: number;
  reference_gold: number;
  eval_loss?: number;
  eval_accuracy?: number;
  eval_margin?: number;
}

export interface DpoBenchResult {
  backend: string;
  outcome: RunOutcome;
  trainPairs: number;
  evalPairs: number;
  points: DpoBenchPoint[];
  /** The last evaluation's samples beside the reference's. */
  lastSamples: DpoSample[];
}

export function dpoBenchPoint(row: MetricRow, seconds: number): DpoBenchPoint | null {
  if (row['eval/gold_win_rate'] === undefined) return null;
  const r = (x: number | undefined) => (x === undefined ? undefined : Math.round(x * 1000) / 1000);
  return {
    step: row.step,
    seconds,
    win_rate: r(row['eval/gold_win_rate'])!,
    win_rate_tie_margin: r(row['eval/gold_win_rate_tie_margin'])!,
    gold: r(row['gold/score_mean'])!,
    reference_gold: r(row['gold/reference_score_mean'])!,
    eval_loss: r(row['eval/loss']),
    eval_accuracy: r(row['eval/rewards/accuracies']),
    eval_margin: r(row['eval/rewards/margins']),
  };
}

/**
 * Runs engine.dpo (in the worker, or the Node engine) with the budget started at 'started', and
 * reports each evaluation through `onPoint`.
 */
export async function timedDpoRun(engine: Pick<EngineApi, 'stop'> & { dpo: (r: DpoRequest, cb: (e: TrainEvent[]) => void) => Promise<RunOutcome> }, request: DpoRequest, budgetSeconds: number, onPoint: (p: DpoBenchPoint) => void, wrap: (cb: (e: TrainEvent[]) => void) => (e: TrainEvent[]) => void = (cb) => cb): Promise<DpoBenchResult> {
  const result: DpoBenchResult = { backend: '', outcome: { status: 'failed', step: 0 }, trainPairs: 0, evalPairs: 0, points: [], lastSamples: [] };
  let t0 = 0;
  let budget: ReturnType<typeof setTimeout> | undefined;
  const onEvents = wrap((events: TrainEvent[]) => {
    for (const e of events) {
      if (e.type === 'started') {
        t0 = performance.now();
        Object.assign(result, { backend: e.backend, trainPairs: e.numTrainExamples ?? 0, evalPairs: e.numEvalExamples ?? 0 });
        budget = setTimeout(() => void engine.stop(), budgetSeconds * 1000);
      }
      if (e.type === 'samples') result.lastSamples = e.samples as DpoSample[];
      if (e.type !== 'metrics') continue;
      for (const row of e.rows) {
        const point = dpoBenchPoint(row, Math.round((performance.now() - t0) / 100) / 10);
        if (!point) continue;
        result.points.push(point);
        onPoint(point);
      }
    }
  });
  try {
    result.outcome = await engine.dpo(request, onEvents);
  } finally {
    clearTimeout(budget);
  }
  return result;
}

export function dpoBenchApi(engine: Comlink.Remote<EngineApi>) {
  return {
    /** `dataUrl` holds sft/{model.safetensors,config.json,tokenizer.json} and pairs.jsonl. */
    async trainDpo(dataUrl: string, config: DpoRunConfig, request: Pick<DpoRequest, 'sampling' | 'prompts'>, budgetSeconds: number): Promise<DpoBenchResult> {
      const [from, pairsText] = await Promise.all([fetchCheckpoint(`${dataUrl}sft/`), fetchText(`${dataUrl}pairs.jsonl`)]);
      const pairs = pairsText.trim().split('\n').map((line) => JSON.parse(line) as PreferencePair);
      return timedDpoRun(
        engine,
        { config, pairs, from, fromLabel: 'the benchmark SFT checkpoint', ...request },
        budgetSeconds,
        // The script streams these lines from the page's console.
        (point) => console.log('dpoBench ' + JSON.stringify(point)),
        (cb) => Comlink.proxy(cb),
      );
    },
  };
}
