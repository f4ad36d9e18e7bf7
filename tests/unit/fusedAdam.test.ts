/**
 * Adam in one wasm pass per variable (src/core/kernels/adam.wat, src/core/train/fusedAdam.ts):
 * the same weights as tf.train.adam through tfjs's own ops (on the cpu backend) after a few steps
 * with clipping and weight decay, no tensor left behind, and the committed bytes match the source.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { kernelModuleText } from '../../scripts/kernelAssembler.ts';
import { wasmAdamKernel } from '../../src/core/kernels/wasmAdam.ts';
import { Rng } from '../../src/core/rng.ts';
import { makeOptimizerStep } from '../../src/core/train/trainStep.ts';
import { setupWasm } from './tfSetup.ts';

/** Variables of awkward sizes (tails of 1-3 elements after the SIMD groups), named like a model's. */
function makeParams(seed: number): Map<string, tf.Variable> {
  const rng = new Rng(seed);
  const shapes: Record<string, number[]> = { 'a.weight': [5, 7], 'a.bias': [7], 'b.weight': [7, 4], 'ln.weight': [3] };
  const params = new Map<string, tf.Variable>();
  for (const [name, shape] of Object.entries(shapes)) {
    const init = tf.tensor(Float32Array.from({ length: shape.reduce((x, y) => x * y, 1) }, () => rng.normal()), shape);
    params.set(name, tf.variable(init, true));
    init.dispose();
  }
  return params;
}

/** A small nonlinear loss over all four variables, on a fixed input. */
function lossOf(params: Map<string, tf.Variable>, x: Float32Array): () => tf.Scalar {
  const p = (n: string) => params.get(n)! as tf.Tensor;
  return () => {
    const h = tf.tanh(tf.add(tf.matMul(tf.tensor2d(x, [2, 5]), p('a.weight')), p('a.bias')));
    const y = tf.matMul(h, p('b.weight'));
    return tf.add(tf.mean(tf.square(y)), tf.sum(tf.square(p('ln.weight')))) as tf.Scalar;
  };
}

async function train(backend: 'cpu' | 'wasm', opts: { max_grad_norm: number; weight_decay: number }, epsilon?: number): Promise<Float32Array[]> {
  if (backend === 'cpu') await tf.setBackend('cpu');
  else await setupWasm();
  const params = makeParams(1);
  const x = Float32Array.from({ length: 10 }, (_, i) => Math.sin(i + 1) * 3);
  const optimizer = tf.train.adam(0.05, 0.9, 0.999, epsilon);
  const step = makeOptimizerStep(params, optimizer, opts);
  for (let i = 0; i < 6; i++) step(lossOf(params, x), 0.05 / (1 + i)).dispose();
  const out = await Promise.all([...params.values()].map(async (v) => (await v.data()) as Float32Array));
  optimizer.dispose();
  for (const v of params.values()) v.dispose();
  return out;
}

describe('fused Adam on wasm', () => {
  beforeAll(setupWasm);

  it('is the path taken on wasm', () => {
    expect(wasmAdamKernel()).not.toBeNull();
  });

  for (const opts of [{ max_grad_norm: 0, weight_decay: 0 }, { max_grad_norm: 0.5, weight_decay: 0.1 }]) {
    it(`gives tf.train.adam's weights (clip ${opts.max_grad_norm}, decay ${opts.weight_decay})`, async () => {
      for (const epsilon of [undefined, 1e-8]) {
        const reference = await train('cpu', opts, epsilon);
        const fused = await train('wasm', opts, epsilon);
        reference.forEach((r, i) => r.forEach((value, j) => expect(Math.abs(fused[i][j] - value)).toBeLessThan(1e-5)));
      }
    });
  }

  it('keeps the tensor count flat across steps and frees its moments with the optimizer', () => {
    const n0 = tf.memory().numTensors;
    const params = makeParams(2);
    const optimizer = tf.train.adam(0.01);
    const step = makeOptimizerStep(params, optimizer, { max_grad_norm: 1, weight_decay: 0.01 });
    const x = new Float32Array(10).fill(0.5);
    const counts: number[] = [];
    for (let i = 0; i < 5; i++) {
      step(lossOf(params, x), 0.01).dispose();
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts).size).toBe(1);
    optimizer.dispose();
    for (const v of params.values()) v.dispose();
    expect(tf.memory().numTensors).toBe(n0);
  });
});

it('the committed Adam kernel bytes are the assembly of adam.wat', async () => {
  const dir = new URL('../../src/core/kernels/', import.meta.url);
  const source = readFileSync(new URL('adam.wat', dir), 'utf8');
  expect(readFileSync(new URL('adamWasm.ts', dir), 'utf8')).toBe(await kernelModuleText(source, 'adam.wat', false));
});
