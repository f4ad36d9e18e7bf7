/**
 * The SIMD batched matMul kernel (src/core/kernels/batchMatMul.wat): both builds against a plain
 * JavaScript product on shapes that hit every tile and edge path, and the installed tfjs kernel
 * against the same reference through tf.matMul and its gradients.
 */
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { kernelModuleText } from '../../scripts/kernelAssembler.ts';
import { createBatchMatMulKernel, wasmBatchMatMulVariant, type KernelVariant } from '../../src/core/kernels/wasmBatchMatMul.ts';
import { Rng } from '../../src/core/rng.ts';
import { setupWasm } from './tfSetup.ts';

// Node 20's V8 has relaxed SIMD behind a flag (Chromium ships it): turn it on so both builds run here.
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

interface Case { batchA: number; batchB: number; m: number; k: number; n: number; transposeA: boolean; transposeB: boolean }

function randomArray(rng: Rng, length: number): Float32Array {
  return Float32Array.from({ length }, () => rng.normal());
}

/** C[b] = op(A[b]) @ op(B[b]), with A stored [M, K] (or [K, M] when transposed), B [K, N] (or [N, K]). */
function naiveBatchMatMul(a: Float32Array, b: Float32Array, c: Case): Float32Array {
  const { m, k, n } = c;
  const batch = Math.max(c.batchA, c.batchB);
  const out = new Float32Array(batch * m * n);
  for (let bi = 0; bi < batch; bi++) {
    const aOff = (c.batchA === 1 ? 0 : bi) * m * k;
    const bOff = (c.batchB === 1 ? 0 : bi) * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let kk = 0; kk < k; kk++) {
          const av = c.transposeA ? a[aOff + kk * m + i] : a[aOff + i * k + kk];
          const bv = c.transposeB ? b[bOff + j * k + kk] : b[bOff + kk * n + j];
          s += av * bv;
        }
        out[bi * m * n + i * n + j] = s;
      }
    }
  }
  return out;
}

function maxAbsDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  expect(x.length).toBe(y.length);
  let d = 0;
  for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i] - y[i]));
  return d;
}

// Tiles are 4 rows x 8 columns: these sizes cover whole tiles, row and column edges, single rows,
// an empty inner dimension, broadcast batches and all four transpose combinations; N = 256 takes
// the packed-panel path (B's rows 1 KiB apart), except with fewer than four rows.
const CASES: Case[] = [];
for (const [m, k, n] of [[4, 3, 8], [9, 5, 19], [1, 7, 13], [3, 2, 3], [8, 16, 64], [64, 16, 64], [5, 0, 6], [12, 33, 24], [10, 7, 19], [6, 4, 9], [9, 5, 256], [2, 3, 256], [5, 6, 264]]) {
  for (const transposeA of [false, true]) {
    for (const transposeB of [false, true]) {
      CASES.push({ batchA: 3, batchB: 3, m, k, n, transposeA, transposeB });
    }
  }
}
CASES.push({ batchA: 4, batchB: 1, m: 6, k: 5, n: 10, transposeA: false, transposeB: true });
CASES.push({ batchA: 1, batchB: 4, m: 6, k: 5, n: 10, transposeA: true, transposeB: false });

describe.each(['simd', 'relaxed-simd'] as KernelVariant[])('the %s build', (variant) => {
  it('matches a plain product on every tile and edge path', () => {
    const memory = new WebAssembly.Memory({ initial: 16 });
    const run = createBatchMatMulKernel(memory, variant);
    expect(run, `${variant} build validates in this engine`).not.toBeNull();
    const rng = new Rng(7);
    for (const c of CASES) {
      const batch = Math.max(c.batchA, c.batchB);
      const a = randomArray(rng, c.batchA * c.m * c.k);
      const b = randomArray(rng, c.batchB * c.k * c.n);
      // Lay out A, B, scratch and C at distinct, unaligned-to-tile offsets in the heap.
      const aPtr = 64;
      const bPtr = aPtr + a.length * 4 + 16;
      const scratchPtr = bPtr + b.length * 4 + 16;
      const cPtr = scratchPtr + c.k * (c.n + 8) * 4 + 16; // scratch: a [K, 8] panel, then [K, N]
      const heap = new Float32Array(memory.buffer);
      heap.fill(Number.NaN); // any element the kernel fails to write shows up
      heap.set(a, aPtr / 4);
      heap.set(b, bPtr / 4);
      run!(
        aPtr, bPtr, cPtr, scratchPtr, batch, c.m, c.k, c.n,
        c.batchA === 1 ? 0 : c.m * c.k * 4, c.transposeA ? 4 : c.k * 4, c.transposeA ? c.m * 4 : 4,
        c.batchB === 1 ? 0 : c.k * c.n * 4, c.transposeB ? 1 : 0,
      );
      const got = new Float32Array(memory.buffer, cPtr, batch * c.m * c.n);
      expect(maxAbsDiff(got, naiveBatchMatMul(a, b, c)), JSON.stringify(c)).toBeLessThan(1e-4);
      // Nothing written past C.
      expect(Number.isNaN(new Float32Array(memory.buffer)[(cPtr / 4) + batch * c.m * c.n])).toBe(true);
    }
  });
});

describe('the kernel installed in tfjs-backend-wasm', () => {
  beforeAll(setupWasm);

  it('is in use, and tf.matMul through it matches a plain product', () => {
    expect(wasmBatchMatMulVariant()).not.toBeNull();
    const rng = new Rng(3);
    for (const c of CASES.filter((x) => x.batchA === x.batchB)) {
      const a = randomArray(rng, c.batchA * c.m * c.k);
      const b = randomArray(rng, c.batchB * c.k * c.n);
      const got = tf.tidy(() => tf.matMul(
        tf.tensor3d(a, c.transposeA ? [c.batchA, c.k, c.m] : [c.batchA, c.m, c.k]),
        tf.tensor3d(b, c.transposeB ? [c.batchB, c.n, c.k] : [c.batchB, c.k, c.n]),
        c.transposeA, c.transposeB,
      ).dataSync());
      expect(maxAbsDiff(got, naiveBatchMatMul(a, b, c)), JSON.stringify(c)).toBeLessThan(1e-4);
    }
  });

  it('gives attention-shaped gradients equal to the cpu backend, with no tensor left behind', async () => {
    const rng = new Rng(5);
    const q = randomArray(rng, 2 * 4 * 8 * 16);
    const k = randomArray(rng, 2 * 4 * 8 * 16);
    const grads = () => tf.tidy(() => {
      const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(tf.softmax(tf.matMul(x, y, false, true)), y)));
      const [dq, dk] = tf.grads(f)([tf.tensor4d(q, [2, 4, 8, 16]), tf.tensor4d(k, [2, 4, 8, 16])]);
      return [dq.dataSync(), dk.dataSync()];
    });
    const before = tf.memory().numTensors;
    const onWasm = grads();
    expect(tf.memory().numTensors).toBe(before);
    await tf.setBackend('cpu');
    const onCpu = grads();
    await setupWasm();
    expect(maxAbsDiff(onWasm[0], onCpu[0])).toBeLessThan(1e-3);
    expect(maxAbsDiff(onWasm[1], onCpu[1])).toBeLessThan(1e-3);
  });
});

it('the committed kernel bytes are the assembly of batchMatMul.wat', async () => {
  const dir = new URL('../../src/core/kernels/', import.meta.url);
  const source = readFileSync(new URL('batchMatMul.wat', dir), 'utf8');
  const committed = readFileSync(new URL('batchMatMulWasm.ts', dir), 'utf8');
  expect(committed).toBe(await kernelModuleText(source, 'batchMatMul.wat'));
});
