/**
 * Numerically stable building blocks shared by the DPO-family losses (dpoLosses.ts, ktoLoss.ts,
 * orpoLoss.ts, cpoLoss.ts). Each works on the cpu, wasm, webgl and webgpu backends and has a
 * gradient on all of them: only ops whose kernels and gradients tfjs ships everywhere
 * (min/max/abs/exp/expm1/log1p/step/matMul), plus tf.customGrad where an op has none.
 *
 * Why: preference margins of hundreds of nats are normal (sums of token log-probs), and the
 * naive formulas overflow there: log(1 + exp(1000)) is Infinity in float32, and its gradient NaN.
 */
import * as tf from '@tensorflow/tfjs';

/** log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)): exp never sees a positive argument. */
export function softplus(x: tf.Tensor): tf.Tensor {
  return tf.add(tf.relu(x), tf.log1p(tf.exp(tf.neg(tf.abs(x)))));
}

/** log(sigmoid(x)) = -softplus(-x); finite for any finite x (about x for x << 0, about 0 for x >> 0). */
export function logSigmoid(x: tf.Tensor): tf.Tensor {
  return tf.neg(softplus(tf.neg(x)));
}

/**
 * Largest log-probability log1mexp accepts: log(1 - exp(0)) is -Infinity, and a tiny model can put
 * float32 probability 1 on every token of a completion (average log-prob exactly 0). Above this the
 * input is clamped (no gradient there), so the odds stay finite: log(1 - exp(-1e-6)) ~ -13.8.
 */
export const LOG_PROB_CEILING = -1e-6;

/**
 * log(1 - exp(x)) for x <= 0 (Maechler 2012): log1p(-exp(x)) when x < -ln 2, log(-expm1(x)) above,
 * each branch fed only inputs on its own side of -ln 2 so neither produces Infinity (whose gradient,
 * even multiplied by a 0 mask, would be NaN). The branch is picked with tf.step, which has a (zero)
 * gradient; comparison ops such as tf.less have none, and tfjs refuses to differentiate through them.
 */
export function log1mexp(x: tf.Tensor): tf.Tensor {
  const clamped = tf.minimum(x, LOG_PROB_CEILING);
  const lowSide = tf.minimum(clamped, -Math.LN2);
  const highSide = tf.maximum(clamped, -Math.LN2);
  const low = tf.log1p(tf.neg(tf.exp(lowSide)));
  const high = tf.log(tf.neg(tf.expm1(highSide)));
  const useLow = tf.step(tf.neg(tf.add(clamped, Math.LN2))); // 1 where x < -ln 2, else 0
  return tf.add(tf.mul(useLow, low), tf.mul(tf.sub(1, useLow), high));
}

/**
 * exp(x) with x capped at EXP_CAP first (TRL's cap_exp idea): exp(80) ~ 5.5e34 still fits float32
 * (max ~3.4e38), so a loss term that genuinely grows exponentially saturates instead of
 * overflowing. Above the cap the gradient is 0.
 */
export const EXP_CAP = 80;
export function cappedExp(x: tf.Tensor): tf.Tensor {
  return tf.exp(tf.minimum(x, EXP_CAP));
}

/** x / max(lengths, 1): length-averaged log-probs (TRL clamps the token count at 1 the same way). */
export function perToken(sumLogps: tf.Tensor1D, lengths: tf.Tensor1D): tf.Tensor1D {
  return tf.div(sumLogps, tf.maximum(lengths, 1)) as tf.Tensor1D;
}

/** tf.customGrad of one tensor argument, typed (tfjs's own typing lumps the tensor with the save function). */
function typedCustomGrad<T extends tf.Tensor>(
  f: (x: tf.Tensor, save: tf.GradSaveFunc) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor },
): (x: T) => T {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: T) => T;
}

/** TRL's `.detach()`: the same values, gradient 0 (tfjs has no stop-gradient op of its own). */
export const stopGradient = typedCustomGrad<tf.Tensor>((x: tf.Tensor) => ({
  value: tf.clone(x),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
}));

/**
 * torch.sort(x, dim=0).values for a [B] tensor, with the gradient torch gives it (each output's
 * gradient flows back to the element it came from). tfjs has no sort op and tf.topk has no
 * gradient on any backend, so the order is found by counting: rank_i = #{j: x_j < x_i} +
 * #{j < i: x_j = x_i} (ties keep their input order, as a stable sort would), and the values are
 * moved by a [B, B] one-hot permutation matMul. The comparisons run inside customGrad, which is not
 * recorded on the tape; the backward pass is the transposed permutation. O(B^2), fine for batches.
 */
export const sortAscending = typedCustomGrad<tf.Tensor1D>((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const n = x.shape[0];
  const permutation = tf.tidy(() => {
    const xi = tf.reshape(x, [n, 1]); // [B, 1]: the element being ranked
    const xj = tf.reshape(x, [1, n]); // [1, B]: the elements it is compared with
    const index = tf.range(0, n, 1, 'int32');
    const before = tf.less(tf.reshape(index, [1, n]), tf.reshape(index, [n, 1])); // [B, B]: j < i
    const smaller = tf.cast(tf.less(xj, xi), 'float32');
    const tiedBefore = tf.cast(tf.logicalAnd(tf.equal(xj, xi), before), 'float32');
    const rank = tf.cast(tf.sum(tf.add(smaller, tiedBefore), 1), 'int32'); // [B]: where x_i goes
    // [B (sorted position), B (input position)]: 1 where input i lands at position r.
    return tf.cast(tf.equal(tf.reshape(index, [n, 1]), tf.reshape(rank, [1, n])), 'float32');
  });
  save([permutation]);
  const value = tf.reshape(tf.matMul(permutation, tf.reshape(x, [n, 1])), [n]);
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.reshape(tf.matMul(saved[0], tf.reshape(dy, [n, 1]), true, false), [n]),
  };
});

/**
 * -(1 - eps) * logsigmoid(z) - eps * logsigmoid(-z): the label-smoothed (conservative) logistic
 * loss TRL uses in aot, aot_unpaired, CPO's sigmoid and SimPO; eps = 0 gives -logsigmoid(z).
 */
export function smoothedLogisticLoss(z: tf.Tensor, eps: number): tf.Tensor {
  const clean = tf.mul(logSigmoid(z), -(1 - eps));
  return eps === 0 ? clean : tf.sub(clean, tf.mul(logSigmoid(tf.neg(z)), eps));
}
