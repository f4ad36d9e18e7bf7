/**
 * One GRPO/RLOO step's scoring by every reward function, and what the step reports of the calls
 * that failed. A function with scoreBatch (user-written JavaScript) reports a failing completion
 * (a throw, a non-number, a timeout) instead of throwing: that completion scores NaN ("cannot
 * judge") and the run goes on. A function that rejects (it cannot run at all), answers with the
 * wrong shape or returns +/-Infinity ends the run.
 */
import type { NamedRewardFailure, TrainEvent } from '../engine/engineApi.ts';
import type { RewardFunction } from '../rewards/rewardFunction.ts';
import { describeRewardFailure, type RewardFailure } from '../rewards/userRewardSource.ts';

/** Failures shown per function per step (the first ones); `counts` still has them all. */
export const FAILURES_SHOWN_PER_FUNCTION = 5;

/** Steps in a row with no judged completion before the run ends: nothing can be learned. */
export const MAX_UNJUDGED_STEPS = 3;

export type StepRewards =
  /** perFunction [F][N], NaN where a function failed or cannot judge; failures of every function, in order. */
  | { perFunction: number[][]; failures: NamedRewardFailure[] }
  /** Why the run must end, in words (without the note on the kept checkpoint). */
  | { problem: string };

/** Scores the batch with every function; `step` (1-based) is for messages. */
export async function scoreStep(functions: readonly RewardFunction[], prompts: readonly string[], completions: readonly string[], step: number): Promise<StepRewards> {
  const N = completions.length;
  const perFunction: number[][] = [];
  const failures: NamedRewardFailure[] = [];
  for (const f of functions) {
    let scores: number[];
    let failed: RewardFailure[] = [];
    try {
      if (f.scoreBatch) ({ scores, failures: failed } = await f.scoreBatch(prompts, completions));
      else scores = await f.score(prompts, completions);
    } catch (e) {
      return { problem: `the reward function "${f.name}" threw at step ${step}: ${(e as Error)?.message ?? String(e)}.` };
    }
    if (!Array.isArray(scores) || scores.length !== N || scores.some((s) => typeof s !== 'number')) {
      return { problem: `the reward function "${f.name}" returned ${Array.isArray(scores) ? `${scores.length} values, not ${N} numbers` : 'something other than a list of numbers'} at step ${step}.` };
    }
    const infinite = scores.find((s) => s === Infinity || s === -Infinity);
    if (infinite !== undefined) return { problem: `the reward function "${f.name}" returned ${infinite} at step ${step}; training stopped.` };
    const failedAt = new Set(failed.map((x) => x.index));
    perFunction.push(scores.map((s, b) => (failedAt.has(b) ? NaN : s)));
    failures.push(...failed.map((x) => ({ ...x, function: f.name })));
  }
  return { perFunction, failures };
}

/** How many failures each function had. */
export function failureCounts(failures: readonly NamedRewardFailure[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const x of failures) counts[x.function] = (counts[x.function] ?? 0) + 1;
  return counts;
}

/** `rewards/<name>/failures` for every function that can report failures (0 when none failed). */
export function failureMetrics(functions: readonly RewardFunction[], failures: readonly NamedRewardFailure[]): Record<string, number> {
  const counts = failureCounts(failures);
  return Object.fromEntries(functions.filter((f) => f.scoreBatch).map((f) => [`rewards/${f.name}/failures`, counts[f.name] ?? 0]));
}

/** The step's rewardFailures event (the first few failures of each function, all counted), or none when nothing failed. */
export function rewardFailuresEvents(step: number, failures: readonly NamedRewardFailure[]): TrainEvent[] {
  if (!failures.length) return [];
  const seen: Record<string, number> = {};
  const shown = failures.filter((x) => (seen[x.function] = (seen[x.function] ?? 0) + 1) <= FAILURES_SHOWN_PER_FUNCTION);
  return [{ type: 'rewardFailures', step, failures: shown, counts: failureCounts(failures) }];
}

/**
 * Why the run ends after MAX_UNJUDGED_STEPS steps without a judged completion: the functions that
 * failed (quoting the first failure), or, when none failed, that they all returned "cannot judge".
 */
export function unjudgedMessage(step: number, functions: readonly RewardFunction[], failures: readonly NamedRewardFailure[]): string {
  const head = `no reward function could judge any completion for ${MAX_UNJUDGED_STEPS} steps in a row (to step ${step}), so nothing could be learned; training stopped.`;
  if (!failures.length) return `${head} ${functions.map((f) => `"${f.name}"`).join(', ')} returned NaN or null ("cannot judge") for every completion.`;
  const names = [...new Set(failures.map((x) => `"${x.function}"`))].join(', ');
  return `${head} Failing: ${names}. The first failure, in "${failures[0].function}": ${describeRewardFailure(failures[0])}`;
}
