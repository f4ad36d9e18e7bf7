/**
 * Timing of PPO iterations (rollout + update) for a model preset on the active backend, as
 * `npm run bench` reports it beside the training step. It runs the trainer itself (PpoRun) with the
 * default PpoRunConfig and the gold score, from a fresh random model of the preset's shape and a
 * BPE tokenizer of 512 tokens trained on generated stories (so the prompts fit every preset's context).
 *
 * The two phases are told apart from outside the trainer: the run's controls mark each
 * iteration's start, the scorer the end of its rollout (sampling the responses, the policy, value
 * and reference forward passes, the scores), the metrics event the end of its update (KL-penalised
 * rewards, GAE, num_ppo_epochs x num_mini_batches clipped updates). A random model rarely samples
 * end-of-text, so responses run to response_length: the rollout's worst case.
 */
import * as tf from '@tensorflow/tfjs';
import { generateStories, storyTexts } from '../data/storyCorpus.ts';
import { checkpointFiles } from '../model/checkpoint.ts';
import { MODEL_PRESETS, type ModelPresetName } from '../model/config.ts';
import { GPT } from '../model/gpt.ts';
import { goldScorer, type PpoScorer } from '../ppo/ppoReward.ts';
import { defaultPpoRunConfig, rolloutBatchSize } from '../ppo/ppoRunConfig.ts';
import { PpoRun } from '../ppo/ppoTrainer.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { trainTokenizer } from '../tokenizer/tokenizers.ts';
import { DEFAULT_SAMPLING } from '../train/defaults.ts';
import type { RunControls } from '../train/runControls.ts';

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

const VOCAB = 512;
let tokenizer: Tokenizer | null = null;

/** Trained once (about 0.4 s) and reused for every preset (and by grpoBenchmark.ts). */
export function benchTokenizer(): Tokenizer {
  tokenizer ??= trainTokenizer({ kind: 'bpe', vocabSize: VOCAB }, storyTexts(generateStories(500, 1)).join('\n'));
  return tokenizer;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export async function benchmarkPpoIteration(preset: ModelPresetName, iterations: number): Promise<PpoIterationBench> {
  const warmup = 1;
  const tok = benchTokenizer();
  const { label: _l, ...shape } = MODEL_PRESETS[preset];
  const config = { ...defaultPpoRunConfig(), save_steps: 1_000_000, max_steps: 1_000_000 }; // no checkpoint inside the timed iterations
  const tensorsBefore = tf.memory().numTensors;
  const model = GPT.create({ ...shape, vocab_size: tok.vocabSize }, 0);
  const from = await checkpointFiles(model, tok, { stage: 'bench', step: 0, run_config: null });
  model.dispose();

  const marks: { start: number; scored?: number; end?: number }[] = [];
  const lengths: number[] = [];
  const finished = () => marks.filter((m) => m.end !== undefined).length;
  const gold = goldScorer();
  const scorer: PpoScorer = {
    async score(prompts, completions) {
      const scores = await gold.score(prompts, completions);
      marks[marks.length - 1].scored = performance.now();
      return scores;
    },
    dispose: () => gold.dispose(),
  };
  const controls: RunControls = {
    shouldStop: () => finished() >= warmup + iterations,
    waitWhilePaused: async () => {
      marks.push({ start: performance.now() });
    },
    sampling: () => DEFAULT_SAMPLING,
  };
  const run = new PpoRun({ config, from, reward: { kind: 'gold' } }, { scorer });
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
  }
  const timed = marks.filter((m) => m.end !== undefined).slice(warmup);
  const lengthsTimed = lengths.slice(warmup);
  return {
    setup: `fresh random ${preset} model (seed 0), BPE tokenizer of ${VOCAB} tokens trained on 500 generated stories, default PpoRunConfig, gold score`,
    batch: rolloutBatchSize(config),
    response_length: config.response_length,
    num_ppo_epochs: config.num_ppo_epochs,
    num_mini_batches: config.num_mini_batches,
    vocab: tok.vocabSize,
    iterations: timed.length,
    medianRolloutMs: round2(median(timed.map((m) => m.scored! - m.start))),
    medianUpdateMs: round2(median(timed.map((m) => m.end! - m.scored!))),
    medianIterationMs: round2(median(timed.map((m) => m.end! - m.start))),
    meanResponseLength: round2(lengthsTimed.reduce((a, b) => a + b, 0) / Math.max(1, lengthsTimed.length)),
    leakedTensors: tf.memory().numTensors - tensorsBefore,
  };
}
