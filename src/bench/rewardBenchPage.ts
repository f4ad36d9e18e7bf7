/**
 * The reward-model half of the benchmark page (`npm run bench:reward`): trains a reward model in
 * the app's own worker on data the script placed next to the page, and reports held-out accuracy
 * against wall-clock training time (from the run's 'started' event) as it goes.
 */
import * as Comlink from 'comlink';
import type { EngineApi, RunOutcome, TrainEvent } from '../core/engine/engineApi.ts';
import { fetchCheckpoint, fetchText } from './fetchFiles.ts';
import type { PreferencePair } from '../core/preferences/types.ts';
import type { RewardConfig } from '../core/reward/rewardConfig.ts';

export interface RewardBenchPoint {
  step: number;
  /** Seconds since training started (after loading and tokenizing), evaluation time included. */
  seconds: number;
  'eval/accuracy': number;
  'eval/gold_accuracy'?: number;
  'eval/loss': number;
}

export interface RewardBenchResult {
  backend: string;
  outcome: RunOutcome;
  trainPairs: number;
  evalPairs: number;
  points: RewardBenchPoint[];
}

export function rewardBenchApi(engine: Comlink.Remote<EngineApi>) {
  return {
    /** `dataUrl` holds sft/{model.safetensors,config.json,tokenizer.json} and pairs.jsonl. */
    async trainReward(dataUrl: string, config: RewardConfig, budgetSeconds: number): Promise<RewardBenchResult> {
      const [from, pairsText] = await Promise.all([fetchCheckpoint(`${dataUrl}sft/`), fetchText(`${dataUrl}pairs.jsonl`)]);
      const pairs = pairsText.trim().split('\n').map((line) => JSON.parse(line) as PreferencePair);
      const result: RewardBenchResult = { backend: '', outcome: { status: 'failed', step: 0 }, trainPairs: 0, evalPairs: 0, points: [] };
      let t0 = 0;
      let budget: ReturnType<typeof setTimeout> | undefined;
      const onEvents = Comlink.proxy((events: TrainEvent[]) => {
        for (const e of events) {
          if (e.type === 'started') {
            t0 = performance.now();
            Object.assign(result, { backend: e.backend, trainPairs: e.numTrainExamples ?? 0, evalPairs: e.numEvalExamples ?? 0 });
            budget = setTimeout(() => void engine.stop(), budgetSeconds * 1000);
          }
          if (e.type !== 'metrics') continue;
          for (const row of e.rows) {
            if (row['eval/accuracy'] === undefined) continue;
            const point: RewardBenchPoint = { step: row.step, seconds: Math.round((performance.now() - t0) / 100) / 10, 'eval/accuracy': row['eval/accuracy'], 'eval/gold_accuracy': row['eval/gold_accuracy'], 'eval/loss': row['eval/loss']! };
            result.points.push(point);
            // The script streams these lines from the page's console.
            console.log('rewardBench ' + JSON.stringify(point));
          }
        }
      });
      try {
        result.outcome = await engine.trainReward({ config, pairs, from }, onEvents);
      } finally {
        clearTimeout(budget);
      }
      return result;
    },
  };
}
