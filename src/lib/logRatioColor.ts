/**
 * Colours for the per-token view of a PPO sample: each token's log(pi / pi_ref) on a diverging
 * scale, blue below 0 (the policy now finds the token less likely than the frozen start did),
 * white at 0, red above 0 (more likely). The scale is symmetric around 0 so equal distances read
 * as equal shifts either way.
 */

/** Blue (less likely than at the start) and red (more likely), as RGB. */
const LESS_LIKELY_RGB: readonly [number, number, number] = [37, 99, 235];
const MORE_LIKELY_RGB: readonly [number, number, number] = [220, 38, 38];

/** At most this share of the full colour, so dark text stays readable on the strongest tint. */
const MAX_TINT = 0.7;
/** The smallest scale: a fresh run's near-zero values then stay near white instead of looking drastic. */
const MIN_SCALE = 0.05;

/** The value at which the colour saturates: the largest |log ratio| shown (finite ones), at least MIN_SCALE. */
export function logRatioScale(values: readonly number[]): number {
  let largest = 0;
  for (const v of values) if (Number.isFinite(v)) largest = Math.max(largest, Math.abs(v));
  return Math.max(MIN_SCALE, largest);
}

/** The background of a token with log ratio `value` on a scale saturating at +-`scale`: 'rgb(r, g, b)'. */
export function logRatioColor(value: number, scale: number): string {
  if (!Number.isFinite(value) || !(scale > 0)) return 'rgb(255, 255, 255)';
  const t = Math.min(1, Math.abs(value) / scale) * MAX_TINT;
  const end = value < 0 ? LESS_LIKELY_RGB : MORE_LIKELY_RGB;
  const [r, g, b] = end.map((c) => Math.round(255 + (c - 255) * t));
  return `rgb(${r}, ${g}, ${b})`;
}

/** A log ratio as text with its sign, e.g. '+0.123', '-0.050', '0.000'. */
export function formatLogRatio(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const text = Math.abs(value).toFixed(3);
  if (text === '0.000') return text;
  return `${value < 0 ? '-' : '+'}${text}`;
}
