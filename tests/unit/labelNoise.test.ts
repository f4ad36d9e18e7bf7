import { describe, expect, it } from 'vitest';
import { defaultDpoRunConfig } from '../../src/core/dpo/dpoConfig.ts';
import { DpoRun } from '../../src/core/dpo/dpoTrainer.ts';
import { flippedCount, flipTrainingLabels, validateLabelNoise } from '../../src/core/dpo/labelNoise.ts';
import type { PreferencePair } from '../../src/core/preferences/types.ts';
import { splitIndices } from '../../src/core/reward/rewardData.ts';
import { DEFAULT_SAMPLING } from '../../src/core/train/defaults.ts';
import type { RunControls } from '../../src/core/train/runControls.ts';
import { ConfigError } from '../../src/core/train/validate.ts';

const pairs: PreferencePair[] = Array.from({ length: 40 }, (_, i) => ({ prompt: `p${i}`, chosen: `good ${i}`, rejected: `bad ${i}`, annotator: 'ann' }));
const split = splitIndices(pairs.length, 0.25, 3);
const isFlipped = (p: PreferencePair) => p.chosen.startsWith('bad');

describe('flipTrainingLabels', () => {
  it('swaps chosen and rejected on exactly round(fraction × training pairs), all of them training pairs', () => {
    const { pairs: out, flipped } = flipTrainingLabels(pairs, split.train, { fraction: 0.2, seed: 7 });
    expect(split.train.length).toBe(30);
    expect(flipped).toHaveLength(6);
    expect(flippedCount(30, 0.2)).toBe(6);
    expect(out.filter(isFlipped).map((p) => Number(p.prompt.slice(1)))).toEqual(flipped);
    for (const i of flipped) {
      expect(split.train).toContain(i);
      expect(out[i]).toEqual({ prompt: `p${i}`, chosen: `bad ${i}`, rejected: `good ${i}`, annotator: 'ann' });
    }
    // The input is not modified.
    expect(pairs.filter(isFlipped)).toHaveLength(0);
  });

  it('leaves the held-out pairs as labeled (the same objects)', () => {
    const { pairs: out } = flipTrainingLabels(pairs, split.train, { fraction: 0.45, seed: 1 });
    for (const i of split.eval) expect(out[i]).toBe(pairs[i]);
    expect(out.filter(isFlipped)).toHaveLength(flippedCount(30, 0.45));
  });

  it('is deterministic by seed, and another seed flips other pairs', () => {
    const a = flipTrainingLabels(pairs, split.train, { fraction: 0.3, seed: 11 }).flipped;
    expect(flipTrainingLabels(pairs, split.train, { fraction: 0.3, seed: 11 }).flipped).toEqual(a);
    expect(flipTrainingLabels(pairs, split.train, { fraction: 0.3, seed: 12 }).flipped).not.toEqual(a);
  });

  it('flips nothing at fraction 0 and rounds to the nearest pair', () => {
    expect(flipTrainingLabels(pairs, split.train, { fraction: 0, seed: 1 }).flipped).toEqual([]);
    expect(flippedCount(10, 0.25)).toBe(3);
    expect(flippedCount(10, 0.24)).toBe(2);
  });
});

describe('validateLabelNoise', () => {
  it('accepts none and fractions in [0, 0.5); refuses others naming label_noise', () => {
    expect(validateLabelNoise(undefined)).toEqual([]);
    expect(validateLabelNoise({ fraction: 0, seed: 0 })).toEqual([]);
    expect(validateLabelNoise({ fraction: 0.49, seed: 3 })).toEqual([]);
    for (const fraction of [0.5, -0.1, Number.NaN, 1]) {
      expect(validateLabelNoise({ fraction, seed: 0 })).toEqual([{ field: 'label_noise', message: expect.stringMatching(/below 0.5/) }]);
    }
    expect(validateLabelNoise({ fraction: 0.1, seed: 0.5 })[0].field).toBe('label_noise');
  });

  it('is checked by DpoRun before anything loads', async () => {
    const controls: RunControls = { shouldStop: () => false, waitWhilePaused: async () => undefined, sampling: () => DEFAULT_SAMPLING };
    const run = new DpoRun({
      config: defaultDpoRunConfig(),
      pairs,
      from: { config: '{}', tokenizer: '{}', model: new ArrayBuffer(0) } as never,
      sampling: DEFAULT_SAMPLING,
      prompts: [],
      label_noise: { fraction: 0.5, seed: 0 },
    });
    const error = await run.run(() => undefined, controls).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).errors.map((e) => e.field)).toEqual(['label_noise']);
  });
});
