import { describe, expect, it } from 'vitest';
import { labelByGold, LESSON_ANNOTATOR, OVEROPT_LESSON } from '../../src/core/grpo/overoptimizationLesson.ts';
import { goldScore } from '../../src/core/preferences/goldScore.ts';
import type { MetricRow } from '../../src/core/train/pretrainConfig.ts';
import { goldPeak, klPoints, overoptimizationTraces, smoothed } from '../../src/lib/overoptimizationTraces.ts';

const row = (step: number, kl: number | undefined, reward: number, gold: number): MetricRow => ({ step, ...(kl === undefined ? {} : { 'objective/kl': kl }), reward, 'gold/score_mean': gold });

describe('the overoptimization chart data', () => {
  it('takes sqrt of objective/kl (a slightly negative estimate counts as 0) and skips rows without it', () => {
    const points = klPoints([row(1, 0, 0.1, 1), row(2, 4, 0.5, 2), row(3, undefined, 1, 1), row(4, -0.01, 0.2, 0.5), row(5, 9, NaN, 1)]);
    expect(points).toEqual([
      { step: 1, sqrt_kl: 0, proxy: 0.1, gold: 1 },
      { step: 2, sqrt_kl: 2, proxy: 0.5, gold: 2 },
      { step: 4, sqrt_kl: 0, proxy: 0.2, gold: 0.5 },
    ]);
  });

  it('smooths with a trailing mean of x and y alike', () => {
    const points = klPoints([row(1, 0, 0, 0), row(2, 4, 2, 4), row(3, 16, 4, 2)]);
    const line = smoothed(points, 2);
    expect(line.map((p) => p.sqrt_kl)).toEqual([0, 1, 3]);
    expect(line.map((p) => p.gold)).toEqual([0, 2, 3]);
    expect(line.map((p) => p.proxy)).toEqual([0, 1, 3]);
  });

  it('finds the smoothed gold peak and whether it has fallen since', () => {
    const rising = klPoints([1, 2, 3, 4].map((s) => row(s, s, s, s)));
    expect(goldPeak(rising, 1)?.fell).toBe(false);
    const peaked = klPoints([row(1, 1, 0, 1), row(2, 2, 1, 3), row(3, 3, 2, 2), row(4, 4, 3, 1.5)]);
    const peak = goldPeak(peaked, 1)!;
    expect(peak.peak.step).toBe(2);
    expect(peak.last.gold).toBe(1.5);
    expect(peak.fell).toBe(true);
    expect(goldPeak([], 5)).toBeNull();
  });

  it('draws gold on the left axis and the proxy on the right; best-of-n only when measured', () => {
    const points = klPoints([row(1, 0, 0, 1), row(2, 1, 1, 2)]);
    const traces = overoptimizationTraces(points, [], 10);
    expect(traces).toHaveLength(4);
    expect(traces.filter((t) => t.yaxis === 'y2').map((t) => t.name)).toEqual(['proxy (each step)', 'proxy reward (run)']);
    const withBon = overoptimizationTraces(points, [{ n: 1, kl: 0, sqrt_kl: 0, proxy: 0, gold: 1 }], 10);
    expect(withBon).toHaveLength(6);
    expect(withBon[4].text).toEqual(['n = 1']);
  });
});

describe('the lesson labels', () => {
  it('prefer the happier ending, skip ties, and stop at the number asked for', () => {
    const prompt = 'Write a story about a cat.\n';
    const happy = 'The cat lost its ball. Then it found it and was happy and glad.';
    const sad = 'The cat had a ball. It lost the ball and cried, sad and alone.';
    const alsoSad = 'The cat had a hat. The hat broke and the cat was sad and cried.';
    expect(goldScore(prompt, happy, OVEROPT_LESSON.labelGold)).toBeGreaterThan(goldScore(prompt, sad, OVEROPT_LESSON.labelGold));
    const pairs = labelByGold([{ prompt, completions: [sad, happy] }, { prompt, completions: [sad, alsoSad] }, { prompt, completions: [happy, sad] }], OVEROPT_LESSON.labelGold, 10);
    expect(pairs).toEqual([
      { prompt, chosen: happy, rejected: sad, annotator: LESSON_ANNOTATOR },
      { prompt, chosen: happy, rejected: sad, annotator: LESSON_ANNOTATOR },
    ]);
    expect(labelByGold([{ prompt, completions: [sad, happy] }, { prompt, completions: [happy, sad] }], OVEROPT_LESSON.labelGold, 1)).toHaveLength(1);
  });
});
