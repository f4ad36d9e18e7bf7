/**
 * Timing of GRPO iterations (rollout + update) for a model preset on the active backend, as
 * `npm run bench` reports it beside the training step and the PPO iteration (ppoBenchmark.ts,
 * measured the same way). It runs the trainer itself (GrpoRun) with the default GrpoConfig and the
 * gold score as the one reward function, from a fresh random model of the preset's shape and the
 * PPO bench's BPE tokenizer of 512 tokens.
 *
 * The phases are told apart from outside the trainer: the run's controls mark each iteration's
 * start, the reward function the end of its rollout (sampling num_generations completions per
 * prompt, the old/reference log-probs when the config needs them, the rewards), the metrics event
 * the end of its update (group advantages, num_iterations clipped updates, the stats read back).
 * A random model rarely samples end-of-text, so completions run to max_completion_length: the
 * rollout's worst case.
 */
import * as tf from '@tensorflow/tfjs';
import { defaultGrpoConfig } from '../grpo/grpoConfig.ts';
import { GrpoRun } from '../grpo/grpoTrainer.ts';
import { goldRewardFunction } from '../grpo/rewardSources.ts';
import { checkpointFiles } from '../model/checkpoint.ts';
import { MODEL_PRESETS, type ModelPresetName } from '../model/config.ts';
import { GPT } from '../model/gpt.ts';
import type { RewardFunction } from '../rewards/rewardFunction.ts';
import { DEFAULT_SAMPLING } from '../train/defaults.ts';
import type { RunControls } from '../train/runControls.ts';
import { benchTokenizer, median } from './ppoBenchmark.ts';

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

const round2 = (x: number) => Math.round(x * 100) / 100;

export async function benchmarkGrpoIteration(preset: ModelPresetName, iterations: number): Promise<GrpoIterationBench> {
  const warmup = 1;
  const tok = benchTokenizer();
  const { label: _l, ...shape } = MODEL_PRESETS[preset];
  const config = { ...defaultGrpoConfig(), save_steps: 1_000_000, max_steps: 1_000_000 }; // no checkpoint inside the timed iterations
  const tensorsBefore = tf.memory().numTensors;
  const model = GPT.create({ ...shape, vocab_size: tok.vocabSize }, 0);
  const from = await checkpointFiles(model, tok, { stage: 'bench', step: 0, run_config: null });
  model.dispose();

  const marks: { start: number; scored?: number; end?: number }[] = [];
  const lengths: number[] = [];
  const finished = () => marks.filter((m) => m.end !== undefined).length;
  const gold = goldRewardFunction();
  const timedGold: RewardFunction = {
    name: gold.name,
    async score(prompts, completions) {
      const scores = await gold.score(prompts, completions);
      marks[marks.length - 1].scored = performance.now();
      return scores;
    },
  };
  const controls: RunControls = {
    shouldStop: () => finished() >= warmup + iterations,
    waitWhilePaused: async () => {
      marks.push({ start: performance.now() });
    },
    sampling: () => DEFAULT_SAMPLING,
  };
  const run = new GrpoRun({ method: 'grpo', config, from, rewards: [{ kind: 'gold' }] }, { rewardFunctions: [timedGold] });
  try {
    await run.run((events) => {
      for (const e of events) {
        if (e.type !== 'metrics') continue;
        marks[marks.length - 1].end = performance.now();
        lengths.push(...e.rows.map((r) => r['completions/mean_length'] ?? NaN));
      }
    }, controls);
  } finally {
    run.dispose();
    gold.dispose?.();
  }
  const timed = marks.filter((m) => m.end !== undefined).slice(warmup);
  const lengthsTimed = lengths.slice(warmup);
  return {
    setup: `fresh random ${preset} model (seed 0), BPE tokenizer of ${tok.vocabSize} tokens trained on 500 generated stories, default GrpoConfig, gold score`,
    completions_per_step: config.per_device_train_batch_size,
    num_generations: config.num_generations,
    max_completion_length: config.max_completion_length,
    num_iterations: config.num_iterations,
    vocab: tok.vocabSize,
    iterations: timed.length,
    medianRolloutMs: round2(median(timed.map((m) => m.scored! - m.start))),
    medianUpdateMs: round2(median(timed.map((m) => m.end! - m.scored!))),
    medianIterationMs: round2(median(timed.map((m) => m.end! - m.start))),
    meanCompletionLength: round2(lengthsTimed.reduce((a, b) => a + b, 0) / Math.max(1, lengthsTimed.length)),
    leakedTensors: tf.memory().numTensors - tensorsBefore,
  };
}
