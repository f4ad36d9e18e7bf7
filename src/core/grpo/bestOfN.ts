/**
 * Best-of-n sampling as a baseline for the overoptimization chart (Gao et al. 2022, "Scaling Laws for
 * Reward Model Overoptimization"): draw n completions from the starting policy, keep the one the
 * proxy reward ranks highest. No training, yet it moves the output distribution away from the policy
 * by a known amount, KL(best-of-n || policy) = log n - (n - 1) / n nats (Stiennon et al. 2020,
 * appendix; exact when the proxy has no ties), so its gold and proxy scores can be drawn on the same
 * sqrt(KL) axis as a training run's.
 *
 * Scores for every n come from ONE set of n_max samples per prompt, with the unbiased estimator of
 * Nakano et al. 2021 (WebGPT, appendix): sorted by proxy, the i-th smallest of m samples is the best
 * of a uniformly random n-subset with probability C(i - 1, n - 1) / C(m, n).
 */

export interface BestOfNPoint {
  n: number;
  /** log n - (n - 1) / n: the best-of-n distribution's KL from the policy, in nats. */
  kl: number;
  sqrt_kl: number;
  /** Expected proxy score of the chosen completion, averaged over prompts. */
  proxy: number;
  /** Expected gold score of the chosen completion, averaged over prompts. */
  gold: number;
}

/** One prompt's samples: proxy and gold score of each, in the same order. */
export interface ScoredGroup {
  proxy: readonly number[];
  gold: readonly number[];
}

export const bestOfNKl = (n: number): number => Math.log(n) - (n - 1) / n;

/** C(a, b) as a float (exact for the small sizes used here; 0 when b > a). */
export function binomial(a: number, b: number): number {
  if (b < 0 || b > a) return 0;
  const k = Math.min(b, a - b);
  let c = 1;
  for (let j = 1; j <= k; j++) c = (c * (a - k + j)) / j;
  return c;
}

/**
 * Probability that each rank (0-based, ascending by proxy) is the best of a random n-subset of m:
 * C(rank, n - 1) / C(m, n). Sums to 1 over ranks.
 */
export function bestOfNWeights(m: number, n: number): number[] {
  const total = binomial(m, n);
  return Array.from({ length: m }, (_, rank) => binomial(rank, n - 1) / total);
}

/** Expected (proxy, gold) of best-of-n within one group of m >= n samples, all judged by the proxy. */
function groupBestOfN(group: ScoredGroup, n: number): { proxy: number; gold: number } {
  const m = group.proxy.length;
  // Ascending by proxy; ties keep sampling order.
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => group.proxy[a] - group.proxy[b]);
  const weights = bestOfNWeights(m, n);
  let proxy = 0;
  let gold = 0;
  order.forEach((i, rank) => {
    if (weights[rank] === 0) return;
    proxy += weights[rank] * group.proxy[i];
    gold += weights[rank] * group.gold[i];
  });
  return { proxy, gold };
}

/** A group without the samples the proxy could not judge (NaN): they cannot be ranked, so best-of-n never picks them. */
export function judgedOnly(group: ScoredGroup): ScoredGroup {
  const keep = group.proxy.map((p, i) => (Number.isNaN(p) ? -1 : i)).filter((i) => i >= 0);
  return { proxy: keep.map((i) => group.proxy[i]), gold: keep.map((i) => group.gold[i]) };
}

/** Powers of two from 1 up to max (and max itself): the n's of the curve. */
export function bestOfNSizes(max: number): number[] {
  const ns: number[] = [];
  for (let n = 1; n <= max; n *= 2) ns.push(n);
  if (ns.at(-1) !== max) ns.push(max);
  return ns;
}

/**
 * The best-of-n curve over `ns`, each point averaged over the groups; samples the proxy could not
 * judge are left out first, and an n larger than the smallest group is left off the curve.
 */
export function bestOfNCurve(all: readonly ScoredGroup[], ns: readonly number[]): BestOfNPoint[] {
  const groups = all.map(judgedOnly);
  if (!groups.length) return [];
  const smallest = Math.min(...groups.map((g) => g.proxy.length));
  return ns.filter((n) => n >= 1 && n <= smallest).map((n) => {
    const each = groups.map((g) => groupBestOfN(g, n));
    const proxy = each.reduce((s, e) => s + e.proxy, 0) / each.length;
    const gold = each.reduce((s, e) => s + e.gold, 0) / each.length;
    const kl = bestOfNKl(n);
    return { n, kl, sqrt_kl: Math.sqrt(kl), proxy, gold };
  });
}
