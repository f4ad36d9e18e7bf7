/**
 * The fused wasm kernels behind ops.ts (kernels/layerNorm.wat, kernels/fusedOps.wat): LayerNorm,
 * the causal attention softmax, quick GELU, cross-entropy, the attention head moves, the bias add
 * and the embedding lookup give the values
 * and gradients of the same functions written in tfjs ops on the cpu backend, leave no tensor
 * behind, and their committed bytes match the sources.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { kernelModuleText } from '../../scripts/kernelAssembler.ts';
import { addRowVector, causalSoftmax, crossEntropy, embedding, layerNorm, mergeHeads, quickGelu, splitHeads } from '../../src/core/model/ops.ts';
import { Rng } from '../../src/core/rng.ts';
import { setupWasm } from './tfSetup.ts';

const rng = new Rng(11);
const randn = (n: number, scale = 1) => Float32Array.from({ length: n }, () => rng.normal() * scale);
const ints = (n: number, max: number) => Int32Array.from({ length: n }, () => rng.int(max));

/** The value of f and its gradients with respect to the float inputs, on the active backend. */
function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: { data: Float32Array; shape: number[] }[]): Float32Array[] {
  return tf.tidy(() => {
    const xs = inputs.map((x) => tf.tensor(x.data, x.shape));
    // A fixed random weighting of the output, so every output element's gradient matters.
    const g = (...args: tf.Tensor[]) => {
      const y = f(...args);
      return tf.sum(tf.mul(y, tf.tensor(Float32Array.from({ length: y.size }, (_, i) => Math.sin(i * 0.7)), y.shape)));
    };
    const { value, grads } = tf.valueAndGrads(g)(xs);
    return [f(...xs).dataSync() as Float32Array, value.dataSync() as Float32Array, ...grads.map((d) => d.dataSync() as Float32Array)];
  });
}

async function compare(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: { data: Float32Array; shape: number[] }[], tol = 1e-4): Promise<void> {
  await setupWasm();
  const before = tf.memory().numTensors;
  const onWasm = valueAndGrads(f, inputs);
  expect(tf.memory().numTensors).toBe(before);
  await tf.setBackend('cpu');
  const onCpu = valueAndGrads(f, inputs);
  await setupWasm();
  onCpu.forEach((ref, i) => {
    expect(onWasm[i].length).toBe(ref.length);
    ref.forEach((v, j) => expect(Math.abs(onWasm[i][j] - v), `output ${i}, element ${j}`).toBeLessThan(tol * Math.max(1, Math.abs(v))));
  });
}

describe('fused wasm kernels against tfjs ops', () => {
  beforeAll(setupWasm);

  it('LayerNorm: values and the gradients of x, gain and bias', async () => {
    await compare((x, g, b) => layerNorm(x as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D),
      [{ data: randn(7 * 12, 3), shape: [7, 12] }, { data: randn(12), shape: [12] }, { data: randn(12), shape: [12] }]);
  });

  it('causal softmax: values and the gradient of the scores, for several query lengths', async () => {
    for (const T of [4, 8, 12]) {
      const mask = tf.tidy(() => tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([T, T]), -1, 0)), -1e9));
      await compare((s) => causalSoftmax(s, 0.37, mask), [{ data: randn(2 * 3 * T * T, 4), shape: [2, 3, T, T] }]);
      mask.dispose();
    }
  });

  it('quick GELU: values and gradient over a wide range', async () => {
    await compare((x) => quickGelu(x), [{ data: randn(4 * 16, 5), shape: [4, 16] }]);
  });

  it('cross-entropy: the mean loss and the gradient of the logits', async () => {
    const targets = ints(6, 8);
    await compare((x) => crossEntropy(x as tf.Tensor2D, tf.tensor1d(targets, 'int32')), [{ data: randn(6 * 8, 3), shape: [6, 8] }]);
  });

  it('attention heads: split of q, k, v and merge back, values and gradients', async () => {
    // B 2, T 3, H 2, dh 4: x [6, 3 * 8]; each split part weighted differently so the gradient tells them apart.
    await compare((x) => {
      const [q, k, v] = splitHeads(x as tf.Tensor2D, 2, 2, 3);
      return tf.add(tf.mul(q, 1), tf.add(tf.mul(k, 2), tf.mul(v, -3)));
    }, [{ data: randn(6 * 24), shape: [6, 24] }]);
    await compare((y) => mergeHeads([y as tf.Tensor4D]), [{ data: randn(2 * 2 * 3 * 4), shape: [2, 2, 3, 4] }]);
    await compare((a, b) => mergeHeads([a as tf.Tensor4D, b as tf.Tensor4D]), [
      { data: randn(2 * 2 * 3 * 4), shape: [2, 2, 3, 4] }, { data: randn(2 * 2 * 3 * 4), shape: [2, 2, 3, 4] },
    ]);
  });

  it('bias add: values and the gradients of the rows and the bias', async () => {
    await compare((x, b) => addRowVector(x as tf.Tensor2D, b as tf.Tensor1D), [{ data: randn(5 * 8), shape: [5, 8] }, { data: randn(8), shape: [8] }]);
  });

  it('embedding: the rows looked up and the gradient of the table (repeated ids add up)', async () => {
    const ids = Int32Array.from([3, 1, 3, 0, 5, 3]);
    await compare((t) => embedding(tf.tensor1d(ids, 'int32'), t as tf.Tensor2D), [{ data: randn(6 * 8), shape: [6, 8] }]);
  });
});

describe('the committed kernel bytes', () => {
  for (const source of ['layerNorm.wat', 'fusedOps.wat']) {
    it(`are the assembly of ${source}`, async () => {
      const dir = new URL('../../src/core/kernels/', import.meta.url);
      const text = readFileSync(new URL(source, dir), 'utf8');
      const output = source.replace('.wat', 'Wasm.ts');
      expect(readFileSync(new URL(output, dir), 'utf8')).toBe(await kernelModuleText(text, source, false));
    });
  }
});
