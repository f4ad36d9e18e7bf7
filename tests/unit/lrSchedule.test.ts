import { describe, expect, it } from 'vitest';
import { learningRateAt } from '../../src/core/train/lrSchedule.ts';

describe('learning-rate schedules (as Hugging Face get_scheduler)', () => {
  it('warms up linearly from 0', () => {
    expect(learningRateAt(0, 1e-3, 'cosine', 10, 110)).toBe(0);
    expect(learningRateAt(5, 1e-3, 'constant', 10, 110)).toBeCloseTo(5e-4, 12);
  });
  it('constant stays at the peak', () => {
    expect(learningRateAt(100, 1e-3, 'constant', 10, 110)).toBe(1e-3);
  });
  it('linear decays to 0 at max_steps', () => {
    expect(learningRateAt(60, 1e-3, 'linear', 10, 110)).toBeCloseTo(5e-4, 12);
    expect(learningRateAt(110, 1e-3, 'linear', 10, 110)).toBe(0);
  });
  it('cosine is half at the midpoint and 0 at the end', () => {
    expect(learningRateAt(10, 1e-3, 'cosine', 10, 110)).toBeCloseTo(1e-3, 12);
    expect(learningRateAt(60, 1e-3, 'cosine', 10, 110)).toBeCloseTo(5e-4, 12);
    expect(learningRateAt(110, 1e-3, 'cosine', 10, 110)).toBeCloseTo(0, 12);
  });
});
