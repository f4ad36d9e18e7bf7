/**
 * Times the iterations of an on-policy run (PPO, GRPO) for a model preset on the active backend,
 * as `npm run bench` reports them beside the training step. The run is the trainer itself, from a
 * fresh random model of the preset's shape and a BPE tokenizer of 512 tokens trained on generated
 * stories (so the built-in prompts fit every preset's context).
 *
 * The two phases are told apart from outside the trainer: the run's controls mark each
 * iteration's start, the run's scorer calls `scored()` at the end of its rollout, and the metrics
 * event marks the end of its update. One untimed warm-up iteration comes first. A random model
 * rarely samples end-of-text, so completions run to their length limit: the rollout's worst case.
 */
import * as tf from '@tensorflow/tfjs';
import { generateStories, storyTexts } from '../data/storyCorpus.ts';
import { checkpointFiles } from '../model/checkpoint.ts';
import { MODEL_PRESETS, type ModelPresetName } from '../model/config.ts';
import { GPT } from '../model/gpt.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { trainTokenizer } from '../tokenizer/tokenizers.ts';
import { DEFAULT_SAMPLING } from '../train/defaults.ts';
import type { CheckpointFiles } from '../train/pretrainConfig.ts';
import type { RunControls } from '../train/runControls.ts';
import type { TrainingJob } from './engineApi.ts';

export const BENCH_VOCAB = 512;
let tokenizer: Tokenizer | null = null;

/** Trained once (about 0.4 s) and reused for every preset. */
export function benchTokenizer(): Tokenizer {
  tokenizer ??= trainTokenizer({ kind: 'bpe', vocabSize: BENCH_VOCAB }, storyTexts(generateStories(500, 1)).join('\n'));
  return tokenizer;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export interface IterationTimes {
  vocab: number;
  /** Timed iterations (after one untimed warm-up iteration). */
  iterations: number;
  medianRolloutMs: number;
  medianUpdateMs: number;
  medianIterationMs: number;
  /** completions/mean_length over the timed iterations. */
  meanLength: number;
  /** tf.memory().numTensors after the run minus before: must be 0. */
  leakedTensors: number;
}

/**
 * Runs the job `start` makes from a fresh model of the preset for `iterations` timed iterations;
 * the job's scorer must call `scored()` once per iteration, when the rollout's scores are in.
 */
export async function timeIterations(preset: ModelPresetName, iterations: number, start: (from: CheckpointFiles, scored: () => void) => TrainingJob): Promise<IterationTimes> {
  const warmup = 1;
  const tok = benchTokenizer();
  const { label: _l, ...shape } = MODEL_PRESETS[preset];
  const tensorsBefore = tf.memory().numTensors;
  const model = GPT.create({ ...shape, vocab_size: tok.vocabSize }, 0);
  const from = await checkpointFiles(model, tok, { stage: 'bench', step: 0, run_config: null });
  model.dispose();

  const marks: { start: number; scored?: number; end?: number }[] = [];
  const lengths: number[] = [];
  const finished = () => marks.filter((m) => m.end !== undefined).length;
  const controls: RunControls = {
    shouldStop: () => finished() >= warmup + iterations,
    waitWhilePaused: async () => {
      marks.push({ start: performance.now() });
    },
    sampling: () => DEFAULT_SAMPLING,
  };
  const job = start(from, () => {
    marks[marks.length - 1].scored = performance.now();
  });
  try {
    await job.run((events) => {
      for (const e of events) {
        if (e.type !== 'metrics') continue;
        marks[marks.length - 1].end = performance.now();
        lengths.push(...e.rows.map((r) => r['completions/mean_length'] ?? NaN));
      }
    }, controls);
  } finally {
    job.dispose();
  }
  const timed = marks.filter((m) => m.end !== undefined).slice(warmup);
  const lengthsTimed = lengths.slice(warmup);
  return {
    vocab: tok.vocabSize,
    iterations: timed.length,
    medianRolloutMs: round2(median(timed.map((m) => m.scored! - m.start))),
    medianUpdateMs: round2(median(timed.map((m) => m.end! - m.scored!))),
    medianIterationMs: round2(median(timed.map((m) => m.end! - m.start))),
    meanLength: round2(lengthsTimed.reduce((a, b) => a + b, 0) / Math.max(1, lengthsTimed.length)),
    leakedTensors: tf.memory().numTensors - tensorsBefore,
  };
}
