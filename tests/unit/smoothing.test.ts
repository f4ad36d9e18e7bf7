import { describe, expect, it } from 'vitest';
import { MAX_SMOOTHING, smoothed } from '../../src/lib/smoothing.ts';

describe('smoothed (debiased exponential moving average)', () => {
  it('returns the values unchanged at weight 0', () => {
    expect(smoothed([3, 1, 4, 1, 5], 0)).toEqual([3, 1, 4, 1, 5]);
  });

  it('matches hand-derived values at weight 0.5', () => {
    // average: 0.5, 1.25, 2.125; debias: 1 - 0.5^n = 0.5, 0.75, 0.875.
    const out = smoothed([1, 2, 3], 0.5);
    expect(out[0]).toBeCloseTo(1, 12);
    expect(out[1]).toBeCloseTo(5 / 3, 12);
    expect(out[2]).toBeCloseTo(17 / 7, 12);
  });

  it('starts at the first value (no pull towards zero) and keeps the number of points', () => {
    const values = [10, 0, 10, 0, 10, 0];
    const out = smoothed(values, 0.9);
    expect(out).toHaveLength(values.length);
    expect(out[0]).toBeCloseTo(10, 12);
    // 0.9: average 1, 0.9; debias 0.1, 0.19 -> 10, 90/19.
    expect(out[1]).toBeCloseTo(90 / 19, 12);
  });

  it('leaves a constant curve exactly as it was', () => {
    expect(smoothed([0.3, 0.3, 0.3], 0.7)).toEqual([0.3, 0.3, 0.3]);
  });

  it('passes values that are not finite through and skips them in the average', () => {
    const out = smoothed([1, Number.NaN, 3], 0.5);
    expect(out[0]).toBeCloseTo(1, 12);
    expect(out[1]).toBeNaN();
    // The NaN is not counted: the third point is the second averaged one, (0.25 + 1.5) / 0.75.
    expect(out[2]).toBeCloseTo(7 / 3, 12);
  });

  it('clamps the weight to [0, MAX_SMOOTHING]', () => {
    expect(smoothed([1, 2], -1)).toEqual([1, 2]);
    expect(smoothed([1, 2], 5)).toEqual(smoothed([1, 2], MAX_SMOOTHING));
  });

  it('handles an empty list', () => {
    expect(smoothed([], 0.6)).toEqual([]);
  });
});
