/**
 * TensorBoard's smoothing of a noisy curve: an exponential moving average, debiased so that the
 * first points are not pulled towards zero (the average starts at 0, and dividing by
 * 1 - weight^n undoes that start). Each output point is the average of the points up to it, the
 * newer ones weighing more; the x values and the number of points stay as they were.
 */

/** The slider's range: 0 draws the raw values, 0.99 averages over roughly the last hundred points. */
export const MAX_SMOOTHING = 0.99;

/**
 * `weight` in [0, 1): 0 returns the values unchanged. Values that are not finite are passed
 * through and skipped by the average; a constant curve is returned as is (the debiasing would
 * otherwise add rounding wobble to a flat line).
 */
export function smoothed(values: readonly number[], weight: number): number[] {
  const w = Math.min(Math.max(weight, 0), MAX_SMOOTHING);
  if (w === 0 || values.every((v) => v === values[0])) return [...values];
  const out: number[] = [];
  let average = 0;
  let counted = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) {
      out.push(v);
      continue;
    }
    average = average * w + (1 - w) * v;
    counted += 1;
    out.push(average / (1 - w ** counted));
  }
  return out;
}
