import { beforeAll, describe, expect, it } from 'vitest';
import { bestOfNCurve, bestOfNKl, bestOfNSizes, bestOfNWeights, binomial } from '../../src/core/grpo/bestOfN.ts';
import { bestOfNBaseline, defaultBestOfNSettings } from '../../src/core/grpo/bestOfNBaseline.ts';
import type { CheckpointFiles } from '../../src/core/train/pretrainConfig.ts';
import { ConfigError } from '../../src/core/train/validate.ts';
import { tinyLmCheckpoint } from './rewardFixtures.ts';
import { setupWasm } from './tfSetup.ts';

describe('best-of-n estimator', () => {
  it('binomials and the KL of best-of-n', () => {
    expect(binomial(5, 2)).toBe(10);
    expect(binomial(4, 0)).toBe(1);
    expect(binomial(3, 4)).toBe(0);
    expect(bestOfNKl(1)).toBe(0);
    // log 2 - 1/2
    expect(bestOfNKl(2)).toBeCloseTo(0.193147, 6);
    expect(bestOfNSizes(32)).toEqual([1, 2, 4, 8, 16, 32]);
    expect(bestOfNSizes(12)).toEqual([1, 2, 4, 8, 12]);
  });

  it('weights: rank r (ascending) is the best of a random n-subset of m with probability C(r, n-1) / C(m, n)', () => {
    // m = 4, n = 2: C(4,2) = 6 pairs; the largest wins 3, the second 2, the third 1, the smallest 0.
    expect(bestOfNWeights(4, 2)).toEqual([0, 1 / 6, 2 / 6, 3 / 6]);
    expect(bestOfNWeights(4, 1)).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(bestOfNWeights(4, 4)).toEqual([0, 0, 0, 1]);
  });

  it('the curve: n = 1 is the plain mean; n = m takes the proxy argmax; gold follows the proxy ranking', () => {
    // Proxy order (ascending): index 2 (0.1), 0 (0.5), 3 (0.7), 1 (0.9); golds in that order 3, 1, 4, 2.
    const groups = [{ proxy: [0.5, 0.9, 0.1, 0.7], gold: [1, 2, 3, 4] }];
    const [one, two, four] = bestOfNCurve(groups, [1, 2, 4]);
    expect(one.proxy).toBeCloseTo(0.55, 12);
    expect(one.gold).toBeCloseTo(2.5, 12);
    expect(one.kl).toBe(0);
    // n = 2: weights 0, 1/6, 2/6, 3/6 over gold 3, 1, 4, 2 -> (1 + 8 + 6) / 6 = 2.5; proxy (0.5 + 1.4 + 2.7) / 6.
    expect(two.gold).toBeCloseTo(15 / 6, 12);
    expect(two.proxy).toBeCloseTo(4.6 / 6, 12);
    expect(two.sqrt_kl).toBeCloseTo(Math.sqrt(Math.log(2) - 0.5), 12);
    expect(four.proxy).toBeCloseTo(0.9, 12);
    expect(four.gold).toBe(2);
  });

  it('leaves out what the proxy could not judge (NaN) before ranking', () => {
    const [one, two] = bestOfNCurve([{ proxy: [NaN, 1, 2], gold: [9, 0, 1] }], [1, 2, 3]);
    expect(one.gold).toBe(0.5);
    expect(two.gold).toBe(1);
    expect(bestOfNCurve([{ proxy: [NaN, 1, 2], gold: [9, 0, 1] }], [1, 2, 3]).length).toBe(2);
  });

  it('averages over prompts and leaves out n larger than a group', () => {
    const groups = [{ proxy: [1, 2], gold: [0, 1] }, { proxy: [3, 1], gold: [1, 0] }];
    const curve = bestOfNCurve(groups, [1, 2, 4]);
    expect(curve.map((p) => p.n)).toEqual([1, 2]);
    expect(curve[1].gold).toBe(1);
    expect(curve[1].proxy).toBe(2.5);
  });
});

describe('bestOfNBaseline', () => {
  let lm: CheckpointFiles;
  beforeAll(async () => {
    await setupWasm();
    lm = await tinyLmCheckpoint(1, 40);
  });

  it('samples n_max completions of each prompt and scores them with the proxy and the gold function', async () => {
    const progress: number[] = [];
    const result = await bestOfNBaseline(
      { ...defaultBestOfNSettings(), num_prompts: 2, n_max: 4, max_completion_length: 6, prompts: ['the cat ', 'a dog '], from: lm, rewards: [{ kind: 'builtin', name: 'length', options: { target_words: 2 } }] },
      (done) => progress.push(done),
    );
    expect(progress).toEqual([1, 2]);
    expect(result.prompts).toBe(2);
    expect(result.points.map((p) => p.n)).toEqual([1, 2, 4]);
    for (const p of result.points) expect(Number.isFinite(p.proxy) && Number.isFinite(p.gold)).toBe(true);
    // Choosing by the proxy can only raise the expected proxy score.
    expect(result.points[2].proxy).toBeGreaterThanOrEqual(result.points[0].proxy - 1e-12);
  });

  it('refuses bad settings by field', async () => {
    await expect(bestOfNBaseline({ ...defaultBestOfNSettings(), n_max: 1, from: lm, rewards: [] }, () => undefined)).rejects.toThrow(ConfigError);
  });
});
