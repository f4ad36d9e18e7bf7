/**
 * Adam with global-norm clipping and decoupled weight decay, as one wasm pass per variable
 * (kernels/adam.wat) on tfjs's wasm backend. tfjs's AdamOptimizer runs ~10 elementwise kernels per
 * variable, and clipping two more: with ~25 variables that is ~300 dispatches a step, whose
 * bookkeeping cost more than their arithmetic.
 *
 * The caller still creates a tf.AdamOptimizer (tf.train.adam(lr, beta1, beta2, epsilon)): its
 * hyperparameters are read from it, and its dispose() also frees the moments kept here. The update
 * is tfjs's, operation for operation, in float32: bias-corrected moments, epsilon added outside the
 * square root. On other backends, or where the module cannot run, `applyFusedAdam` returns false
 * and the caller uses the optimizer itself. The moments live in one place or the other, so a run
 * that switches backend mid-way restarts them (no such switch happens inside a run today).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { wasmAdamKernel } from '../kernels/wasmAdam.ts';

/** What tfjs's AdamOptimizer holds (its fields are protected in the typings). */
interface AdamFields {
  beta1: number;
  beta2: number;
  epsilon: number;
}

export interface FusedAdamOptions {
  /** Global-norm clipping threshold; 0 turns clipping off. */
  maxGradNorm: number;
  weightDecay: number;
  /** The variables that decay (weight matrices). */
  decayed: ReadonlySet<tf.Variable>;
}

/** Moments per variable and the running powers of beta1 and beta2, per optimizer. */
class AdamState {
  readonly moments = new Map<tf.Variable, { m: tf.Tensor; v: tf.Tensor }>();
  /** beta^t, multiplied in float32 as tfjs's accBeta1/accBeta2 scalars are. */
  beta1Power = 1;
  beta2Power = 1;

  momentsOf(variable: tf.Variable): { m: tf.Tensor; v: tf.Tensor } {
    let s = this.moments.get(variable);
    if (!s) {
      // Kept: these outlive the step's tf.tidy, like the optimizer's own accumulators.
      s = { m: tf.keep(tf.zeros(variable.shape)), v: tf.keep(tf.zeros(variable.shape)) };
      this.moments.set(variable, s);
    }
    return s;
  }

  dispose(): void {
    for (const { m, v } of this.moments.values()) tf.dispose([m, v]);
    this.moments.clear();
  }
}

const states = new WeakMap<tf.Optimizer, AdamState>();

/** The state of `optimizer`, created on first use; the optimizer's dispose() frees it too. */
function stateOf(optimizer: tf.Optimizer): AdamState {
  let state = states.get(optimizer);
  if (!state) {
    const created = new AdamState();
    const dispose = optimizer.dispose.bind(optimizer);
    optimizer.dispose = () => {
      created.dispose();
      dispose();
    };
    states.set(optimizer, created);
    state = created;
  }
  return state;
}

/** Byte offset of a tensor's data in the wasm heap, moving it there first if it lives elsewhere. */
function offsetOf(backend: BackendWasm, t: tf.Tensor): number {
  const engine = tf.engine() as unknown as {
    state: { tensorInfo: WeakMap<object, { backend: unknown }> };
    moveData(backend: unknown, dataId: object): void;
  };
  if (engine.state.tensorInfo.get(t.dataId)?.backend !== backend) engine.moveData(backend, t.dataId);
  return backend.getMemoryOffset(t.dataId);
}

/**
 * One Adam step of `variables` given their gradients (same order), in the wasm kernel. Call inside
 * the step's tf.tidy. Returns false, changing nothing, where the kernel is not available.
 */
export function applyFusedAdam(
  optimizer: tf.Optimizer, variables: tf.Variable[], grads: tf.Tensor[], learningRate: number, opts: FusedAdamOptions,
): boolean {
  const wasm = wasmAdamKernel();
  if (!wasm || !(optimizer instanceof tf.AdamOptimizer)) return false;
  if (grads.some((g) => g.dtype !== 'float32') || variables.some((v) => v.dtype !== 'float32')) return false;
  const { backend, kernel } = wasm;
  const { beta1, beta2, epsilon } = optimizer as unknown as AdamFields;
  const state = stateOf(optimizer);

  const gradOffsets = grads.map((g) => offsetOf(backend, g));
  let gScale = 1;
  if (opts.maxGradNorm > 0) {
    let sumSquares = 0;
    grads.forEach((g, i) => (sumSquares += kernel.sumSquares(gradOffsets[i], g.size)));
    gScale = Math.min(1, opts.maxGradNorm / (Math.sqrt(sumSquares) + 1e-6));
  }

  const f = Math.fround;
  state.beta1Power = f(state.beta1Power * f(beta1));
  state.beta2Power = f(state.beta2Power * f(beta2));
  const d1 = f(1 - state.beta1Power);
  const d2 = f(1 - state.beta2Power);
  const keep = opts.weightDecay > 0 ? 1 - learningRate * opts.weightDecay : 1;

  variables.forEach((variable, i) => {
    if (variable.size === 0) return;
    const { m, v } = state.momentsOf(variable);
    // A fresh buffer for the new weights, assigned like tfjs's optimizer does: anything sharing the
    // variable's old buffer (a clone, a reshape) keeps its values.
    const out = tf.engine().makeTensorFromTensorInfo(backend.makeOutput(variable.shape, 'float32'));
    kernel.adam(
      offsetOf(backend, variable), gradOffsets[i], offsetOf(backend, m), offsetOf(backend, v), offsetOf(backend, out), variable.size,
      gScale, beta1, beta2, learningRate, d1, d2, epsilon, opts.decayed.has(variable) ? keep : 1,
    );
    variable.assign(out);
  });
  return true;
}
