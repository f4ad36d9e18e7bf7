/**
 * The label-noise experiment's corruption: swap chosen and rejected on a seeded random subset of the
 * TRAINING pairs, as if that share of annotators had clicked the wrong answer. Held-out pairs keep
 * their labels, so eval/rewards/accuracies still measures agreement with the truth and shows which
 * loss type (sigmoid, robust, ipo, smoothed) shrugs the noise off.
 */
import type { PreferencePair } from '../preferences/types.ts';
import { Rng } from '../rng.ts';
import type { FieldError } from '../train/validate.ts';

export interface LabelNoise {
  /** Share of the training pairs to flip, in [0, 0.5): at 0.5 the labels would carry no information. */
  fraction: number;
  /** Picks which pairs flip; the same seed flips the same pairs. */
  seed: number;
}

/** Errors name the request field 'label_noise', so the UI and the CLI can show them in place. */
export function validateLabelNoise(noise: LabelNoise | null | undefined): FieldError[] {
  if (noise === undefined || noise === null) return [];
  const { fraction, seed } = noise;
  if (typeof fraction !== 'number' || !Number.isFinite(fraction) || fraction < 0 || fraction >= 0.5) {
    return [{ field: 'label_noise', message: `the fraction of flipped labels must be at least 0 and below 0.5 (got ${String(fraction)})` }];
  }
  if (!Number.isInteger(seed)) return [{ field: 'label_noise', message: `the seed must be a whole number (got ${String(seed)})` }];
  return [];
}

/** How many of `trainCount` pairs a fraction flips (rounded to the nearest pair). */
export function flippedCount(trainCount: number, fraction: number): number {
  return Math.min(trainCount, Math.round(fraction * trainCount));
}

/**
 * A copy of `pairs` with chosen and rejected swapped on round(fraction × train) of the pairs at
 * `trainIndices` (a seeded partial Fisher-Yates shuffle picks them); every other pair, held-out ones
 * included, is the same object as before. `flipped` lists the swapped pairs' indices, ascending.
 */
export function flipTrainingLabels(
  pairs: readonly PreferencePair[],
  trainIndices: readonly number[],
  noise: LabelNoise,
): { pairs: PreferencePair[]; flipped: number[] } {
  const pool = [...trainIndices];
  const count = flippedCount(pool.length, noise.fraction);
  const rng = new Rng(noise.seed);
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(pool.length - i);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  const flipped = pool.slice(0, count).sort((a, b) => a - b);
  const out = [...pairs];
  for (const index of flipped) {
    const p = pairs[index];
    out[index] = { ...p, chosen: p.rejected, rejected: p.chosen };
  }
  return { pairs: out, flipped };
}
