/**
 * "Try it on examples": runs a user's reward function in its own sandbox worker (the same one a
 * GRPO run uses) on a few built-in (prompt, completion) pairs, and keeps each example's score or
 * why it failed (reason, line). One instance per code editor on the page; the sandbox is built
 * for each try and disposed after, so an edited source is always the one tried.
 */
import { buildInstructionSet } from '../core/data/instructions.ts';
import type { RewardFunction } from '../core/rewards/rewardFunction.ts';
import { sandboxedReward } from '../core/rewards/sandboxedReward.ts';
import { RewardFunctionError, type RewardFailure } from '../core/rewards/userRewardSource.ts';

/** Stories of every kind of request the stage's prompts make (topic, mood, a named toy). */
const EXAMPLE_COUNT = 6;
const EXAMPLE_SEED = 11;

export interface TryExample {
  prompt: string;
  completion: string;
}

/** One example's outcome: a score (NaN: "cannot judge", the function returned null), or its failure. */
export interface TryResult extends TryExample {
  score: number;
  failure: RewardFailure | null;
}

let examples: TryExample[] | null = null;

/** The built-in examples (the instruction data's requests with their written stories), made once. */
export function tryExamples(): TryExample[] {
  examples ??= buildInstructionSet({ count: EXAMPLE_COUNT, seed: EXAMPLE_SEED, kind: 'mixed' }).map(({ prompt, completion }) => ({ prompt, completion }));
  return examples;
}

function failureOf(error: unknown): RewardFailure {
  if (error instanceof RewardFunctionError) return error.failure;
  return { reason: error instanceof Error ? error.message : String(error), line: null, index: -1, prompt: '', completion: '' };
}

/** Scores every example on its own, so one failure does not hide the others' scores (for functions without scoreBatch). */
async function scoreEach(reward: RewardFunction, list: readonly TryExample[]): Promise<{ scores: number[]; failures: RewardFailure[] }> {
  const scores: number[] = [];
  const failures: RewardFailure[] = [];
  for (const [i, example] of list.entries()) {
    try {
      scores.push((await reward.score([example.prompt], [example.completion]))[0]);
    } catch (error) {
      const failure = failureOf(error);
      // A function that cannot be built fails every example the same way: say it once.
      if (failure.index < 0) throw error;
      scores.push(NaN);
      failures.push({ ...failure, index: i });
    }
  }
  return { scores, failures };
}

export class RewardTry {
  running = $state(false);
  /** Each example's outcome from the last try; empty before the first. */
  results = $state.raw<TryResult[]>([]);
  /** Why the function could not be built or started at all (syntax, not a function, a crash). */
  buildFailure = $state.raw<RewardFailure | null>(null);
  /** The source the results are for: the page hides them once the code is edited. */
  triedSource = $state<string | null>(null);

  /** Runs `source` on the examples; never throws (what went wrong is in buildFailure or results). */
  async run(source: string, name: string): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.results = [];
    this.buildFailure = null;
    this.triedSource = source;
    let reward: RewardFunction | null = null;
    try {
      reward = sandboxedReward(source, { name });
      const list = tryExamples();
      const prompts = list.map((e) => e.prompt);
      const completions = list.map((e) => e.completion);
      const { scores, failures } = reward.scoreBatch ? await reward.scoreBatch(prompts, completions) : await scoreEach(reward, list);
      this.results = list.map((example, i) => ({ ...example, score: scores[i] ?? NaN, failure: failures.find((f) => f.index === i) ?? null }));
    } catch (error) {
      this.buildFailure = failureOf(error);
    } finally {
      reward?.dispose?.();
      this.running = false;
    }
  }
}
