/**
 * A simulated annotator, for classroom speed: it ranks completions by the programmatic gold
 * score (goldScore.ts), plus a bias, blurred by noise. Always marked as simulated.
 *
 *   perceived score   s_i = gold(prompt, c_i) + prefer_longer * words(c_i) / 10
 *   noise 'bradley_terry' (temperature T): the ranking is drawn from the Plackett-Luce model,
 *                     which for two completions is Bradley-Terry: P(a over b) = sigmoid((s_a - s_b) / T).
 *                     T = 0 is noise-free.
 *   noise 'flip' (rate p): the noise-free ranking, then each adjacent pair swapped with probability p
 *                     (for two completions: the choice is flipped with probability p).
 *   ties              neighbours in the final ranking whose perceived scores differ by less than the
 *                     gold spec's tie_margin are tied.
 */
import type { Rng } from '../rng.ts';
import { goldScore, HAPPY_ENDING_SPEC, wordCount, type GoldSpec } from './goldScore.ts';
import type { Ranking } from './ranking.ts';

export type AnnotatorNoise = { kind: 'bradley_terry'; temperature: number } | { kind: 'flip'; rate: number };

export interface AnnotatorSpec {
  gold: GoldSpec;
  noise: AnnotatorNoise;
  /** Score added per 10 words of a completion: > 0 prefers longer answers, < 0 shorter. */
  prefer_longer: number;
  /** Record the perceived scores, so exported pairs carry a `margin` (their difference). */
  record_margin: boolean;
  seed: number;
}

export const DEFAULT_ANNOTATOR: AnnotatorSpec = {
  gold: HAPPY_ENDING_SPEC,
  noise: { kind: 'bradley_terry', temperature: 0 },
  prefer_longer: 0,
  record_margin: false,
  seed: 0,
};

/** The annotator's name on its labels: always says "simulated", and what it prefers. */
export function simulatedAnnotatorName(spec: AnnotatorSpec): string {
  const w = spec.gold.weights;
  const wants = [w.happy_ending && 'happy ending', w.on_topic && 'on topic', w.length && 'length'].filter(Boolean);
  const noise = spec.noise.kind === 'flip' ? (spec.noise.rate > 0 ? `, flip ${spec.noise.rate}` : '')
    : spec.noise.temperature > 0 ? `, T=${spec.noise.temperature}` : '';
  const bias = spec.prefer_longer ? `, prefers ${spec.prefer_longer > 0 ? 'longer' : 'shorter'}` : '';
  return `simulated (${wants.join(' + ') || 'no preference'}${noise}${bias})`;
}

export function perceivedScores(prompt: string, completions: readonly string[], spec: AnnotatorSpec): number[] {
  return completions.map((c) => goldScore(prompt, c, spec.gold) + (spec.prefer_longer * wordCount(c)) / 10);
}

/** An order of indices drawn from the Plackett-Luce model with weights exp(s / T). */
function plackettLuce(scores: readonly number[], temperature: number, rng: Rng): number[] {
  const left = scores.map((_, i) => i);
  const order: number[] = [];
  while (left.length > 0) {
    const max = Math.max(...left.map((i) => scores[i]));
    const weights = left.map((i) => Math.exp((scores[i] - max) / temperature));
    let u = rng.next() * weights.reduce((a, b) => a + b, 0);
    let pick = left.length - 1;
    for (let j = 0; j < left.length; j++) {
      u -= weights[j];
      if (u < 0) {
        pick = j;
        break;
      }
    }
    order.push(left.splice(pick, 1)[0]);
  }
  return order;
}

/** Best first, by score; equal scores keep index order (deterministic). */
function sortedByScore(scores: readonly number[]): number[] {
  return scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
}

/** Groups neighbours of an order whose scores are within `margin` of the group's first member (each group in index order). */
export function groupTies(order: readonly number[], scores: readonly number[], margin: number): Ranking {
  const ranking: Ranking = [];
  for (const i of order) {
    const group = ranking.at(-1);
    if (group && Math.abs(scores[group[0]] - scores[i]) < margin) group.push(i);
    else ranking.push([i]);
  }
  return ranking.map((group) => group.sort((a, b) => a - b));
}

export interface SimulatedJudgement {
  ranking: Ranking;
  /** The perceived scores, when the spec records margins. */
  scores?: number[];
}

/** One simulated judgement of a comparison. Draws from `rng` (seed it for reproducible labels). */
export function simulateJudgement(prompt: string, completions: readonly string[], spec: AnnotatorSpec, rng: Rng): SimulatedJudgement {
  const scores = perceivedScores(prompt, completions, spec);
  let order: number[];
  if (spec.noise.kind === 'bradley_terry' && spec.noise.temperature > 0) {
    order = plackettLuce(scores, spec.noise.temperature, rng);
  } else {
    order = sortedByScore(scores);
    if (spec.noise.kind === 'flip') {
      for (let j = 0; j + 1 < order.length; j++) {
        if (rng.next() < spec.noise.rate) [order[j], order[j + 1]] = [order[j + 1], order[j]];
      }
    }
  }
  const ranking = groupTies(order, scores, spec.gold.tie_margin);
  return spec.record_margin ? { ranking, scores } : { ranking };
}

/** The spec's problems, one message per field (empty when valid). */
export function validateAnnotatorSpec(spec: AnnotatorSpec): { field: string; message: string }[] {
  const errors: { field: string; message: string }[] = [];
  const finite = (field: string, v: number) => Number.isFinite(v) || errors.push({ field, message: 'must be a number' });
  for (const [k, v] of Object.entries(spec.gold.weights)) finite(`gold.weights.${k}`, v);
  if (!(spec.gold.target_words >= 1)) errors.push({ field: 'gold.target_words', message: 'must be at least 1' });
  if (spec.noise.kind === 'bradley_terry' && !(spec.noise.temperature >= 0)) errors.push({ field: 'noise.temperature', message: 'must be 0 or more' });
  if (spec.noise.kind === 'flip' && !(spec.noise.rate >= 0 && spec.noise.rate <= 1)) errors.push({ field: 'noise.rate', message: 'must be between 0 and 1' });
  finite('prefer_longer', spec.prefer_longer);
  if (!Number.isInteger(spec.seed)) errors.push({ field: 'seed', message: 'must be a whole number' });
  return errors;
}
