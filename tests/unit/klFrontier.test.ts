import { describe, expect, it } from 'vitest';
import { finalMean, frontierPoint, frontierTraces } from '../../src/lib/klFrontier.ts';

const rows = [
  { step: 1, loss: 0.7 },
  { step: 2, 'objective/kl': 0.1, 'gold/score_mean': 0.2 },
  { step: 3, 'objective/kl': 0.2, 'gold/score_mean': 0.4 },
  { step: 4, 'objective/kl': 0.3, 'gold/score_mean': 0.5 },
  { step: 5, 'objective/kl': 0.4, 'gold/score_mean': 0.6 },
];

describe('klFrontier', () => {
  it('averages the last few finite values of a metric', () => {
    expect(finalMean(rows, 'objective/kl')).toBeCloseTo(0.3, 9);
    expect(finalMean(rows, 'objective/kl', 1)).toBeCloseTo(0.4, 9);
    expect(finalMean([...rows, { step: 6, 'objective/kl': NaN }], 'objective/kl', 2)).toBeCloseTo(0.35, 9);
    expect(finalMean(rows, 'missing')).toBeNull();
  });

  it('gives a point only to runs with both KL and gold score', () => {
    expect(frontierPoint('dpo', '#3 run', rows)).toEqual({ stage: 'dpo', label: '#3 run', kl: expect.closeTo(0.3, 9), gold: expect.closeTo(0.5, 9) });
    // An ORPO run logs no KL.
    expect(frontierPoint('dpo', '#4 orpo', rows.map(({ step, 'gold/score_mean': g }) => ({ step, ...(g === undefined ? {} : { 'gold/score_mean': g }) })))).toBeNull();
  });

  it('draws one marker series per stage with points, hover text the run names', () => {
    const traces = frontierTraces([
      { stage: 'ppo', label: 'a', kl: 1, gold: 0.1 },
      { stage: 'dpo', label: 'b', kl: 2, gold: 0.2 },
      { stage: 'ppo', label: 'c', kl: 3, gold: 0.3 },
    ]);
    expect(traces.map((t) => t.name)).toEqual(['PPO', 'DPO']);
    expect(traces[0]).toMatchObject({ mode: 'markers', x: [1, 3], y: [0.1, 0.3], text: ['a', 'c'] });
    expect(traces[0].marker?.symbol).not.toBe(traces[1].marker?.symbol);
    expect(frontierTraces([])).toEqual([]);
  });
});
