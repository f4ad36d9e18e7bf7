import { describe, expect, it } from 'vitest';
import { binCounts, rewardHistograms, sharedBins } from '../../src/lib/rewardHistogram.ts';

describe('reward histograms', () => {
  it('bins both sides over one shared range', () => {
    // Values from -1 to 3 in 4 bins: width 1, centres -0.5, 0.5, 1.5, 2.5; the top edge (3) goes in the last bin.
    const bins = sharedBins([-1, 3, 0.2], 4);
    expect(bins.width).toBe(1);
    expect(bins.centers).toEqual([-0.5, 0.5, 1.5, 2.5]);
    expect(binCounts([-1, -0.5, 0.2, 3, 2.9], bins)).toEqual([2, 1, 0, 2]);
  });

  it('gives a one-unit range around a single value', () => {
    const bins = sharedBins([2, 2], 2);
    expect(bins.centers).toEqual([1.75, 2.25]);
    expect(binCounts([2, 2], bins)).toEqual([0, 2]);
  });

  it('makes a chosen and a rejected series over the same bins', () => {
    const [chosen, rejected] = rewardHistograms([1, 2], [-1, 0], 4).series;
    expect(chosen.name).toBe('chosen');
    expect(rejected.x).toEqual(chosen.x);
    expect(chosen.y.reduce((a, b) => a + b)).toBe(2);
    expect(rejected.y).toEqual([1, 1, 0, 0]);
  });
});
