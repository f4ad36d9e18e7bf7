import { describe, expect, it } from 'vitest';
import { sampleToken, warpedProbabilities } from '../../src/core/model/sampling.ts';
import { Rng } from '../../src/core/rng.ts';

const logits = [Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)];

describe('sampling warpers', () => {
  it('temperature 1 without filters gives the softmax', () => {
    const p = warpedProbabilities(logits, { temperature: 1, top_k: 0, top_p: 1 });
    [0.5, 0.3, 0.15, 0.05].forEach((q, i) => expect(p[i]).toBeCloseTo(q, 10));
  });

  it('top-k keeps the k most likely tokens, renormalised', () => {
    const p = warpedProbabilities(logits, { temperature: 1, top_k: 2, top_p: 1 });
    expect(p[0]).toBeCloseTo(0.5 / 0.8, 10);
    expect(p[1]).toBeCloseTo(0.3 / 0.8, 10);
    expect(p[2]).toBe(0);
    expect(p[3]).toBe(0);
  });

  it('top-p keeps the smallest prefix reaching p', () => {
    // 0.5 < 0.7, 0.5 + 0.3 = 0.8 >= 0.7: two tokens.
    const p = warpedProbabilities(logits, { temperature: 1, top_k: 0, top_p: 0.7 });
    expect(p[0]).toBeCloseTo(0.625, 10);
    expect(p[2]).toBe(0);
    // A tiny p still keeps the most likely token.
    expect(warpedProbabilities(logits, { temperature: 1, top_k: 0, top_p: 0.01 })[0]).toBe(1);
  });

  it('temperature sharpens: T=0.5 squares the odds', () => {
    const p = warpedProbabilities([Math.log(2), 0], { temperature: 0.5, top_k: 0, top_p: 1 });
    expect(p[0]).toBeCloseTo(4 / 5, 10);
  });

  it('temperature 0 is greedy', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 5; i++) expect(sampleToken(logits, { temperature: 0, top_k: 0, top_p: 1, max_new_tokens: 1 }, rng)).toBe(0);
  });

  it('samples follow the probabilities', () => {
    const rng = new Rng(7);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 20000; i++) counts[sampleToken(logits, { temperature: 1, top_k: 0, top_p: 1, max_new_tokens: 1 }, rng)]++;
    expect(counts[0] / 20000).toBeCloseTo(0.5, 1);
    expect(counts[3] / 20000).toBeCloseTo(0.05, 1);
  });
});
