import { describe, expect, it } from 'vitest';
import { maskedMean, maskedVar, maskedWhiten, zeroPadding } from '../../src/core/ppo/maskedStats.ts';
import { klK1, klK3, perTokenKl } from '../../src/core/ppo/klEstimators.ts';
import { applyMissingEosPenalty, computeRewards, containsEos, sequenceLengths, whitenRewards } from '../../src/core/ppo/rewards.ts';
import { computeAdvantages } from '../../src/core/ppo/gae.ts';
import { AdaptiveKLController, FixedKLController } from '../../src/core/ppo/klController.ts';
import { defaultPPOConfig } from '../../src/core/ppo/ppoConfig.ts';

const closeRows = (got: number[][], want: number[][], digits = 5) => {
  expect(got.length).toBe(want.length);
  got.forEach((row, b) => {
    expect(row.length).toBe(want[b].length);
    row.forEach((v, t) => expect(v, `[${b}][${t}]`).toBeCloseTo(want[b][t], digits));
  });
};

/*
 * Two sequences x 4 tokens; row 0 has one padding slot, row 1 two (padding values 9, 99, 99 must
 * not count). Real values: 1, 2, 3, 4, 5.
 *   mean = 15 / 5 = 3
 *   squared deviations: 4, 1, 0, 1, 4 -> sum 10
 *   biased var = 10 / 5 = 2;  unbiased (Bessel, n / (n - 1) = 5/4) = 10 / 4 = 2.5
 *   whitened 1 -> (1 - 3) / sqrt(2.5) = -2 / 1.5811388 = -1.2649111;  5 -> +1.2649111
 *   shift_mean = false adds the mean back: 1 -> 3 - 1.2649111 = 1.7350889
 */
describe('masked statistics (TRL masked_mean / masked_var / masked_whiten)', () => {
  const values = [[1, 2, 3, 9], [4, 5, 99, 99]];
  const mask = [[1, 1, 1, 0], [1, 1, 0, 0]];

  it('masked_mean ignores padding', () => {
    expect(maskedMean(values, mask)).toBeCloseTo(3, 9);
  });

  it('masked_var is unbiased by default (Bessel), biased on request', () => {
    expect(maskedVar(values, mask)).toBeCloseTo(2.5, 9);
    expect(maskedVar(values, mask, false)).toBeCloseTo(2, 9);
  });

  it('masked_var refuses an empty mask, and a single value when unbiased', () => {
    expect(() => maskedVar(values, [[0, 0, 0, 0], [0, 0, 0, 0]])).toThrow();
    expect(() => maskedVar(values, [[1, 0, 0, 0], [0, 0, 0, 0]])).toThrow();
    expect(maskedVar(values, [[1, 0, 0, 0], [0, 0, 0, 0]], false)).toBe(0);
  });

  it('masked_whiten: mean 0 and unbiased variance 1 over the mask', () => {
    const w = maskedWhiten(values, mask);
    expect(w[0][0]).toBeCloseTo(-1.2649111, 5);
    expect(w[1][1]).toBeCloseTo(1.2649111, 5);
    expect(maskedMean(w, mask)).toBeCloseTo(0, 6);
    expect(maskedVar(w, mask)).toBeCloseTo(1, 5);
  });

  it('masked_whiten with shift_mean=false keeps the mean, changes only the scale', () => {
    const w = maskedWhiten(values, mask, false);
    expect(w[0][0]).toBeCloseTo(3 - 1.2649111, 5);
    expect(maskedMean(w, mask)).toBeCloseTo(3, 6);
    expect(maskedVar(w, mask)).toBeCloseTo(1, 5);
  });

  it('zeroPadding sets the masked-out positions to 0', () => {
    expect(zeroPadding(values, mask)).toEqual([[1, 2, 3, 0], [4, 5, 0, 0]]);
  });
});

/*
 * logprob -1, ref -2: k1 = -1 - (-2) = 1;  logr = ref - logprob = -1, ratio = e^-1 = 0.3678794
 *                     k3 = (0.3678794 - 1) - (-1) = 0.3678794
 * logprob -2, ref -1: k1 = -1 (negative);  logr = 1, k3 = (e - 1) - 1 = 0.7182818
 * equal: both 0.
 */
describe('KL estimators k1 and k3', () => {
  it('match the hand values', () => {
    expect(klK1(-1, -2)).toBeCloseTo(1, 9);
    expect(klK3(-1, -2)).toBeCloseTo(Math.exp(-1), 9);
    expect(klK1(-2, -1)).toBeCloseTo(-1, 9);
    expect(klK3(-2, -1)).toBeCloseTo(Math.E - 2, 9);
    expect(klK1(-0.3, -0.3)).toBe(0);
    expect(klK3(-0.3, -0.3)).toBe(0);
  });

  it('k3 is never negative, k1 can be', () => {
    const lps = [-5, -2, -1, -0.5, -0.01];
    for (const a of lps) for (const b of lps) expect(klK3(a, b)).toBeGreaterThanOrEqual(0);
    expect(klK1(-2, -1)).toBeLessThan(0);
  });

  it('perTokenKl is 0 on padding', () => {
    expect(perTokenKl([[-1, 7]], [[-2, -3]], [[1, 0]], 'k1')).toEqual([[1, 0]]);
    expect(perTokenKl([[-1, 7]], [[-2, -3]], [[1, 0]], 'k3')[0][1]).toBe(0);
  });
});

/*
 * Row 0: 3 real tokens (EOS at t=2) + 1 padding; row 1: 4 real tokens (ran to response_length).
 *   logprobs     [[-1, -1, -2, 1], [-0.5, -1, -1, -1]]     (1 = TRL's INVALID_LOGPROB on padding)
 *   ref_logprobs [[-2, -1, -1, 1], [-0.5, -2, -1, -1]]
 *   k1 = logprob - ref: [[1, 0, -1, 0], [0, 1, 0, 0]]
 *   non_score_reward = -0.05 * k1 = [[-0.05, 0, 0.05, 0], [0, -0.05, 0, 0]]
 *   sequence_lengths (last real token) = [2, 3]; scores [1, -0.5]
 *   rewards = [[-0.05, 0, 0.05 + 1, 0], [0, -0.05, 0, 0 - 0.5]]
 * TRL's own placement (first padding slot, else the last token): row 0 -> t=3, row 1 -> t=3.
 *   rewards = [[-0.05, 0, 0.05, 1], [0, -0.05, 0, -0.5]]
 */
describe('per-token rewards: KL penalty + score on the last real token', () => {
  const inputs = {
    logprobs: [[-1, -1, -2, 1], [-0.5, -1, -1, -1]],
    ref_logprobs: [[-2, -1, -1, 1], [-0.5, -2, -1, -1]],
    scores: [1, -0.5],
    mask: [[1, 1, 1, 0], [1, 1, 1, 1]],
    kl_coef: 0.05,
    kl_estimator: 'k1' as const,
  };

  it('sequenceLengths is the index of the last real token', () => {
    expect(sequenceLengths(inputs.mask)).toEqual([2, 3]);
    expect(sequenceLengths([[0, 0, 0]])).toEqual([-1]);
  });

  it('the score lands on the last real token only; padding gets 0', () => {
    const out = computeRewards(inputs);
    closeRows(out.kl, [[1, 0, -1, 0], [0, 1, 0, 0]]);
    closeRows(out.non_score_reward, [[-0.05, 0, 0.05, 0], [0, -0.05, 0, 0]]);
    closeRows(out.rewards, [[-0.05, 0, 1.05, 0], [0, -0.05, 0, -0.5]]);
    expect(out.rewards[0][3]).toBe(0);
  });

  it("'trl_first_pad' reproduces TRL's sequence_lengths + 1 placement", () => {
    closeRows(computeRewards({ ...inputs, scorePlacement: 'trl_first_pad' }).rewards, [[-0.05, 0, 0.05, 1], [0, -0.05, 0, -0.5]]);
  });

  it('k3 penalties are never positive rewards', () => {
    // k3 row 0: t=0 e^-1 = 0.3678794, t=2 e - 2 = 0.7182818 -> rewards -0.05 * those (+ score at t=2).
    const out = computeRewards({ ...inputs, kl_estimator: 'k3' });
    expect(out.non_score_reward[0][0]).toBeCloseTo(-0.05 * Math.exp(-1), 7);
    expect(out.rewards[0][2]).toBeCloseTo(1 - 0.05 * (Math.E - 2), 7);
    for (const row of out.non_score_reward) for (const r of row) expect(r).toBeLessThanOrEqual(0);
  });

  it('missing_eos_penalty subtracts from responses without EOS only; null does nothing', () => {
    // EOS id 2: row 0 [5, 2, 0] has it, row 1 [5, 6, 7] does not.
    const eos = containsEos([[5, 2, 0], [5, 6, 7]], 2);
    expect(eos).toEqual([true, false]);
    expect(applyMissingEosPenalty([1, 1], eos, 1.0)).toEqual([1, 0]);
    expect(applyMissingEosPenalty([1, 1], eos, null)).toEqual([1, 1]);
  });

  it('whitenRewards keeps the mean (shift_mean=false) and zeroes padding', () => {
    const r = [[1, 2, 3, 9], [4, 5, 99, 99]];
    const m = [[1, 1, 1, 0], [1, 1, 0, 0]];
    const w = whitenRewards(r, m);
    expect(maskedMean(w, m)).toBeCloseTo(3, 6);
    expect(w[0][3]).toBe(0);
    expect(w[1][2]).toBe(0);
  });
});

/*
 * GAE, gamma = 1, lam = 0.95 (gamma * lam = 0.95), backwards from the last slot:
 * Row 0 (3 real tokens): rewards [0.1, 0, 1], values [0.2, 0.4, 0.6]
 *   t=2: next V = 0      delta = 1   + 0   - 0.6 = 0.4    A2 = 0.4
 *   t=1:                 delta = 0   + 0.6 - 0.4 = 0.2    A1 = 0.2 + 0.95 * 0.4  = 0.58
 *   t=0:                 delta = 0.1 + 0.4 - 0.2 = 0.3    A0 = 0.3 + 0.95 * 0.58 = 0.851
 *   returns = A + V = [1.051, 0.98, 1.0]
 * Row 1 (2 real tokens + padding whose value 7 must count as 0): rewards [0, 2, 0], values [1, 0.5, 7]
 *   t=2 (padding): delta = 0 + 0 - 0 = 0                  A2 = 0
 *   t=1: next V = 0      delta = 2 + 0   - 0.5 = 1.5      A1 = 1.5 + 0.95 * 0 = 1.5
 *   t=0:                 delta = 0 + 0.5 - 1   = -0.5     A0 = -0.5 + 0.95 * 1.5 = 0.925
 *   returns = [1.925, 2.0, 0]
 * Whitening over the 5 real advantages 0.851, 0.58, 0.4, 0.925, 1.5:
 *   mean = 4.256 / 5 = 0.8512
 *   deviations -0.0002, -0.2712, -0.4512, 0.0738, 0.6488; squares sum 0.7035188
 *   unbiased var = 0.7035188 / 4 = 0.1758797, std = 0.4193801
 *   whitened: 0.851 -> -0.000477, 0.58 -> -0.646669, 0.4 -> -1.075878, 0.925 -> 0.175975, 1.5 -> 1.547045
 */
describe('GAE (gamma, lam; reversed loop over response tokens)', () => {
  const rewards = [[0.1, 0, 1], [0, 2, 0]];
  const values = [[0.2, 0.4, 0.6], [1, 0.5, 7]];
  const mask = [[1, 1, 1], [1, 1, 0]];

  it('raw advantages and returns match the step-by-step derivation', () => {
    const { advantages, returns } = computeAdvantages(rewards, values, mask, { gamma: 1, lam: 0.95, whiten: false });
    closeRows(advantages, [[0.851, 0.58, 0.4], [0.925, 1.5, 0]]);
    closeRows(returns, [[1.051, 0.98, 1.0], [1.925, 2.0, 0]]);
  });

  it('advantages are whitened over real tokens; padding advantage is 0', () => {
    const { advantages } = computeAdvantages(rewards, values, mask, { gamma: 1, lam: 0.95 });
    closeRows(advantages, [[-0.000477, -0.646669, -1.075878], [0.175975, 1.547045, 0]], 4);
    expect(advantages[1][2]).toBe(0);
    expect(maskedMean(advantages, mask)).toBeCloseTo(0, 6);
  });

  it('lam = 0 is one-step TD: A_t = r_t + gamma V_{t+1} - V_t', () => {
    // gamma 0.5: row 0 t=0: 0.1 + 0.5 * 0.4 - 0.2 = 0.1; t=1: 0 + 0.5 * 0.6 - 0.4 = -0.1; t=2: 1 - 0.6 = 0.4
    const { advantages } = computeAdvantages(rewards, values, mask, { gamma: 0.5, lam: 0, whiten: false });
    closeRows([advantages[0]], [[0.1, -0.1, 0.4]]);
  });
});

/*
 * Adaptive controller, init 0.2, target 6, horizon 10000, batches of n_steps = 256:
 *   KL 9:   error = clip(9/6 - 1 = 0.5, +-0.2) = 0.2;  mult = 1 + 0.2 * 256 / 10000 = 1.00512 -> 0.201024
 *   KL 3:   error = clip(-0.5) = -0.2;                  mult = 0.99488 -> 0.201024 * 0.99488 = 0.19999477...
 *   KL 6.6: error = 0.1 (inside the clip);             mult = 1.00256
 */
describe('KL controllers', () => {
  it('adaptive: one update per the Ziegler et al. rule', () => {
    const c = new AdaptiveKLController(0.2, 6, 10000);
    c.update(9, 256);
    expect(c.value).toBeCloseTo(0.201024, 10);
    c.update(3, 256);
    expect(c.value).toBeCloseTo(0.201024 * 0.99488, 10);
    const d = new AdaptiveKLController(0.2, 6, 10000);
    d.update(6.6, 256);
    expect(d.value).toBeCloseTo(0.2 * 1.00256, 10);
    const e = new AdaptiveKLController(0.2, 6, 10000);
    e.update(6, 256);
    expect(e.value).toBe(0.2);
  });

  it('fixed: never moves', () => {
    const c = new FixedKLController(0.05);
    c.update(100, 256);
    expect(c.value).toBe(0.05);
  });
});

describe('PPOConfig defaults (TRL)', () => {
  it('match TRL PPOConfig / OnPolicyConfig', () => {
    expect(defaultPPOConfig()).toEqual({
      num_ppo_epochs: 4, num_mini_batches: 1, whiten_rewards: false, kl_coef: 0.05, kl_estimator: 'k1',
      cliprange: 0.2, cliprange_value: 0.2, vf_coef: 0.1, gamma: 1, lam: 0.95, response_length: 53,
      temperature: 0.7, missing_eos_penalty: null,
    });
  });
});
