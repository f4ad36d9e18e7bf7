/**
 * The few tensor operations the GPT is made of, with gradients chosen per backend for speed.
 *
 * On the wasm backend reductions over the first axis take a slow scalar path, so the gradients
 * of biases and LayerNorm gains (a sum over rows) are computed as ones[1, N] @ dy, a matMul.
 * MatMuls themselves run on kernels/batchMatMul.wat, which takes transpose flags at full speed.
 * Where that kernel cannot load, tfjs-wasm runs only plain untransposed 2-D matMuls fast (on
 * XNNPACK), so the matMul gradient is rewritten to multiply by materialised transposes,
 * transposing the smaller operand (dW = aᵀ·dy as (dyᵀ·a)ᵀ when dy is smaller than a).
 * On wasm, LayerNorm, the causal attention softmax, quick GELU, cross-entropy, the embedding
 * lookup, the bias add and the moves of attention heads are one kernel each way of our own
 * (kernels/layerNorm.wat, kernels/fusedOps.wat) instead of 2-25 tfjs kernels: a training step of
 * the `ref` model went from ~600 kernel dispatches to ~200, and tfjs's bookkeeping per dispatch
 * cost more than the arithmetic of most of them.
 * On webgl, webgpu and cpu the built-in gradients are as fast or faster, so they stay.
 */
import * as tf from '@tensorflow/tfjs';
import {
  ADD_BIAS, CAUSAL_SOFTMAX, CAUSAL_SOFTMAX_GRAD, CROSS_ENTROPY, CROSS_ENTROPY_GRAD, EMBEDDING, EMBEDDING_GRAD, HEADS_MERGE, HEADS_SPLIT, QUICK_GELU, QUICK_GELU_GRAD,
} from '../kernels/wasmFusedOps.ts';
import { LAYER_NORM, LAYER_NORM_GRAD } from '../kernels/wasmLayerNorm.ts';

let onWasm = false;
/** On wasm without the SIMD matMul kernel: keep transpose flags out of matMul gradients. */
let transposeFreeMatMul = false;
/** On wasm with kernels/layerNorm.wat registered: LayerNorm is one kernel each way. */
let wasmLayerNorm = false;
/** On wasm with kernels/fusedOps.wat registered: softmax, GELU, cross-entropy, heads, bias likewise. */
let wasmFusedOps = false;

type GradResult = { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] };

/** tf.customGrad with the tensor arguments typed (its own typing lumps them with the save function). */
function customGrad<A extends tf.Tensor[]>(f: (...args: [...A, tf.GradSaveFunc]) => GradResult): (...args: A) => tf.Tensor {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...args: A) => tf.Tensor;
}

/**
 * Called when the backend is chosen. `simdMatMul`: the wasm backend runs kernels/batchMatMul.wat,
 * which takes transpose flags at full speed, so tfjs's own matMul gradient is the fast one.
 */
export function configureOpsForBackend(backend: string, simdMatMul = false, layerNormKernel = false, fusedOpsKernel = false): void {
  onWasm = backend === 'wasm';
  transposeFreeMatMul = onWasm && !simdMatMul;
  wasmLayerNorm = onWasm && layerNormKernel;
  wasmFusedOps = onWasm && fusedOpsKernel;
}

/**
 * Whether a wasm kernel of ours may run now: installed, and wasm still the active backend (a test
 * or a tool may switch backends with tf.setBackend, bypassing configureOpsForBackend).
 */
function wasmKernel(installed: boolean): boolean {
  return installed && tf.getBackend() === 'wasm';
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
  if (wasmKernel(wasmFusedOps) && x.shape[1] % 4 === 0 && x.dtype === 'float32') {
    return tf.engine().runKernel(ADD_BIAS, { x, bias: v }, {}) as tf.Tensor2D;
  }
  return (onWasm ? addBiasWasm(x, v) : tf.add(x, v)) as tf.Tensor2D;
}

/** LayerNorm in the wasm kernels, one customGrad per eps: x [N, D] -> y [N, D]. */
const fusedLayerNorms = new Map<number, (x: tf.Tensor, gain: tf.Tensor, bias: tf.Tensor) => tf.Tensor>();

function fusedLayerNorm(eps: number): (x: tf.Tensor, gain: tf.Tensor, bias: tf.Tensor) => tf.Tensor {
  let f = fusedLayerNorms.get(eps);
  if (!f) {
    f = customGrad((x: tf.Tensor, gain: tf.Tensor, bias: tf.Tensor, save: tf.GradSaveFunc) => {
      // y [N, D]; xhat [N, D] and rstd [N] are what the gradient needs.
      const [y, xhat, rstd] = tf.engine().runKernel(LAYER_NORM, { x, gain, bias }, { eps }) as tf.Tensor[];
      save([xhat, rstd, gain]);
      return {
        value: y,
        // -> dx [N, D], dgain [D], dbias [D]
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [sx, sr, sg] = saved;
          return tf.engine().runKernel(LAYER_NORM_GRAD, { dy, xhat: sx, rstd: sr, gain: sg }, {}) as tf.Tensor[];
        },
      };
    });
    fusedLayerNorms.set(eps, f);
  }
  return f;
}

/**
 * Rows of `table` [V, D] at `ids` [N] (int32) -> [N, D]. On wasm a row copy and its scatter-add
 * gradient (kernels/fusedOps.wat); elsewhere oneHot(ids) @ table, since tf.gather's gradient needs
 * UnsortedSegmentSum, which tfjs-wasm lacks (and the matMul is fast on webgl/webgpu).
 */
export function embedding(ids: tf.Tensor1D, table: tf.Tensor2D): tf.Tensor2D {
  const [V, D] = table.shape;
  if (wasmKernel(wasmFusedOps) && D % 4 === 0 && table.dtype === 'float32' && ids.dtype === 'int32') {
    // Ids are captured and saved, not an input: they have no gradient.
    const f = customGrad((t: tf.Tensor, save: tf.GradSaveFunc) => {
      save([ids]);
      return {
        value: tf.engine().runKernel(EMBEDDING, { table: t, ids }, {}) as tf.Tensor,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.engine().runKernel(EMBEDDING_GRAD, { dy, ids: saved[0] }, { vocab: V }) as tf.Tensor],
      };
    });
    return f(table) as tf.Tensor2D;
  }
  return linear(tf.oneHot(ids, V).asType('float32') as tf.Tensor2D, table);
}

/** LayerNorm over the last axis of rows [N, D], eps as in PyTorch (1e-5). */
export function layerNorm(x: tf.Tensor2D, gain: tf.Tensor1D, bias: tf.Tensor1D, eps = 1e-5): tf.Tensor2D {
  // The kernel works on whole SIMD groups of four columns.
  if (wasmKernel(wasmLayerNorm) && x.shape[1] % 4 === 0 && x.dtype === 'float32') return fusedLayerNorm(eps)(x, gain, bias) as tf.Tensor2D;
  const { mean, variance } = tf.moments(x, -1, true);
  const xhat = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  return (onWasm ? scaleShiftWasm(xhat, gain, bias) : tf.add(tf.mul(xhat, gain), bias)) as tf.Tensor2D;
}

/**
 * The attention heads of each D-wide chunk of rows: x [B*T, parts*D] -> `parts` tensors
 * [B, H, T, dh] (q, k and v for parts = 3). On wasm one copy kernel (and one back for the
 * gradient); elsewhere a reshape, one transpose and a split of whole blocks.
 */
export function splitHeads(x: tf.Tensor2D, B: number, H: number, parts: number): tf.Tensor4D[] {
  const [BT, width] = x.shape;
  const T = BT / B;
  const dh = width / parts / H;
  if (wasmKernel(wasmFusedOps) && dh % 4 === 0 && x.dtype === 'float32') {
    return tf.engine().runKernel(HEADS_SPLIT, { x }, { batch: B, heads: H, parts }) as tf.Tensor4D[];
  }
  const headMajor = tf.transpose(tf.reshape(x, [B, T, parts * H, dh]), [0, 2, 1, 3]); // [B, parts*H, T, dh]
  return tf.split(tf.reshape(headMajor, [B, parts, H * T * dh]), parts, 1).map((t) => tf.reshape(t, [B, H, T, dh]) as tf.Tensor4D);
}

/** The inverse of splitHeads: `parts` tensors [B, H, T, dh] -> rows [B*T, parts*H*dh]. */
export function mergeHeads(heads: tf.Tensor4D[]): tf.Tensor2D {
  const [B, H, T, dh] = heads[0].shape;
  if (wasmKernel(wasmFusedOps) && dh % 4 === 0 && heads.every((t) => t.dtype === 'float32')) {
    const inputs = Object.fromEntries(heads.map((t, i) => [String(i), t])); // named 0, 1, ...
    return tf.engine().runKernel(HEADS_MERGE, inputs, { batch: B, heads: H, parts: heads.length }) as tf.Tensor2D;
  }
  const rows = heads.map((t) => tf.transpose(t, [0, 2, 1, 3])); // each [B, T, H, dh]
  return tf.reshape(rows.length === 1 ? rows[0] : tf.concat(rows, 2), [B * T, heads.length * H * dh]) as tf.Tensor2D;
}

/** Quick GELU in the wasm kernels: x -> y, same shape. */
const fusedQuickGelu = customGrad((x: tf.Tensor, save: tf.GradSaveFunc) => {
  // The sigmoid is kept so that the gradient needs no exp.
  const [y, sig] = tf.engine().runKernel(QUICK_GELU, { x }, {}) as tf.Tensor[];
  save([x, sig]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.engine().runKernel(QUICK_GELU_GRAD, { x: saved[0], sig: saved[1], dy }, {}) as tf.Tensor],
  };
});

/** GELU in its sigmoid form x * sigmoid(1.702 x) ("quick_gelu"), as the PyTorch reference uses. */
export function quickGelu(x: tf.Tensor): tf.Tensor {
  if (wasmKernel(wasmFusedOps) && x.size % 4 === 0 && x.dtype === 'float32') return fusedQuickGelu(x);
  return tf.mul(x, tf.sigmoid(tf.mul(x, 1.702)));
}

/** The causal softmax in the wasm kernels, one customGrad per scale: scores [..., T, T] -> p. */
const fusedCausalSoftmaxes = new Map<number, (scores: tf.Tensor) => tf.Tensor>();

function fusedCausalSoftmax(scale: number): (scores: tf.Tensor) => tf.Tensor {
  let f = fusedCausalSoftmaxes.get(scale);
  if (!f) {
    f = customGrad((scores: tf.Tensor, save: tf.GradSaveFunc) => {
      const p = tf.engine().runKernel(CAUSAL_SOFTMAX, { scores }, { scale }) as tf.Tensor;
      save([p]);
      return {
        value: p,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.engine().runKernel(CAUSAL_SOFTMAX_GRAD, { p: saved[0], dp: dy }, { scale }) as tf.Tensor],
      };
    });
    fusedCausalSoftmaxes.set(scale, f);
  }
  return f;
}

/**
 * Attention weights softmax(scale * scores + mask) over keys: scores [..., T, T] -> [..., T, T].
 * `mask` [T, T] must be the causal mask (0 on and below the diagonal, -1e9 above): the wasm kernel
 * applies it by index (query i sees keys j <= i) instead of reading it, in one pass each way.
 */
export function causalSoftmax(scores: tf.Tensor, scale: number, mask: tf.Tensor): tf.Tensor {
  const T = scores.shape[scores.rank - 1];
  if (wasmKernel(wasmFusedOps) && T % 4 === 0 && scores.dtype === 'float32') return fusedCausalSoftmax(scale)(scores);
  return tf.softmax(tf.add(tf.mul(scores, scale), mask));
}

/**
 * Mean softmax cross-entropy (nats) of logits [N, V] against integer targets [N]. On wasm one
 * kernel each way; elsewhere logSoftmax and a one-hot pick.
 */
export function crossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  const V = logits.shape[1];
  if (wasmKernel(wasmFusedOps) && V % 4 === 0 && logits.dtype === 'float32' && targets.dtype === 'int32') {
    // Targets are captured, not an input (they have no gradient), but saved: tfjs disposes what
    // the forward pass created and did not save before the backward pass runs.
    const f = customGrad((x: tf.Tensor, save: tf.GradSaveFunc) => {
      // loss [], lse [N] (each row's log-sum-exp, for the gradient)
      const [loss, lse] = tf.engine().runKernel(CROSS_ENTROPY, { logits: x, targets }, {}) as tf.Tensor[];
      save([x, lse, targets]);
      return {
        value: loss,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
          tf.engine().runKernel(CROSS_ENTROPY_GRAD, { logits: saved[0], lse: saved[1], targets: saved[2], dy }, {}) as tf.Tensor,
        ],
      };
    });
    return f(logits) as tf.Scalar;
  }
  const logp = tf.logSoftmax(logits);
  const onehot = tf.oneHot(targets, V).asType('float32');
  return tf.neg(tf.mean(tf.sum(tf.mul(logp, onehot), -1))) as tf.Scalar;
}
