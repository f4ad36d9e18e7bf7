/**
 * The few tensor operations the GPT is made of, with gradients chosen per backend for speed.
 *
 * On the wasm backend reductions over the first axis take a slow scalar path, so the gradients
 * of biases and LayerNorm gains (a sum over rows) are computed as ones[1, N] @ dy, a matMul.
 * MatMuls themselves run on kernels/batchMatMul.wat, which takes transpose flags at full speed.
 * Where that kernel cannot load, tfjs-wasm runs only plain untransposed 2-D matMuls fast (on
 * XNNPACK), so the matMul gradient is rewritten to multiply by materialised transposes,
 * transposing the smaller operand (dW = aᵀ·dy as (dyᵀ·a)ᵀ when dy is smaller than a).
 * On webgl, webgpu and cpu the built-in gradients are as fast or faster, so they stay.
 */
import * as tf from '@tensorflow/tfjs';

let onWasm = false;
/** On wasm without the SIMD matMul kernel: keep transpose flags out of matMul gradients. */
let transposeFreeMatMul = false;

type GradResult = { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] };

/** tf.customGrad with the tensor arguments typed (its own typing lumps them with the save function). */
function customGrad<A extends tf.Tensor[]>(f: (...args: [...A, tf.GradSaveFunc]) => GradResult): (...args: A) => tf.Tensor {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...args: A) => tf.Tensor;
}

/**
 * Called when the backend is chosen. `simdMatMul`: the wasm backend runs kernels/batchMatMul.wat,
 * which takes transpose flags at full speed, so tfjs's own matMul gradient is the fast one.
 */
export function configureOpsForBackend(backend: string, simdMatMul = false): void {
  onWasm = backend === 'wasm';
  transposeFreeMatMul = onWasm && !simdMatMul;
}

/** Sum over rows as a matMul: x [N, K] -> [K]. */
function sumRows(x: tf.Tensor2D): tf.Tensor1D {
  return tf.reshape(tf.matMul(tf.ones([1, x.shape[0]]), x), [x.shape[1]]) as tf.Tensor1D;
}

/** aᵀ·dy for a [M, K], dy [M, N] -> [K, N], transposing whichever operand is smaller. */
function transposedProduct(a: tf.Tensor2D, dy: tf.Tensor2D): tf.Tensor2D {
  if (dy.shape[1] < a.shape[1]) return tf.transpose(tf.matMul(tf.transpose(dy), a)) as tf.Tensor2D;
  return tf.matMul(tf.transpose(a), dy) as tf.Tensor2D;
}

const matMul2dWasm = customGrad((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as tf.Tensor2D[];
      return [tf.matMul(dy, tf.transpose(sb)), transposedProduct(sa, dy as tf.Tensor2D)];
    },
  };
});

const addBiasWasm = customGrad((x: tf.Tensor, bias: tf.Tensor, save: tf.GradSaveFunc) => {
  save([]);
  return { value: tf.add(x, bias), gradFunc: (dy: tf.Tensor) => [tf.reshape(dy, dy.shape), sumRows(dy as tf.Tensor2D)] };
});

/** xhat * gain + bias on rows [N, D] (the affine part of LayerNorm). */
const scaleShiftWasm = customGrad((xhat: tf.Tensor, gain: tf.Tensor, bias: tf.Tensor, save: tf.GradSaveFunc) => {
  save([xhat, gain]);
  return {
    value: tf.add(tf.mul(xhat, gain), bias),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sg] = saved;
      return [tf.mul(dy, sg), sumRows(tf.mul(dy, sx) as tf.Tensor2D), sumRows(dy as tf.Tensor2D)];
    },
  };
});

/**
 * Batched a @ b ([..., M, K] @ [..., K, N] or with bᵀ given as [..., N, K] when transposeB).
 * Batched products never reach XNNPACK on wasm, so the built-in gradient (flags) is used everywhere.
 */
export function batchMatMul(a: tf.Tensor, b: tf.Tensor, transposeB = false): tf.Tensor {
  return tf.matMul(a, b, false, transposeB);
}

/** x [N, in] @ w [in, out] (+ bias [out]) -> [N, out]. */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor2D {
  const y = (transposeFreeMatMul ? matMul2dWasm(x, w) : tf.matMul(x, w)) as tf.Tensor2D;
  return bias ? addRowVector(y, bias) : y;
}

/** x [N, K] + v [K] on every row. */
export function addRowVector(x: tf.Tensor2D, v: tf.Tensor1D): tf.Tensor2D {
  return (onWasm ? addBiasWasm(x, v) : tf.add(x, v)) as tf.Tensor2D;
}

/** LayerNorm over the last axis of rows [N, D], eps as in PyTorch (1e-5). */
export function layerNorm(x: tf.Tensor2D, gain: tf.Tensor1D, bias: tf.Tensor1D, eps = 1e-5): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  const xhat = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  return (onWasm ? scaleShiftWasm(xhat, gain, bias) : tf.add(tf.mul(xhat, gain), bias)) as tf.Tensor2D;
}

/** GELU in its sigmoid form x * sigmoid(1.702 x) ("quick_gelu"), as the PyTorch reference uses. */
export function quickGelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(tf.mul(x, 1.702)));
}
