/**
 * KTO, ORPO and CPO/SimPO losses (src/core/dpo/ktoLoss.ts, orpoLoss.ts, cpoLoss.ts) against values
 * derived by hand from TRL's definitions, at huge margins, and for leaks; on cpu and on wasm.
 *
 * Notation: sp(x) = ln(1 + e^x) = -logsigmoid(-x), s(x) = 1 / (1 + e^-x).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CPO_LOSS_DESCRIPTIONS, CPO_LOSS_TYPES, cpoLoss, type CpoLossParams, type CpoLossType } from '../../src/core/dpo/cpoLoss.ts';
import { ktoKlEstimate, ktoLoss, type KtoLossParams } from '../../src/core/dpo/ktoLoss.ts';
import { orpoLoss } from '../../src/core/dpo/orpoLoss.ts';
import { setupWasm } from './tfSetup.ts';

const num = (t: tf.Tensor) => t.arraySync() as number;
const arr = (t: tf.Tensor) => t.arraySync() as number[];
function expectClose(got: number[], want: number[], digits = 5) {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, digits));
}

/*
 * KTO batch, beta 0.5, desirable_weight 1, undesirable_weight 1.5:
 *   desirable: policy [-3, -5], ref [-4, -4] -> logratios [1, -1]
 *   undesirable: policy [-6], ref [-5]       -> logratio [-1]
 *   KL completions: policy [-4, -5.8, -4], ref [-5, -5, -5] -> mean(1, -0.8, 1) = 0.4 = z0
 */
const ktoParams: KtoLossParams = { beta: 0.5, desirable_weight: 1, undesirable_weight: 1.5 };
const ktoInputs = (kl: tf.Scalar, sides: 'both' | 'no-desirable' | 'no-undesirable' = 'both') => ({
  policy_chosen_logps: sides === 'no-desirable' ? tf.tensor1d([]) : tf.tensor1d([-3, -5]),
  ref_chosen_logps: sides === 'no-desirable' ? tf.tensor1d([]) : tf.tensor1d([-4, -4]),
  policy_rejected_logps: sides === 'no-undesirable' ? tf.tensor1d([]) : tf.tensor1d([-6]),
  ref_rejected_logps: sides === 'no-undesirable' ? tf.tensor1d([]) : tf.tensor1d([-5]),
  kl,
});
const klOf = () => ktoKlEstimate(tf.tensor1d([-4, -5.8, -4]), tf.tensor1d([-5, -5, -5]));

/*
 * ORPO batch, beta 0.1, chosen_nll 0.55: per-token averages
 *   chosen sums [-2, -1.2] / lengths [4, 2] = [-0.5, -0.6];  rejected sums [-3, -0.4] / [2, 1] = [-1.5, -0.4]
 *   ln(1 - e^-0.5) = -0.9327521, ln(1 - e^-0.6) = -0.7958704, ln(1 - e^-1.5) = -0.2524825, ln(1 - e^-0.4) = -1.1096329
 *   log_odds pair 0 = (-0.5 + 1.5) - (-0.9327521 + 0.2524825) = 1 + 0.6802696 = 1.6802697
 *   log_odds pair 1 = (-0.6 + 0.4) - (-0.7958704 + 1.1096329) = -0.2 - 0.3137626 = -0.5137626
 *   ratio = logsigmoid(log_odds) = [-sp(-1.6802697), -sp(0.5137626)] = [-0.1708592, -0.9826659]
 *   loss = 0.55 - 0.1 * (-0.1708592 - 0.9826659) / 2 = 0.55 + 0.0576763 = 0.6076763
 */
const orpoInputs = () => ({
  chosen_logps: tf.tensor1d([-2, -1.2]),
  rejected_logps: tf.tensor1d([-3, -0.4]),
  chosen_lengths: tf.tensor1d([4, 2]),
  rejected_lengths: tf.tensor1d([2, 1]),
  chosen_nll: tf.scalar(0.55),
});

/*
 * CPO batch, beta 0.5, chosen_nll 0.8:
 *   sums: chosen [-2, -6], rejected [-4, -3] -> logits (sigmoid, hinge) [2, -3], beta * logits [1, -1.5]
 *   per token: chosen [-2/2, -6/3] = [-1, -2], rejected [-4/4, -3/1] = [-1, -3] -> logits (ipo, simpo) [0, 1]
 */
const cpoInputs = () => ({
  chosen_logps: tf.tensor1d([-2, -6]),
  rejected_logps: tf.tensor1d([-4, -3]),
  chosen_lengths: tf.tensor1d([2, 3]),
  rejected_lengths: tf.tensor1d([4, 1]),
  chosen_nll: tf.scalar(0.8),
});
const cpoParams = (over: Partial<CpoLossParams> = {}): CpoLossParams => ({ beta: 0.5, label_smoothing: 0, simpo_gamma: 0.5, cpo_alpha: 1, ...over });

describe.each(['cpu', 'wasm'] as const)('KTO, ORPO and CPO on %s', (backend) => {
  beforeAll(async () => {
    if (backend === 'wasm') await setupWasm();
    else await tf.setBackend('cpu');
  });

  describe('KTO', () => {
    it('KL estimate: mean of the log-ratios, clamped at 0, empty gives 0', () => {
      expect(tf.tidy(() => num(klOf()))).toBeCloseTo(0.4, 5); // (1 - 0.8 + 1) / 3
      // (-1 - 0.5 + 0) / 3 = -0.5 -> 0
      expect(tf.tidy(() => num(ktoKlEstimate(tf.tensor1d([-6, -5.5, -5]), tf.tensor1d([-5, -5, -5]))))).toBe(0);
      expect(tf.tidy(() => num(ktoKlEstimate(tf.tensor1d([]), tf.tensor1d([]))))).toBe(0);
    });

    it('KL estimate carries no gradient', () => {
      const g = tf.tidy(() => arr(tf.grad((p: tf.Tensor) => ktoKlEstimate(p as tf.Tensor1D, tf.tensor1d([-5, -5, -5])))(tf.tensor1d([-4, -5.8, -4]))));
      expect(g).toEqual([0, 0, 0]);
    });

    it('desirable and undesirable losses against the KL reference point, weighted', () => {
      // desirable: 1 - s(0.5 (logratio - 0.4)) = s(0.5 (0.4 - logratio)): [s(-0.3), s(0.7)] = [0.4255575, 0.6681878]
      // undesirable: 1.5 (1 - s(0.5 (0.4 - (-1)))) = 1.5 s(-0.7) = 1.5 * 0.3318122 = 0.4977183
      // loss = (0.4255575 + 0.6681878 + 0.4977183) / 3 = 0.5304879
      const out = tf.tidy(() => {
        const o = ktoLoss(ktoInputs(klOf()), ktoParams);
        return { losses: arr(o.losses), loss: num(o.loss), c: arr(o.chosen_rewards), r: arr(o.rejected_rewards) };
      });
      expectClose(out.losses, [0.4255575, 0.6681878, 0.4977183]);
      expect(out.loss).toBeCloseTo(0.5304879, 5);
      expect(out.c).toEqual([0.5, -0.5]); // beta * logratios
      expect(out.r).toEqual([-0.5]);
    });

    it('either side may be empty', () => {
      const noDesirable = tf.tidy(() => {
        const o = ktoLoss(ktoInputs(klOf(), 'no-desirable'), ktoParams);
        return { losses: arr(o.losses), loss: num(o.loss), c: arr(o.chosen_rewards) };
      });
      expectClose(noDesirable.losses, [0.4977183]);
      expect(noDesirable.loss).toBeCloseTo(0.4977183, 5);
      expect(noDesirable.c).toEqual([]);
      const noUndesirable = tf.tidy(() => {
        const o = ktoLoss(ktoInputs(klOf(), 'no-undesirable'), ktoParams);
        return { losses: arr(o.losses), loss: num(o.loss) };
      });
      expectClose(noUndesirable.losses, [0.4255575, 0.6681878]);
      expect(noUndesirable.loss).toBeCloseTo((0.4255575 + 0.6681878) / 2, 5); // 0.5468727
    });

    it('a zero KL (clamped) and the apo_zero_unpaired variant', () => {
      // z0 = 0: desirable [s(-0.5), s(0.5)] = [0.3775407, 0.6224593], undesirable 1.5 s(-0.5) = 0.5663110
      // apo_zero_unpaired ignores z0 and gives the same numbers here.
      const zero = tf.tidy(() => arr(ktoLoss(ktoInputs(tf.scalar(0)), ktoParams).losses));
      expectClose(zero, [0.3775407, 0.6224593, 0.566311]);
      const apo = tf.tidy(() => arr(ktoLoss(ktoInputs(tf.scalar(5)), { ...ktoParams, loss_type: 'apo_zero_unpaired' }).losses));
      expectClose(apo, [0.3775407, 0.6224593, 0.566311]);
    });

    it('gradient reaches the policy log-probs but not the reference point', () => {
      // d/dlogratio of s(beta (z0 - lr)) / 3 = -beta s(u)(1 - s(u)) / 3, u = [-0.3, 0.7]:
      // [-0.5 * 0.4255575 * 0.5744425 / 3, -0.5 * 0.6681878 * 0.3318122 / 3] = [-0.0407403, -0.0369523]
      const [gChosen, gKl] = tf.tidy(() => {
        const x = ktoInputs(klOf());
        const f = (c: tf.Tensor, k: tf.Tensor) => ktoLoss({ ...x, policy_chosen_logps: c as tf.Tensor1D, kl: k as tf.Scalar }, ktoParams).loss;
        const [gc, gk] = tf.grads(f)([x.policy_chosen_logps, x.kl]);
        return [arr(gc), num(gk)];
      });
      expectClose(gChosen, [-0.0407403, -0.0369523]);
      expect(gKl).toBe(0);
    });
  });

  describe('ORPO', () => {
    it('log odds, ratio, NLL and rewards on per-token log-probs', () => {
      const o = tf.tidy(() => {
        const r = orpoLoss(orpoInputs(), { beta: 0.1 });
        return { loss: num(r.loss), losses: arr(r.losses), lor: num(r.log_odds_ratio), loc: num(r.log_odds_chosen), nll: num(r.nll_loss), c: arr(r.chosen_rewards), r: arr(r.rejected_rewards) };
      });
      expect(o.loss).toBeCloseTo(0.6076763, 5);
      expectClose(o.losses, [-0.01708592, -0.09826659]); // 0.1 * ratio
      expect(o.lor).toBeCloseTo(-0.5767625, 5); // mean ratio = (-0.1708592 - 0.9826659) / 2
      expect(o.loc).toBeCloseTo(0.5832536, 5); // mean log_odds = (1.6802697 - 0.5137626) / 2
      expect(o.nll).toBeCloseTo(0.55, 6);
      expectClose(o.c, [-0.05, -0.06]); // 0.1 * [-0.5, -0.6]
      expectClose(o.r, [-0.15, -0.04]);
    });

    it('finite at probability 1 (log-prob 0) and at huge negative log-probs, gradients included', () => {
      for (const [c, r] of [[[0, -2000], [-3000, 0]], [[-1e-9, -1], [0, -1e-9]], [[-5000, -0.01], [-0.02, -9000]]]) {
        const [loss, g] = tf.tidy(() => {
          const x = { ...orpoInputs(), chosen_logps: tf.tensor1d(c), rejected_logps: tf.tensor1d(r), chosen_lengths: tf.tensor1d([1, 1]), rejected_lengths: tf.tensor1d([1, 1]) };
          const f = (cl: tf.Tensor, rl: tf.Tensor) => orpoLoss({ ...x, chosen_logps: cl as tf.Tensor1D, rejected_logps: rl as tf.Tensor1D }, { beta: 1 }).loss;
          return [num(f(x.chosen_logps, x.rejected_logps)), tf.grads(f)([x.chosen_logps, x.rejected_logps]).flatMap(arr)];
        });
        expect(Number.isFinite(loss), `loss at ${c} / ${r}`).toBe(true);
        for (const v of g) expect(Number.isFinite(v), `gradient at ${c} / ${r}: ${g}`).toBe(true);
      }
    });
  });

  describe('CPO', () => {
    const run = (type: CpoLossType, p: CpoLossParams) => tf.tidy(() => {
      const o = cpoLoss(type, cpoInputs(), p);
      return { loss: num(o.loss), losses: arr(o.losses), nll: num(o.nll_loss), c: arr(o.chosen_rewards), r: arr(o.rejected_rewards) };
    });

    it('has a hint per loss type', () => {
      for (const t of CPO_LOSS_TYPES) expect(CPO_LOSS_DESCRIPTIONS[t].length).toBeGreaterThan(20);
    });

    it('sigmoid on summed log-probs, with and without label smoothing, plus cpo_alpha * NLL', () => {
      // [sp(-1), sp(1.5)] = [0.3132617, 1.7014133]; loss = mean + 1 * 0.8 = 1.0073375 + 0.8
      const o = run('sigmoid', cpoParams());
      expectClose(o.losses, [0.3132617, 1.7014133]);
      expect(o.loss).toBeCloseTo(1.0073375 + 0.8, 5);
      expect(o.nll).toBeCloseTo(0.8, 6);
      expectClose(o.c, [-1, -3]); // 0.5 * [-2, -6]
      expectClose(o.r, [-2, -1.5]); // 0.5 * [-4, -3]
      // eps 0.1: 0.9 sp(-z) + 0.1 sp(z): [0.9 * 0.3132617 + 0.1 * 1.3132617, 0.9 * 1.7014133 + 0.1 * 0.2014133] = [0.4132617, 1.5514133]
      expectClose(run('sigmoid', cpoParams({ label_smoothing: 0.1 })).losses, [0.4132617, 1.5514133]);
    });

    it('hinge on summed log-probs', () => {
      expectClose(run('hinge', cpoParams()).losses, [0, 2.5]); // relu(1 - [1, -1.5])
    });

    it('ipo on per-token log-probs', () => {
      // (logits - 1/(2 * 0.5))^2 = ([0, 1] - 1)^2 = [1, 0]
      const o = run('ipo', cpoParams());
      expectClose(o.losses, [1, 0]);
      expectClose(o.c, [-0.5, -1]); // rewards on per-token log-probs: 0.5 * [-1, -2]
    });

    it('simpo: per-token log-probs minus gamma / beta; cpo_alpha 0 drops the NLL', () => {
      // logits [0, 1] - 0.5 / 0.5 = [-1, 0]; z = 0.5 * [-1, 0] = [-0.5, 0] -> [sp(0.5), sp(0)] = [0.9740770, 0.6931472]
      const o = run('simpo', cpoParams({ cpo_alpha: 0 }));
      expectClose(o.losses, [0.974077, 0.6931472]);
      expect(o.nll).toBe(0);
      expect(o.loss).toBeCloseTo((0.974077 + 0.6931472) / 2, 5); // 0.8336121, no NLL term
      // gamma 0: z = [0, 0.5] -> [sp(0), sp(-0.5)]; cpo_alpha 2 adds 2 * 0.8
      const g0 = run('simpo', cpoParams({ simpo_gamma: 0, cpo_alpha: 2 }));
      expectClose(g0.losses, [0.6931472, 0.474077]);
      expect(g0.loss).toBeCloseTo((0.6931472 + 0.474077) / 2 + 1.6, 5);
      // label smoothing 0.1 at z = [-0.5, 0]: [0.9 sp(0.5) + 0.1 sp(-0.5), sp(0)] = [0.9240770, 0.6931472]
      expectClose(run('simpo', cpoParams({ label_smoothing: 0.1 })).losses, [0.924077, 0.6931472]);
    });

    it('AlphaPO rewards (1 - P^-alpha) / alpha replace the log-probs when alpha is set', () => {
      // alpha 1, sigmoid on sums: r_c = [1 - e^2, 1 - e^6], r_r = [1 - e^4, 1 - e^3]
      //   logits = [e^4 - e^2, e^3 - e^6] = [47.2090015, -383.3432556]; 0.5 * logits = [23.6045, -191.6716]
      //   losses [sp(-23.6045), sp(191.6716)] = [~5.6e-11, 191.6716278]
      const o = run('sigmoid', cpoParams({ alpha: 1 }));
      expectClose(o.losses, [0, 191.6716278], 3);
      expectClose(o.c, [0.5 * (1 - Math.E ** 2), 0.5 * (1 - Math.E ** 6)], 3);
    });

    it.each(CPO_LOSS_TYPES)('%s is finite with finite gradients at margins of 1000+', (type) => {
      for (const alpha of [0, 0.5]) {
        const [loss, g] = tf.tidy(() => {
          const x = { ...cpoInputs(), chosen_logps: tf.tensor1d([-1, -3000]), rejected_logps: tf.tensor1d([-2500, -2]), chosen_lengths: tf.tensor1d([1, 1]), rejected_lengths: tf.tensor1d([1, 1]) };
          const f = (c: tf.Tensor) => cpoLoss(type, { ...x, chosen_logps: c as tf.Tensor1D }, cpoParams({ beta: 1, alpha })).loss;
          return [num(f(x.chosen_logps)), arr(tf.grad(f)(x.chosen_logps))];
        });
        expect(Number.isFinite(loss), `${type} alpha ${alpha}`).toBe(true);
        for (const v of g) expect(Number.isFinite(v), `${type} alpha ${alpha}: ${g}`).toBe(true);
      }
    });
  });

  it('leaks no tensors across repeated calls inside tf.tidy, gradients included', () => {
    const step = () => tf.tidy(() => {
      const kx = ktoInputs(klOf());
      const ox = orpoInputs();
      const cx = cpoInputs();
      const kto = tf.grad((c: tf.Tensor) => ktoLoss({ ...kx, policy_chosen_logps: c as tf.Tensor1D }, ktoParams).loss)(kx.policy_chosen_logps);
      const orpo = tf.grad((c: tf.Tensor) => orpoLoss({ ...ox, chosen_logps: c as tf.Tensor1D }, { beta: 0.1 }).loss)(ox.chosen_logps);
      const cpo = CPO_LOSS_TYPES.map((t) => tf.grad((c: tf.Tensor) => cpoLoss(t, { ...cx, chosen_logps: c as tf.Tensor1D }, cpoParams()).loss)(cx.chosen_logps));
      return tf.addN([tf.sum(kto), tf.sum(orpo), ...cpo.map((g) => tf.sum(g))]);
    });
    step().dispose();
    const n0 = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step().dispose();
    expect(tf.memory().numTensors).toBe(n0);
  });
});
