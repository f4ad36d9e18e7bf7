/**
 * The overoptimization lesson's recipe (Gao et al. 2022, in miniature), shared by the GRPO tab's
 * lesson button (src/state/grpoLessons.svelte.ts) and `npm run bench:overopt`, so the bench measures
 * exactly what the class sees.
 *
 * The gold is a fuller preference (happy ending + on topic + about 40 words) than the labels the
 * proxy learns from, which judge the ending alone: the SFT stories are mostly on topic and of similar
 * length, so a quick labeling pass would rarely tell pairs apart there anyway. The proxy is a reward
 * model trained on those labels with the default settings; GRPO optimises it with no KL term while
 * the full gold is logged. Measured (bench:overopt): the proxy keeps rising, the gold rises, peaks
 * and falls as the policy cuts its stories short and drifts off topic.
 */
import { goldPrefers, HAPPY_ENDING_SPEC, type GoldSpec } from '../preferences/goldScore.ts';
import type { PreferencePair } from '../preferences/types.ts';
import type { GrpoConfig } from './grpoConfig.ts';

export const OVEROPT_LESSON = {
  /** What we really want: a happy ending, on topic, about 40 words. */
  gold: { ...HAPPY_ENDING_SPEC, weights: { happy_ending: 1, on_topic: 1, length: 1 } } satisfies GoldSpec,
  /** What the labels judged: the ending alone. */
  labelGold: HAPPY_ENDING_SPEC,
  /** Labeled pairs the proxy learns from; ties are skipped, so more comparisons are sampled. */
  pairs: 150,
  comparisons: 225,
  /** Seed of the story requests and of the sampling. */
  seed: 7,
  // Twice the GRPO default learning rate: the gold peak comes within ~20 steps and the fall within 100 (bench:overopt).
  grpo: { max_steps: 100, learning_rate: 2e-3, beta: 0 } satisfies Partial<GrpoConfig>,
} as const;

/** The annotator name on the lesson's labels. */
export const LESSON_ANNOTATOR = 'simulated (happy ending), overoptimization lesson';

/** Pairs of two-story comparisons labeled by `spec` (ties skipped), at most `max`. */
export function labelByGold(comparisons: readonly { prompt: string; completions: readonly string[] }[], spec: GoldSpec, max: number): PreferencePair[] {
  const pairs: PreferencePair[] = [];
  for (const c of comparisons) {
    if (pairs.length === max) break;
    const [a, b] = c.completions;
    const verdict = goldPrefers(c.prompt, a, b, spec);
    if (verdict === 'tie') continue;
    pairs.push({ prompt: c.prompt, chosen: verdict === 'a' ? a : b, rejected: verdict === 'a' ? b : a, annotator: LESSON_ANNOTATOR });
  }
  return pairs;
}
