/**
 * Timing of training steps (forward + backward + Adam) for a model preset on the active backend,
 * as `npm run bench` reports it. The step is the trainer's own; for `ref` it is configured as
 * plain Adam (no clipping, no weight decay) to match ../shared/bench/torch_reference.py.
 * With spec.ppoIterations, PPO and GRPO iterations of the same preset follow (ppoBenchmark.ts, grpoBenchmark.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { activeBackend } from '../backend.ts';
import { wasmAdamKernel } from '../kernels/wasmAdam.ts';
import { wasmBatchMatMulVariant } from '../kernels/wasmBatchMatMul.ts';
import { wasmFusedOpsInstalled } from '../kernels/wasmFusedOps.ts';
import { wasmLayerNormInstalled } from '../kernels/wasmLayerNorm.ts';
import { MODEL_PRESETS, type ModelPresetName } from '../model/config.ts';
import { countParameters, GPT } from '../model/gpt.ts';
import { Rng } from '../rng.ts';
import { makeTrainStep } from '../train/trainStep.ts';
import { benchmarkGrpoIteration, type GrpoIterationBench } from './grpoBenchmark.ts';
import { median } from './iterationTimer.ts';
import { benchmarkPpoIteration, type PpoIterationBench } from './ppoBenchmark.ts';

export interface BenchSpec {
  preset: ModelPresetName;
  batch: number;
  vocab: number;
  steps: number;
  warmup: number;
  /** PPO iterations, then as many GRPO iterations, to time after one warm-up iteration each (0 or absent: none). */
  ppoIterations?: number;
}

export interface BenchResult {
  backend: string;
  preset: ModelPresetName;
  nParams: number;
  batch: number;
  context: number;
  vocab: number;
  steps: number;
  medianStepMs: number;
  minStepMs: number;
  tokPerSec: number;
  medianFwdMs: number;
  /** tf.memory().numTensors after the steps minus before: must be 0. */
  leakedTensors: number;
  /** On wasm: which matMul kernel ran ('relaxed-simd' or 'simd' builds of batchMatMul.wat, or 'tfjs'). */
  matMulKernel?: string;
  /** On wasm: which of the project's other kernels ran (layerNorm, fusedOps, adam), or 'none'. */
  fusedKernels?: string;
  /** With spec.ppoIterations: rollout and update times of PPO iterations on this preset. */
  ppo?: PpoIterationBench;
  /** With spec.ppoIterations: rollout and update times of GRPO iterations (default GrpoConfig) on this preset. */
  grpo?: GrpoIterationBench;
}

/** The reference shape of torch_reference.py: vocab 64, context 64, d_model 64, 4 heads, 2 layers, batch 16. */
export const REF_BENCH: Omit<BenchSpec, 'steps' | 'warmup'> = { preset: 'ref', batch: 16, vocab: 64 };

function fusedKernelNames(): string {
  const names = [wasmLayerNormInstalled() && 'layerNorm', wasmFusedOpsInstalled() && 'fusedOps', wasmAdamKernel() && 'adam'].filter(Boolean);
  return names.length ? names.join(',') : 'none';
}

export async function benchmarkTraining(spec: BenchSpec): Promise<BenchResult> {
  const { label: _l, ...shape } = MODEL_PRESETS[spec.preset];
  const config = { ...shape, vocab_size: spec.vocab };
  const T = config.n_positions;
  const tensorsBefore = tf.memory().numTensors;
  const model = GPT.create(config, 0);
  const optimizer = tf.train.adam(1e-3);
  const step = makeTrainStep(model, optimizer, { max_grad_norm: 0, weight_decay: 0 });
  const rng = new Rng(1);
  const batch = () => Int32Array.from({ length: spec.batch * T }, () => rng.int(spec.vocab));
  const times: number[] = [];
  const fwd: number[] = [];
  try {
    for (let i = 0; i < spec.warmup + spec.steps; i++) {
      const x = batch();
      const y = batch();
      const t0 = performance.now();
      const loss = step(x, y, spec.batch, 1e-3);
      await loss.data(); // the step is done when its loss can be read
      loss.dispose();
      if (i >= spec.warmup) times.push(performance.now() - t0);
    }
    for (let i = 0; i < 5; i++) {
      const x = batch();
      const t0 = performance.now();
      const logits = tf.tidy(() => model.forward(tf.tensor2d(x, [spec.batch, T], 'int32')));
      await logits.data();
      logits.dispose();
      fwd.push(performance.now() - t0);
    }
  } finally {
    model.dispose();
    optimizer.dispose();
  }
  const m = median(times);
  const result: BenchResult = {
    backend: activeBackend(),
    preset: spec.preset,
    nParams: countParameters(config),
    batch: spec.batch,
    context: T,
    vocab: spec.vocab,
    steps: spec.steps,
    medianStepMs: Math.round(m * 100) / 100,
    minStepMs: Math.round(Math.min(...times) * 100) / 100,
    tokPerSec: Math.round((spec.batch * T) / (m / 1000)),
    medianFwdMs: Math.round(median(fwd) * 100) / 100,
    leakedTensors: tf.memory().numTensors - tensorsBefore,
    ...(activeBackend() === 'wasm' ? { matMulKernel: wasmBatchMatMulVariant() ?? 'tfjs', fusedKernels: fusedKernelNames() } : {}),
  };
  if (spec.ppoIterations) {
    result.ppo = await benchmarkPpoIteration(spec.preset, spec.ppoIterations);
    result.grpo = await benchmarkGrpoIteration(spec.preset, spec.ppoIterations);
  }
  return result;
}
