/**
 * Timing of GRPO iterations (rollout + update) for a model preset on the active backend, as
 * `npm run bench` reports it beside the training step and the PPO iteration (ppoBenchmark.ts,
 * measured the same way). It runs the trainer itself (GrpoRun) with the default GrpoConfig and the
 * gold score as the one reward function, timed by iterationTimer.ts.
 *
 * The phases are told apart from outside the trainer: the run's controls mark each iteration's
 * start, the reward function the end of its rollout (sampling num_generations completions per
 * prompt, the old/reference log-probs when the config needs them, the rewards), the metrics event
 * the end of its update (group advantages, num_iterations clipped updates, the stats read back).
 * A random model rarely samples end-of-text, so completions run to max_completion_length: the
 * rollout's worst case.
 */
import { defaultGrpoConfig } from '../grpo/grpoConfig.ts';
import { GrpoRun } from '../grpo/grpoTrainer.ts';
import { goldRewardFunction } from '../grpo/rewardSources.ts';
import type { ModelPresetName } from '../model/config.ts';
import type { RewardFunction } from '../rewards/rewardFunction.ts';
import { BENCH_VOCAB, timeIterations } from './iterationTimer.ts';

export interface GrpoIterationBench {
  /** What was timed, in words: model, tokenizer, config and reward. */
  setup: string;
  /** Completions per step (per_device_train_batch_size), completions per prompt, tokens per completion (the default GrpoConfig). */
  completions_per_step: number;
  num_generations: number;
  max_completion_length: number;
  num_iterations: number;
  vocab: number;
  /** Timed iterations (after one untimed warm-up iteration). */
  iterations: number;
  medianRolloutMs: number;
  medianUpdateMs: number;
  medianIterationMs: number;
  /** completions/mean_length over the timed iterations. */
  meanCompletionLength: number;
  /** tf.memory().numTensors after the run minus before: must be 0. */
  leakedTensors: number;
}

export async function benchmarkGrpoIteration(preset: ModelPresetName, iterations: number): Promise<GrpoIterationBench> {
  const config = { ...defaultGrpoConfig(), save_steps: 1_000_000, max_steps: 1_000_000 }; // no checkpoint inside the timed iterations
  const gold = goldRewardFunction();
  try {
    const { meanLength, ...times } = await timeIterations(preset, iterations, (from, scored) => {
      const timedGold: RewardFunction = {
        name: gold.name,
        async score(prompts, completions) {
          const scores = await gold.score(prompts, completions);
          scored();
          return scores;
        },
      };
      return new GrpoRun({ method: 'grpo', config, from, rewards: [{ kind: 'gold' }] }, { rewardFunctions: [timedGold] });
    });
    return {
      setup: `fresh random ${preset} model (seed 0), BPE tokenizer of ${BENCH_VOCAB} tokens trained on 500 generated stories, default GrpoConfig, gold score`,
      completions_per_step: config.per_device_train_batch_size,
      num_generations: config.num_generations,
      max_completion_length: config.max_completion_length,
      num_iterations: config.num_iterations,
      ...times,
      meanCompletionLength: meanLength,
    };
  } finally {
    gold.dispose?.();
  }
}
