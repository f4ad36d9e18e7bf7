/** The per-token view's diverging colour scale and value text (src/lib/logRatioColor.ts). */
import { describe, expect, test } from 'vitest';
import { formatLogRatio, logRatioColor, logRatioScale } from '../../src/lib/logRatioColor.ts';

describe('logRatioScale', () => {
  test('is the largest finite |value|, never below 0.05', () => {
    expect(logRatioScale([0.2, -0.9, 0.1])).toBe(0.9);
    expect(logRatioScale([0.001, -0.002])).toBe(0.05);
    expect(logRatioScale([])).toBe(0.05);
    expect(logRatioScale([NaN, Infinity, -0.3])).toBe(0.3);
  });
});

describe('logRatioColor', () => {
  test('white at 0 and for values that are not numbers', () => {
    expect(logRatioColor(0, 1)).toBe('rgb(255, 255, 255)');
    expect(logRatioColor(NaN, 1)).toBe('rgb(255, 255, 255)');
  });

  test('blue below 0, red above, saturating at the scale with 70% of the colour', () => {
    // 255 + (37 - 255) * 0.7 = 102.4, 255 + (99 - 255) * 0.7 = 145.8, 255 + (235 - 255) * 0.7 = 241
    expect(logRatioColor(-1, 1)).toBe('rgb(102, 146, 241)');
    expect(logRatioColor(-5, 1)).toBe('rgb(102, 146, 241)');
    // 255 + (220 - 255) * 0.7 = 230.5, 255 + (38 - 255) * 0.7 = 103.1
    expect(logRatioColor(2, 2)).toBe('rgb(231, 103, 103)');
    // Half way: 255 + (220 - 255) * 0.35 = 242.75, 255 + (38 - 255) * 0.35 = 179.05
    expect(logRatioColor(0.5, 1)).toBe('rgb(243, 179, 179)');
  });
});

describe('formatLogRatio', () => {
  test('three decimals with a sign, plain zero', () => {
    expect(formatLogRatio(0.1234)).toBe('+0.123');
    expect(formatLogRatio(-0.05)).toBe('-0.050');
    expect(formatLogRatio(0.0001)).toBe('0.000');
    expect(Number(formatLogRatio(-1.5))).toBe(-1.5);
  });
});
