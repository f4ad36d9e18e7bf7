/**
 * TRL's DPO loss types (src/core/dpo/dpoLosses.ts): hand-derived values, label smoothing where TRL
 * reads it, loss_weights, huge margins (finite loss and gradient), and no tensor leaks, on the cpu
 * backend and on wasm (the app's default; it lacks some gradients, e.g. none for sort/topk).
 *
 * Notation in the comments: sp(x) = ln(1 + e^x) = -logsigmoid(-x), s(x) = 1 / (1 + e^-x).
 *   sp(1) = 1.3132617  sp(-1) = 0.3132617  sp(0.5) = 0.9740770  sp(-0.5) = 0.4740770  sp(0) = 0.6931472
 *   s(1) = 0.7310586   s(-1) = 0.2689414   s(0.5) = 0.6224593   s(-0.5) = 0.3775407
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  combinedDpoLoss, defaultDpoLossParams, DPO_LOSS_DESCRIPTIONS, DPO_LOSS_TYPES, dpoLoss, F_DIVERGENCE_DESCRIPTIONS, F_DIVERGENCE_TYPES,
  updateBcoRewardMean, type DpoLogps, type DpoLossParams, type DpoLossType,
} from '../../src/core/dpo/dpoLosses.ts';
import { setupWasm } from './tfSetup.ts';

/*
 * The base batch (B = 2):
 *   chosen_logps [-4, -6], ref_chosen [-5, -5]     -> chosen_logratios   [ 1, -1]
 *   rejected_logps [-5, -5], ref_rejected [-4, -6] -> rejected_logratios [-1,  1]
 *   delta = chosen - rejected logratios = [2, -2]; with beta = 0.5, z = beta * delta = [1, -1]
 *   chosen_lengths [2, 4], rejected_lengths [5, 1]
 */
const base = (): DpoLogps => ({
  chosen_logps: tf.tensor1d([-4, -6]),
  rejected_logps: tf.tensor1d([-5, -5]),
  ref_chosen_logps: tf.tensor1d([-5, -5]),
  ref_rejected_logps: tf.tensor1d([-4, -6]),
  chosen_lengths: tf.tensor1d([2, 4]),
  rejected_lengths: tf.tensor1d([5, 1]),
});
const params = (over: Partial<DpoLossParams> = {}): DpoLossParams => ({ ...defaultDpoLossParams(), beta: 0.5, ...over });

/*
 * The sorting batch (B = 3), for aot and aot_unpaired, beta = 1:
 *   chosen [-1, -3, -2], rejected [-2, -1, -2]       -> policy logratios chosen - rejected = [1, -2, 0]
 *   ref_chosen [-2, -2, -2], ref_rejected [-3, -1, -2.5] -> ref logratios [1, -1, 0.5]
 *   chosen_logratios (chosen - ref_chosen) = [1, -1, 0]; rejected_logratios = [1, 0, 0.5]
 */
const sortBatch = (): DpoLogps => ({
  chosen_logps: tf.tensor1d([-1, -3, -2]),
  rejected_logps: tf.tensor1d([-2, -1, -2]),
  ref_chosen_logps: tf.tensor1d([-2, -2, -2]),
  ref_rejected_logps: tf.tensor1d([-3, -1, -2.5]),
  chosen_lengths: tf.tensor1d([1, 1, 1]),
  rejected_lengths: tf.tensor1d([1, 1, 1]),
});

function losses(type: DpoLossType, p: DpoLossParams, x: () => DpoLogps = base): number[] {
  return tf.tidy(() => dpoLoss(type, x(), p).losses).arraySync() as number[];
}
function expectClose(got: number[], want: number[], digits = 5) {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, digits));
}

describe.each(['cpu', 'wasm'] as const)('DPO loss types on %s', (backend) => {
  beforeAll(async () => {
    if (backend === 'wasm') await setupWasm();
    else await tf.setBackend('cpu');
  });

  it('lists every TRL 1.1 loss type, each with a hint', () => {
    expect([...DPO_LOSS_TYPES].sort()).toEqual(
      ['aot', 'aot_unpaired', 'apo_down', 'apo_zero', 'bco_pair', 'discopop', 'exo_pair', 'hinge', 'ipo', 'nca_pair', 'robust', 'sft', 'sigmoid', 'sppo_hard'],
    );
    for (const t of DPO_LOSS_TYPES) expect(DPO_LOSS_DESCRIPTIONS[t].length).toBeGreaterThan(20);
    for (const f of F_DIVERGENCE_TYPES) expect(F_DIVERGENCE_DESCRIPTIONS[f].length).toBeGreaterThan(20);
  });

  it('sigmoid: -logsigmoid(z) = sp(-z); label_smoothing is not read (TRL 1.1)', () => {
    // [sp(-1), sp(1)] = [0.3132617, 1.3132617]
    expectClose(losses('sigmoid', params()), [0.3132617, 1.3132617]);
    expectClose(losses('sigmoid', params({ label_smoothing: 0.3 })), [0.3132617, 1.3132617]);
  });

  it('rewards are beta * logratios whatever the type', () => {
    const r = tf.tidy(() => {
      const o = dpoLoss('hinge', base(), params());
      return [o.chosen_rewards.arraySync(), o.rejected_rewards.arraySync()];
    });
    expect(r).toEqual([[0.5, -0.5], [-0.5, 0.5]]); // 0.5 * [1, -1], 0.5 * [-1, 1]
  });

  it('hinge: relu(1 - z)', () => {
    expectClose(losses('hinge', params()), [0, 2]); // [relu(1 - 1), relu(1 + 1)]
  });

  it('ipo: per-token logratios, squared distance of the gap to 1/(2 beta)', () => {
    // chosen per token [1/2, -1/4], rejected per token [-1/5, 1/1] -> gap [0.7, -1.25]; target 1/(2*0.5) = 1
    // [(0.7 - 1)^2, (-1.25 - 1)^2] = [0.09, 5.0625]
    expectClose(losses('ipo', params()), [0.09, 5.0625]);
    // Zero-length completions count as 1 token (TRL clamps): gap [1 - (-1), -1 - 1] = [2, -2] -> [1, 9]
    const zeroLengths = () => ({ ...base(), chosen_lengths: tf.tensor1d([0, 0]), rejected_lengths: tf.tensor1d([0, 0]) });
    expectClose(losses('ipo', params(), zeroLengths), [1, 9]);
  });

  it('exo_pair: KL of (s(z), s(-z)) to (1 - eps, eps); eps = label_smoothing, 1e-3 when 0', () => {
    // eps 0.1, z = 1:  s(1) (-sp(-1) - ln 0.9) + s(-1) (-sp(1) - ln 0.1)
    //   = 0.7310586 (-0.3132617 + 0.1053605) + 0.2689414 (-1.3132617 + 2.3025851) = 0.1140821
    // z = -1: s(-1) (-sp(1) - ln 0.9) + s(1) (-sp(-1) - ln 0.1) = 1.1294573
    expectClose(losses('exo_pair', params({ label_smoothing: 0.1 })), [0.1140821, 1.1294573]);
    // eps 1e-3, z = 1: 0.7310586 (-0.3132617 + 0.0010005) + 0.2689414 (-1.3132617 + 6.9077553) = 1.2763098
    expect(losses('exo_pair', params({ label_smoothing: 0 }))[0]).toBeCloseTo(1.2763098, 5);
  });

  it('nca_pair: -logsigmoid(r_c) - 0.5 logsigmoid(-r_c) - 0.5 logsigmoid(-r_r)', () => {
    // r_c = [0.5, -0.5], r_r = [-0.5, 0.5]
    // pair 0: sp(-0.5) + 0.5 sp(0.5) + 0.5 sp(-0.5) = 0.4740770 + 0.4870385 + 0.2370385 = 1.1981540
    // pair 1: sp(0.5) + 0.5 sp(-0.5) + 0.5 sp(0.5)  = 0.9740770 + 0.2370385 + 0.4870385 = 1.6981540
    expectClose(losses('nca_pair', params()), [1.198154, 1.698154]);
  });

  it('robust: ((1 - eps) sp(-z) - eps sp(z)) / (1 - 2 eps); equals sigmoid at eps 0', () => {
    // eps 0.1: pair 0 (0.9 * 0.3132617 - 0.1 * 1.3132617) / 0.8 = 0.1882617; pair 1 (0.9 * 1.3132617 - 0.1 * 0.3132617) / 0.8 = 1.4382617
    expectClose(losses('robust', params({ label_smoothing: 0.1 })), [0.1882617, 1.4382617]);
    expectClose(losses('robust', params()), [0.3132617, 1.3132617]);
    expect(() => losses('robust', params({ label_smoothing: 0.5 }))).toThrow(/label_smoothing/);
  });

  it('bco_pair: sp(-(r_c - delta)) + sp(r_r - delta), delta = bco_reward_mean', () => {
    // delta 0: r_c = [0.5, -0.5], r_r = [-0.5, 0.5] -> [2 sp(-0.5), 2 sp(0.5)] = [0.9481540, 1.9481540]
    expectClose(losses('bco_pair', params()), [0.948154, 1.948154]);
    // delta 0.5: r_c - delta = [0, -1], r_r - delta = [-1, 0] -> [sp(0) + sp(-1), sp(1) + sp(0)] = [1.0064089, 2.0064089]
    expectClose(losses('bco_pair', params({ bco_reward_mean: 0.5 })), [1.0064089, 2.0064089]);
    // running mean of batch means, the current batch included: 0.2, then (0.2 + 0.6) / 2 = 0.4
    const s1 = updateBcoRewardMean({ mean: 0, count: 0 }, 0.2);
    expect(s1.mean).toBeCloseTo(0.2, 12);
    expect(updateBcoRewardMean(s1, 0.6).mean).toBeCloseTo(0.4, 12);
  });

  it('sppo_hard: (chosen_logratio - 1/(2 beta))^2 + (rejected_logratio + 1/(2 beta))^2', () => {
    // target 0.5 / 0.5 = 1: pair 0 (1 - 1)^2 + (-1 + 1)^2 = 0; pair 1 (-1 - 1)^2 + (1 + 1)^2 = 8
    expectClose(losses('sppo_hard', params()), [0, 8]);
  });

  it('aot: sorts the policy and reference margins across the batch before comparing', () => {
    // sort([1, -2, 0]) = [-2, 0, 1], sort([1, -1, 0.5]) = [-1, 0.5, 1] -> delta [-1, -0.5, 0] (beta 1)
    // -> [sp(1), sp(0.5), sp(0)] = [1.3132617, 0.9740770, 0.6931472] (unsorted it would be [sp(0), sp(1), sp(0.5)])
    expectClose(losses('aot', params({ beta: 1 }), sortBatch), [1.3132617, 0.974077, 0.6931472]);
    // label_smoothing 0.1: 0.9 sp(-d) + 0.1 sp(d): [0.9 * 1.3132617 + 0.1 * 0.3132617, 0.9 * 0.9740770 + 0.1 * 0.4740770, sp(0)]
    expectClose(losses('aot', params({ beta: 1, label_smoothing: 0.1 }), sortBatch), [1.2132617, 0.924077, 0.6931472]);
    // base batch: sort([1, -1]) - sort([-1, 1]) = [0, 0] -> sp(0) twice
    expectClose(losses('aot', params()), [0.6931472, 0.6931472]);
  });

  it('aot gradient flows back to the element each sorted slot came from', () => {
    // mean loss = (sp(-d0) + sp(-d1) + sp(-d2)) / 3; d(sp(-d))/dd = -s(-d).
    // Slot 0 holds pair 1 (margin -2, d = -1), slot 1 pair 2 (0, d = -0.5), slot 2 pair 0 (1, d = 0):
    // d mean / d chosen_logps = [-s(0), -s(1), -s(0.5)] / 3 = [-0.1666667, -0.2436862, -0.2074864]
    const g = tf.tidy(() => {
      const x = sortBatch();
      return tf.grad((c: tf.Tensor) => tf.mean(dpoLoss('aot', { ...x, chosen_logps: c as tf.Tensor1D }, params({ beta: 1 })).losses))(x.chosen_logps);
    }).arraySync() as number[];
    expectClose(g, [-0.1666667, -0.2436862, -0.2074864]);
  });

  it('aot sorting keeps ties stable and moves every element once', () => {
    // margins [0, 0, -1, 0] (chosen - rejected) against a zero reference: sorted [-1, 0, 0, 0]
    const tied = () => ({
      chosen_logps: tf.tensor1d([-1, -2, -3, -1]), rejected_logps: tf.tensor1d([-1, -2, -2, -1]),
      ref_chosen_logps: tf.zeros([4]) as tf.Tensor1D, ref_rejected_logps: tf.zeros([4]) as tf.Tensor1D,
      chosen_lengths: tf.ones([4]) as tf.Tensor1D, rejected_lengths: tf.ones([4]) as tf.Tensor1D,
    });
    // beta 1: [sp(1), sp(0), sp(0), sp(0)]
    expectClose(losses('aot', params({ beta: 1 }), tied), [1.3132617, 0.6931472, 0.6931472, 0.6931472]);
    const g = tf.tidy(() => {
      const x = tied();
      return tf.grad((c: tf.Tensor) => tf.sum(dpoLoss('aot', { ...x, chosen_logps: c as tf.Tensor1D }, params({ beta: 1 })).losses))(x.chosen_logps);
    }).arraySync() as number[];
    // each element's gradient is -s(-d) of its own slot: [-s(0), -s(0), -s(1), -s(0)]
    expectClose(g, [-0.5, -0.5, -0.7310586, -0.5]);
  });

  it('aot_unpaired: sorted chosen logratios against sorted rejected logratios', () => {
    // sort([1, -1, 0]) = [-1, 0, 1], sort([1, 0, 0.5]) = [0, 0.5, 1] -> delta [-1, -0.5, 0] -> [sp(1), sp(0.5), sp(0)]
    expectClose(losses('aot_unpaired', params({ beta: 1 }), sortBatch), [1.3132617, 0.974077, 0.6931472]);
    expectClose(losses('aot_unpaired', params({ beta: 1, label_smoothing: 0.1 }), sortBatch), [1.2132617, 0.924077, 0.6931472]);
  });

  it('apo_zero and apo_down', () => {
    // apo_zero: (1 - s(beta clr)) + s(beta rlr): pair 0 s(-0.5) + s(-0.5) = 0.7550813; pair 1 s(0.5) + s(0.5) = 1.2449187
    expectClose(losses('apo_zero', params()), [0.7550813, 1.2449187]);
    // apo_down: s(beta clr) + (1 - s(z)): pair 0 s(0.5) + s(-1) = 0.8914008; pair 1 s(-0.5) + s(1) = 1.1085992
    expectClose(losses('apo_down', params()), [0.8914008, 1.1085992]);
  });

  it('discopop: sp(-l)(1 - s(l/tau)) + e^-l s(l/tau)', () => {
    // tau 1, l = [1, -1]: pair 0 sp(-1) s(-1) + e^-1 s(1) = 0.0842491 + 0.2689414 = 0.3531905
    //                     pair 1 sp(1) s(1) + e s(-1) = 0.9600710 + 0.7310586 = 1.6911298
    expectClose(losses('discopop', params({ discopop_tau: 1 })), [0.3531905, 1.6911298]);
    // TRL's default tau 0.05: s(+-20) is 1 or 2e-9, so pair 0 ~ e^-1 = 0.3678794, pair 1 ~ sp(1) = 1.3132617
    expectClose(losses('discopop', params()), [0.3678794, 1.3132617]);
  });

  it('sft: token-level NLL of the chosen completions, repeated per pair', () => {
    // -(-4 - 6) / (2 + 4) = 10 / 6 = 1.6666667
    expectClose(losses('sft', params()), [1.6666667, 1.6666667]);
  });

  it('f-divergence scores replace the logratios (TRL f_divergence_type)', () => {
    // js: scores logsigmoid(logratio): chosen [-sp(-1), -sp(1)], rejected [-sp(1), -sp(-1)] -> delta [1, -1]
    //   (sp(1) - sp(-1) = 1); z = [0.5, -0.5] -> sigmoid loss [sp(-0.5), sp(0.5)] = [0.4740770, 0.9740770]
    expectClose(losses('sigmoid', params({ f_divergence_type: 'js_divergence' })), [0.474077, 0.974077]);
    // forward KL: scores -e^-logratio: delta = [-e^-1 + e, -e + e^-1] = [2.3504024, -2.3504024]
    //   -> [sp(-1.1752012), sp(1.1752012)] = [0.2690777, 1.4442789]
    expectClose(losses('sigmoid', params({ f_divergence_type: 'forward_kl' })), [0.2690777, 1.4442789]);
    // alpha 0.5: scores e^(-0.5 logratio) / (-0.5): delta = 2 (e^0.5 - e^-0.5) = [2.0843812, -2.0843812]
    //   -> [sp(-1.0421906), sp(1.0421906)] = [0.3020887, 1.3442793]
    expectClose(losses('sigmoid', params({ f_divergence_type: 'alpha_divergence', f_alpha_divergence_coef: 0.5 })), [0.3020887, 1.3442793]);
    // alpha 1 is the reverse-KL limit
    expectClose(losses('sigmoid', params({ f_divergence_type: 'alpha_divergence', f_alpha_divergence_coef: 1 })), [0.3132617, 1.3132617]);
  });

  it('combinedDpoLoss: sum of weight * mean loss; null weights are all 1', () => {
    const combined = (w: number[] | null) => tf.tidy(() => combinedDpoLoss(['sigmoid', 'sft'], w, base(), params()).loss).arraySync() as number;
    // mean sigmoid = (0.3132617 + 1.3132617) / 2 = 0.8132617; mean sft = 1.6666667
    expect(combined(null)).toBeCloseTo(0.8132617 + 1.6666667, 5); // 2.4799284
    expect(combined([0.8, 0.2])).toBeCloseTo(0.8 * 0.8132617 + 0.2 * 1.6666667, 5); // 0.9839427
    const single = tf.tidy(() => combinedDpoLoss(['hinge'], null, base(), params()).loss).arraySync() as number;
    expect(single).toBeCloseTo(1, 6); // mean([0, 2])
    expect(() => tf.tidy(() => combinedDpoLoss(['sigmoid', 'sft'], [1], base(), params()).loss)).toThrow(/loss_weights/);
  });

  it.each(F_DIVERGENCE_TYPES)('every loss type stays finite, with finite gradients, at margins of 1000+ (%s)', (f) => {
    // |beta * delta| >= 1000 both ways; the naive log(1 + e^x) and e^-l overflow float32 here.
    const huge = (): DpoLogps => ({
      chosen_logps: tf.tensor1d([-1, -2400, -3, -700]),
      rejected_logps: tf.tensor1d([-2400, -1, -1200, -2]),
      ref_chosen_logps: tf.tensor1d([-1200, -5, -1300, -1]),
      ref_rejected_logps: tf.tensor1d([-3, -1300, -1, -1500]),
      chosen_lengths: tf.tensor1d([3, 1, 2, 1]),
      rejected_lengths: tf.tensor1d([1, 2, 1, 3]),
    });
    for (const type of DPO_LOSS_TYPES) {
      for (const beta of [1, 0.1]) {
        const p = params({ beta, f_divergence_type: f, label_smoothing: type === 'robust' || type.startsWith('aot') || type === 'exo_pair' ? 0.1 : 0 });
        const [loss, grad] = tf.tidy(() => {
          const x = huge();
          const lossOf = (c: tf.Tensor) => tf.mean(dpoLoss(type, { ...x, chosen_logps: c as tf.Tensor1D }, p).losses) as tf.Scalar;
          return [lossOf(x.chosen_logps).arraySync() as number, tf.grad(lossOf)(x.chosen_logps).arraySync() as number[]];
        });
        expect(Number.isFinite(loss), `${type} beta ${beta} ${f}: loss ${loss}`).toBe(true);
        for (const g of grad) expect(Number.isFinite(g), `${type} beta ${beta} ${f}: gradient ${grad}`).toBe(true);
      }
    }
  });

  it('gradients of every loss type are finite at ordinary margins too, and wrt every input', () => {
    for (const type of DPO_LOSS_TYPES) {
      const grads = tf.tidy(() => {
        const x = base();
        const f = (c: tf.Tensor, r: tf.Tensor) => combinedDpoLoss([type], null, { ...x, chosen_logps: c as tf.Tensor1D, rejected_logps: r as tf.Tensor1D }, params({ label_smoothing: 0.1 })).loss;
        if (type === 'sft') return [tf.grad((c: tf.Tensor) => f(c, x.rejected_logps))(x.chosen_logps).arraySync() as number[]]; // sft ignores rejected
        return tf.grads(f)([x.chosen_logps, x.rejected_logps]).map((g) => g.arraySync() as number[]);
      });
      for (const g of grads.flat()) expect(Number.isFinite(g), type).toBe(true);
    }
  });

  it('leaks no tensors across repeated calls inside tf.tidy, gradients included', () => {
    const step = () => tf.tidy(() => {
      const x = sortBatch();
      const f = (c: tf.Tensor) => combinedDpoLoss([...DPO_LOSS_TYPES], null, { ...x, chosen_logps: c as tf.Tensor1D }, params({ label_smoothing: 0.1 })).loss;
      const { value, grad } = tf.valueAndGrad(f)(x.chosen_logps);
      return tf.add(value, tf.sum(grad));
    });
    step().dispose(); // warm-up: first use of a kernel may allocate once
    const n0 = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step().dispose();
    expect(tf.memory().numTensors).toBe(n0);
  });
});
