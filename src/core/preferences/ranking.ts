/**
 * A judgement of one comparison, and how it becomes TRL preference pairs.
 *
 * A ranking lists indices into the comparison's `completions`, best group first; completions
 * in one group are tied. A/B labels are rankings of two: "A is better" = [[a], [b]], a tie =
 * [[a, b]]; a discard is the empty ranking. Each completion in an earlier group beats each one
 * in a later group, so a full ranking of K completions gives K(K-1)/2 pairs; ties give none.
 */
import type { PreferencePair } from './types.ts';

export type Ranking = number[][];

/** What a labeler pressed for a two-way comparison. */
export type AbChoice = 'a' | 'b' | 'tie' | 'discard';

/**
 * The ranking for an A/B choice. `order` is the recorded display order: order[0] is the
 * completion shown as A, order[1] the one shown as B.
 */
export function abRanking(choice: AbChoice, order: readonly number[]): Ranking {
  const [a, b] = order;
  switch (choice) {
    case 'a': return [[a], [b]];
    case 'b': return [[b], [a]];
    case 'tie': return [[a, b]];
    case 'discard': return [];
  }
}

/**
 * The ranking from display positions ranked by a labeler: `ranks[p]` is the rank (1 = best)
 * given to the completion shown at position p; equal ranks are ties.
 */
export function rankingFromRanks(ranks: readonly number[], order: readonly number[]): Ranking {
  const byRank = new Map<number, number[]>();
  ranks.forEach((rank, position) => byRank.set(rank, [...(byRank.get(rank) ?? []), order[position]]));
  return [...byRank.entries()].sort((x, y) => x[0] - y[0]).map(([, group]) => group.sort((x, y) => x - y));
}

/** Checks a ranking covers each of `k` completions exactly once (or is empty: discarded). */
export function isValidRanking(ranking: Ranking, k: number): boolean {
  if (ranking.length === 0) return true;
  const seen = ranking.flat();
  return seen.length === k && new Set(seen).size === k && seen.every((i) => Number.isInteger(i) && i >= 0 && i < k);
}

/** Ordered (winner, loser) index pairs of a ranking: every earlier group beats every later one. */
export function rankingPairs(ranking: Ranking): [number, number][] {
  const pairs: [number, number][] = [];
  for (let g = 0; g < ranking.length; g++) {
    for (let h = g + 1; h < ranking.length; h++) {
      for (const winner of ranking[g]) for (const loser of ranking[h]) pairs.push([winner, loser]);
    }
  }
  return pairs;
}

export interface JudgedComparison {
  prompt: string;
  completions: readonly string[];
  ranking: Ranking;
  annotator?: string;
  /** Per-completion scores the annotator gave (ratings, or the simulated annotator's); margins come from them. */
  scores?: readonly number[];
  /** An explicit margin for a two-way comparison (imported from TRL's `margin` column). */
  margin?: number;
  attributes?: Record<string, string>;
}

/** The TRL pairs of one judged comparison; ties and discards give none. */
export function toPairs(judged: JudgedComparison): PreferencePair[] {
  return rankingPairs(judged.ranking).map(([c, r]) => {
    const pair: PreferencePair = { prompt: judged.prompt, chosen: judged.completions[c], rejected: judged.completions[r] };
    const margin = judged.scores ? judged.scores[c] - judged.scores[r] : judged.margin;
    if (margin !== undefined && Number.isFinite(margin)) pair.margin = margin;
    if (judged.annotator !== undefined) pair.annotator = judged.annotator;
    if (judged.attributes) pair.attributes = judged.attributes;
    return pair;
  });
}

/**
 * The ranking implied by a set of (winner, loser) pairs over `k` completions, grouped by number of
 * wins, if expanding it gives back exactly those pairs; else null (the pairs are not one ranking).
 */
export function rankingFromPairs(pairs: readonly [number, number][], k: number): Ranking | null {
  const wins = new Array<number>(k).fill(0);
  for (const [w] of pairs) wins[w]++;
  const groups = new Map<number, number[]>();
  wins.forEach((n, i) => groups.set(n, [...(groups.get(n) ?? []), i]));
  const ranking = [...groups.entries()].sort((x, y) => y[0] - x[0]).map(([, g]) => g);
  const key = (p: readonly [number, number]) => `${p[0]}>${p[1]}`;
  const want = new Set(pairs.map(key));
  const got = rankingPairs(ranking).map(key);
  return got.length === want.size && got.every((p) => want.has(p)) ? ranking : null;
}
