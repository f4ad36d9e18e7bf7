import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { policyLoss, ppoLoss, valueLoss } from '../../src/core/ppo/ppoLosses.ts';
import { setupWasm } from './tfSetup.ts';

beforeAll(setupWasm);

const val = (f: () => tf.Scalar) => tf.tidy(f).dataSync()[0];

/*
 * Policy loss, cliprange 0.2 (ratio clipped to [0.8, 1.2]); old logprobs all 0, so ratio = exp(logprob).
 * Each row: 2 real tokens + 1 padding (logprob 5 there must not count: its ratio is forced to 1).
 *   (0,0) r = 1.5, A =  1: -A r = -1.5, -A clip(r) = -1.2 -> max -1.2   (clipped branch wins)
 *   (0,1) r = 0.5, A = -1: -A r =  0.5, -A clip(r) =  0.8 -> max  0.8   (clipped)
 *   (1,0) r = 1.1, A =  2: -A r = -2.2, -A clip(r) = -2.2 -> max -2.2   (inside the clip: tie, not counted as clipped)
 *   (1,1) r = 1.5, A = -1: -A r =  1.5, -A clip(r) =  1.2 -> max  1.5   (unclipped: pessimistic branch)
 *   pg_loss = (-1.2 + 0.8 - 2.2 + 1.5) / 4 = -1.1 / 4 = -0.275;  pg_clipfrac = 2 / 4 = 0.5
 *   approxkl = 0.5 * mean over all 6 slots of diff^2 (padding diff 0)
 *            = 0.5 * (ln^2 1.5 + ln^2 0.5 + ln^2 1.1 + ln^2 1.5) / 6
 *            = 0.5 * (0.164402 + 0.480453 + 0.009084 + 0.164402) / 6 = 0.068195
 *   ratio_mean = (1.5 + 0.5 + 1 + 1.1 + 1.5 + 1) / 6 = 6.6 / 6 = 1.1
 */
const ln = Math.log;
const pgInputs = () => ({
  logprobs: tf.tensor2d([[ln(1.5), ln(0.5), 5], [ln(1.1), ln(1.5), 5]]),
  old: tf.zeros([2, 3]) as tf.Tensor2D,
  adv: tf.tensor2d([[1, -1, 9], [2, -1, 9]]),
  mask: tf.tensor2d([[1, 1, 0], [1, 1, 0]]),
});

/*
 * Value loss, cliprange_value 0.2 (vpred clipped to old value +- 0.2); one padding slot (1,1).
 *   (0,0) old 1, vpred 1.5 -> clipped 1.2; R 2:   (1.5-2)^2 = 0.25, (1.2-2)^2 = 0.64 -> max 0.64 (clipped)
 *   (0,1) old 1, vpred 0.9 (inside);       R 0:   0.81, 0.81 -> 0.81 (not clipped)
 *   (1,0) old 0, vpred -0.5 -> clipped -0.2; R 0.6: (-0.5-0.6)^2 = 1.21, (-0.2-0.6)^2 = 0.64 -> max 1.21 (unclipped: pessimistic)
 *   vf_loss = 0.5 * (0.64 + 0.81 + 1.21) / 3 = 0.5 * 2.66 / 3 = 0.4433333;  vf_clipfrac = 1/3
 */
const vfInputs = () => ({
  vpred: tf.tensor2d([[1.5, 0.9], [-0.5, 9]]),
  values: tf.tensor2d([[1, 1], [0, 0]]),
  returns: tf.tensor2d([[2, 0], [0.6, 0]]),
  mask: tf.tensor2d([[1, 1], [1, 0]]),
});

describe('PPO clipped policy loss', () => {
  it('takes the pessimistic (max) branch per token, over real tokens only', () => {
    const pg = (k: 'pg_loss' | 'pg_clipfrac' | 'approxkl' | 'ratio_mean') => val(() => {
      const x = pgInputs();
      return policyLoss(x.logprobs, x.old, x.adv, x.mask, 0.2)[k];
    });
    expect(pg('pg_loss')).toBeCloseTo(-0.275, 5);
    expect(pg('pg_clipfrac')).toBeCloseTo(0.5, 6);
    expect(pg('approxkl')).toBeCloseTo((0.5 * (2 * ln(1.5) ** 2 + ln(0.5) ** 2 + ln(1.1) ** 2)) / 6, 5);
    expect(pg('approxkl')).toBeCloseTo(0.068195, 5);
    expect(pg('ratio_mean')).toBeCloseTo(1.1, 5);
  });

  it('no gradient through clipped or padding tokens; -A r on the others', () => {
    const g = tf.tidy(() => {
      const x = pgInputs();
      return tf.grad((lp: tf.Tensor) => policyLoss(lp as tf.Tensor2D, x.old, x.adv, x.mask, 0.2).pg_loss)(x.logprobs).arraySync() as number[][];
    });
    // d/dlogprob of (-A r)/4 = -A r / 4 on the unclipped tokens (1,0): -2 * 1.1 / 4 = -0.55; (1,1): 1.5 / 4 = 0.375.
    expect(g[0][0]).toBeCloseTo(0, 6);
    expect(g[0][1]).toBeCloseTo(0, 6);
    expect(g[1][0]).toBeCloseTo(-0.55, 5);
    expect(g[1][1]).toBeCloseTo(0.375, 5);
    expect(g[0][2]).toBeCloseTo(0, 6);
    expect(g[1][2]).toBeCloseTo(0, 6);
  });
});

describe('PPO clipped value loss', () => {
  it('0.5 * masked mean of the max of the squared errors', () => {
    const vf = (k: 'vf_loss' | 'vf_clipfrac') => val(() => {
      const x = vfInputs();
      return valueLoss(x.vpred, x.values, x.returns, x.mask, 0.2)[k];
    });
    expect(vf('vf_loss')).toBeCloseTo(0.4433333, 5);
    expect(vf('vf_clipfrac')).toBeCloseTo(1 / 3, 6);
  });
});

describe('PPO total loss', () => {
  /* Reuses the two cases above on 2 x 2 slices: the policy case's first two columns and the value case.
   * pg_loss -0.275 (same 4 real tokens); vf_loss over value_mask 0.4433333; vf_coef 0.1:
   * loss = -0.275 + 0.1 * 0.4433333 = -0.2306667 */
  const inputs = () => {
    const p = pgInputs();
    const v = vfInputs();
    return {
      logprobs: p.logprobs.slice([0, 0], [2, 2]) as tf.Tensor2D,
      old_logprobs: p.old.slice([0, 0], [2, 2]) as tf.Tensor2D,
      advantages: p.adv.slice([0, 0], [2, 2]) as tf.Tensor2D,
      mask: tf.ones([2, 2]) as tf.Tensor2D,
      vpred: v.vpred, values: v.values, returns: v.returns, value_mask: v.mask,
    };
  };
  const cfg = { cliprange: 0.2, cliprange_value: 0.2, vf_coef: 0.1 };

  it('loss = pg_loss + vf_coef * vf_loss', () => {
    expect(val(() => ppoLoss(inputs(), cfg).loss)).toBeCloseTo(-0.275 + 0.1 * 0.4433333, 5);
  });

  it('leaves no tensors behind after tf.tidy', () => {
    const n0 = tf.memory().numTensors;
    tf.tidy(() => {
      const out = ppoLoss(inputs(), cfg);
      expect(out.loss.dataSync()[0]).toBeCloseTo(-0.2306667, 5);
    });
    tf.tidy(() => {
      tf.grads((lp: tf.Tensor, vp: tf.Tensor) => ppoLoss({ ...inputs(), logprobs: lp as tf.Tensor2D, vpred: vp as tf.Tensor2D }, cfg).loss)(
        [tf.zeros([2, 2]), tf.zeros([2, 2])],
      );
    });
    expect(tf.memory().numTensors).toBe(n0);
  });
});
