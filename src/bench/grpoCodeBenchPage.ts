/**
 * The test hook for user-written reward functions in a GRPO run (tests/e2e/grpoCode.test.ts): a
 * few tiny GRPO steps in the app's own engine worker from the shipped base model, rewarded by the
 * given JavaScript source, which the engine runs in its nested sandbox worker.
 */
import * as Comlink from 'comlink';
import type { EngineApi, NamedRewardFailure, RunOutcome, TrainEvent } from '../core/engine/engineApi.ts';
import { defaultGrpoConfig } from '../core/grpo/grpoConfig.ts';
import type { GrpoSample } from '../core/grpo/grpoTrainer.ts';
import type { MetricRow } from '../core/train/pretrainConfig.ts';
import { fetchCheckpoint } from './fetchFiles.ts';

export interface GrpoCodeBenchResult {
  outcome: RunOutcome;
  rows: MetricRow[];
  samples: { prompt: string; completion: string; rewards: Record<string, number> }[];
  /** Every rewardFailures event's reported failures, with its step. */
  failures: (NamedRewardFailure & { step: number })[];
}

const PROMPTS = ['Write a story about a cat.\n', 'Write a story about a dog.\n'];

export function grpoCodeBenchApi(engine: Comlink.Remote<EngineApi>) {
  return {
    /** `steps` GRPO steps (2 prompts x 2 completions of 6 tokens) rewarded by `source`, named `name`. */
    async trainGrpoWithCode(source: string, name: string, steps: number): Promise<GrpoCodeBenchResult> {
      const from = await fetchCheckpoint('base/');
      const config = { ...defaultGrpoConfig(), max_completion_length: 6, num_generations: 2, per_device_train_batch_size: 4, max_steps: steps, save_steps: 1 };
      const result: GrpoCodeBenchResult = { outcome: { status: 'failed', step: 0 }, rows: [], samples: [], failures: [] };
      const onEvents = Comlink.proxy((events: TrainEvent[]) => {
        for (const e of events) {
          if (e.type === 'metrics') result.rows.push(...e.rows);
          if (e.type === 'rewardFailures') result.failures.push(...e.failures.map((f) => ({ ...f, step: e.step })));
          if (e.type === 'samples') result.samples.push(...(e.samples as GrpoSample[]).map((s) => ({ prompt: s.prompt, completion: s.completion, rewards: s.rewards })));
        }
      });
      result.outcome = await engine.grpo({ method: 'grpo', config, from, fromLabel: 'the shipped base model', rewards: [{ kind: 'code', name, source }], prompts: PROMPTS }, onEvents);
      return result;
    },
  };
}
