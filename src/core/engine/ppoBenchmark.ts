/**
 * Timing of PPO iterations (rollout + update) for a model preset on the active backend, as
 * `npm run bench` reports it beside the training step: the trainer itself (PpoRun) with the
 * default PpoRunConfig and the gold score, timed by iterationTimer.ts. The rollout is sampling the
 * responses, the policy, value and reference forward passes and the scores; the update is the
 * KL-penalised rewards, GAE and num_ppo_epochs x num_mini_batches clipped updates.
 */
import type { ModelPresetName } from '../model/config.ts';
import { goldScorer, type PpoScorer } from '../ppo/ppoReward.ts';
import { defaultPpoRunConfig, rolloutBatchSize } from '../ppo/ppoRunConfig.ts';
import { PpoRun } from '../ppo/ppoTrainer.ts';
import { BENCH_VOCAB, timeIterations } from './iterationTimer.ts';

export interface PpoIterationBench {
  /** What was timed, in words: model, tokenizer, config and reward. */
  setup: string;
  /** Rollouts per iteration, tokens per response, PPO epochs and mini-batches (the default PpoRunConfig). */
  batch: number;
  response_length: number;
  num_ppo_epochs: number;
  num_mini_batches: number;
  vocab: number;
  /** Timed iterations (after one untimed warm-up iteration). */
  iterations: number;
  medianRolloutMs: number;
  medianUpdateMs: number;
  medianIterationMs: number;
  /** completions/mean_length over the timed iterations. */
  meanResponseLength: number;
  /** tf.memory().numTensors after the run minus before: must be 0. */
  leakedTensors: number;
}

export async function benchmarkPpoIteration(preset: ModelPresetName, iterations: number): Promise<PpoIterationBench> {
  const config = { ...defaultPpoRunConfig(), save_steps: 1_000_000, max_steps: 1_000_000 }; // no checkpoint inside the timed iterations
  const gold = goldScorer();
  const { meanLength, ...times } = await timeIterations(preset, iterations, (from, scored) => {
    const scorer: PpoScorer = {
      async score(prompts, completions) {
        const scores = await gold.score(prompts, completions);
        scored();
        return scores;
      },
      dispose: () => gold.dispose(),
    };
    return new PpoRun({ config, from, reward: { kind: 'gold' } }, { scorer });
  });
  return {
    setup: `fresh random ${preset} model (seed 0), BPE tokenizer of ${BENCH_VOCAB} tokens trained on 500 generated stories, default PpoRunConfig, gold score`,
    batch: rolloutBatchSize(config),
    response_length: config.response_length,
    num_ppo_epochs: config.num_ppo_epochs,
    num_mini_batches: config.num_mini_batches,
    ...times,
    meanResponseLength: meanLength,
  };
}
