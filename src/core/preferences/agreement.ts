/**
 * Inter-annotator agreement, by the textbook definitions.
 *
 * Cohen's kappa (two annotators, items both labeled):
 *   kappa = (p_o - p_e) / (1 - p_e),  p_o = share of items where they agree,
 *   p_e = sum over categories k of p1(k) * p2(k)  (each annotator's own share of k).
 * Krippendorff's alpha, nominal (any number of annotators, missing values allowed):
 *   build the coincidence matrix o_ck = sum over units u with m_u >= 2 values of
 *   (number of ordered pairs of values (c, k) in u from different annotators) / (m_u - 1);
 *   n_c = sum_k o_ck, n = sum_c n_c;
 *   alpha = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c * n_k.
 * Both are NaN where undefined (no shared items, or only one category in use: chance agreement is 1).
 *
 * For preference labels, an item is one pair of completions of one comparison, and its category
 * is which one won or 'tie' (codePreferences); discards are missing values.
 */
import { rankingPairs, type Ranking } from './ranking.ts';

/** Item id -> category, for one annotator. */
export type Coding = ReadonlyMap<string, string>;

export function cohenKappa(a: Coding, b: Coding): { kappa: number; items: number } {
  const shared = [...a.keys()].filter((item) => b.has(item));
  const n = shared.length;
  if (n === 0) return { kappa: NaN, items: 0 };
  let agree = 0;
  const countA = new Map<string, number>();
  const countB = new Map<string, number>();
  for (const item of shared) {
    const x = a.get(item)!;
    const y = b.get(item)!;
    if (x === y) agree++;
    countA.set(x, (countA.get(x) ?? 0) + 1);
    countB.set(y, (countB.get(y) ?? 0) + 1);
  }
  const po = agree / n;
  let pe = 0;
  for (const [k, c] of countA) pe += (c / n) * ((countB.get(k) ?? 0) / n);
  return { kappa: pe === 1 ? NaN : (po - pe) / (1 - pe), items: n };
}

/** Krippendorff's alpha (nominal) over annotators' codings; `pairable` counts the values used. */
export function krippendorffAlpha(codings: readonly Coding[]): { alpha: number; pairable: number } {
  const units = new Map<string, string[]>();
  for (const coding of codings) {
    for (const [item, value] of coding) units.set(item, [...(units.get(item) ?? []), value]);
  }
  const o = new Map<string, Map<string, number>>();
  const add = (c: string, k: string, w: number) => {
    const row = o.get(c) ?? new Map<string, number>();
    row.set(k, (row.get(k) ?? 0) + w);
    o.set(c, row);
  };
  for (const values of units.values()) {
    const m = values.length;
    if (m < 2) continue;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) if (i !== j) add(values[i], values[j], 1 / (m - 1));
    }
  }
  const nc = new Map<string, number>();
  for (const [c, row] of o) nc.set(c, [...row.values()].reduce((s, v) => s + v, 0));
  const n = [...nc.values()].reduce((s, v) => s + v, 0);
  let disagreeObserved = 0;
  for (const [c, row] of o) for (const [k, v] of row) if (c !== k) disagreeObserved += v;
  let disagreeExpected = 0;
  for (const [c, x] of nc) for (const [k, y] of nc) if (c !== k) disagreeExpected += x * y;
  const alpha = disagreeExpected === 0 ? NaN : 1 - ((n - 1) * disagreeObserved) / disagreeExpected;
  return { alpha, pairable: Math.round(n) };
}

export interface CodedLabel {
  comparisonId: number;
  /** Number of completions in the comparison. */
  k: number;
  ranking: Ranking;
}

/**
 * One annotator's labels as a coding: item "comparisonId:i-j" (i < j) -> 'i' (i won), 'j', or
 * 'tie'. Discarded comparisons give no items.
 */
export function codePreferences(labels: readonly CodedLabel[]): Map<string, string> {
  const coding = new Map<string, string>();
  for (const label of labels) {
    if (label.ranking.length === 0) continue;
    const beats = new Set(rankingPairs(label.ranking).map(([w, l]) => `${w}>${l}`));
    for (let i = 0; i < label.k; i++) {
      for (let j = i + 1; j < label.k; j++) {
        coding.set(`${label.comparisonId}:${i}-${j}`, beats.has(`${i}>${j}`) ? String(i) : beats.has(`${j}>${i}`) ? String(j) : 'tie');
      }
    }
  }
  return coding;
}

export interface AnnotatorLabel extends CodedLabel {
  annotator: string;
  simulated: boolean;
}

export interface AgreementReport {
  annotators: { name: string; simulated: boolean; labels: number }[];
  /** Cohen's kappa for each pair of annotators (items both labeled). */
  kappas: { a: string; b: string; kappa: number; items: number }[];
  /** Krippendorff's alpha over all annotators. */
  alpha: number;
  pairable: number;
}

/** Agreement between every pair of annotators, and over all of them. */
export function agreementReport(labels: readonly AnnotatorLabel[]): AgreementReport {
  const byAnnotator = new Map<string, AnnotatorLabel[]>();
  for (const l of labels) byAnnotator.set(l.annotator, [...(byAnnotator.get(l.annotator) ?? []), l]);
  const names = [...byAnnotator.keys()].sort();
  const codings = new Map(names.map((n) => [n, codePreferences(byAnnotator.get(n)!)]));
  const kappas: AgreementReport['kappas'] = [];
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) kappas.push({ a: names[i], b: names[j], ...cohenKappa(codings.get(names[i])!, codings.get(names[j])!) });
  }
  const { alpha, pairable } = krippendorffAlpha([...codings.values()]);
  return {
    annotators: names.map((name) => ({ name, simulated: byAnnotator.get(name)!.some((l) => l.simulated), labels: byAnnotator.get(name)!.length })),
    kappas,
    alpha,
    pairable,
  };
}
