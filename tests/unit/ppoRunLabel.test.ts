import { describe, expect, it } from 'vitest';
import { klLabel, overlayLabel } from '../../src/lib/ppoRunLabel.ts';

describe('klLabel', () => {
  it('names the KL coefficient, and the target only when the adaptive controller was on', () => {
    expect(klLabel({ kl_coef: 0.05, adap_kl_ctrl: false, target: 6 })).toBe('kl_coef=0.05');
    expect(klLabel({ kl_coef: 0, adap_kl_ctrl: false })).toBe('kl_coef=0');
    expect(klLabel({ kl_coef: 0.2, adap_kl_ctrl: true, target: 6 })).toBe('kl_coef=0.2, target=6');
    expect(klLabel(undefined)).toBe('kl_coef=?');
  });
});

describe('overlayLabel', () => {
  const base = { kl_coef: 0.05, adap_kl_ctrl: false, learning_rate: 1e-4, seed: 0, temperature: 0.7, max_steps: 100, reward: 'gold score' };

  it('is the run and its KL setting when nothing else differs', () => {
    expect(overlayLabel({ id: 3, stageConfig: base }, { ...base, kl_coef: 0 })).toBe('#3 kl_coef=0.05');
  });

  it('adds at most two other settings that differ from the run on screen', () => {
    const other = { ...base, seed: 1, learning_rate: 3e-4, temperature: 1 };
    expect(overlayLabel({ id: 4, stageConfig: other }, base)).toBe('#4 kl_coef=0.05, learning_rate=0.0003, temperature=1');
  });

  it('names the KL setting alone with no run on screen to compare with', () => {
    expect(overlayLabel({ id: 5, stageConfig: { ...base, seed: 9 } }, undefined)).toBe('#5 kl_coef=0.05');
  });
});
