/**
 * How a link writes numbers, and how a key the link gave is shown in a notice: shared by the
 * settings of a link (urlConfig.ts) and its model and reward choices (urlChoices.ts). Pure.
 */

export const NUMBER_TEXT = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/** The number a text stands for, or why it is none. */
export function readNumber(text: string): number | string {
  if (!NUMBER_TEXT.test(text.trim())) return 'not a number';
  const n = Number(text.trim());
  return Number.isFinite(n) ? n : 'not a finite number';
}

/** A key or name from a link as a notice shows it: shortened when long. */
export const shortKey = (key: string): string => (key.length > 40 ? `${key.slice(0, 40)}…` : key);
