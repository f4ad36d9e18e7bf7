/**
 * A user-written reward function for Node (the CLI and tests): the same source checks, results
 * and failures as the browser sandbox, run in a fresh node:vm context that holds only JavaScript's
 * built-ins (plus stubs that name the blocked globals), each call under a time limit.
 *
 * node:vm separates globals, not security: it is a guard against mistakes (an endless loop, a
 * typo, fetch) in code the user wrote for themselves, as in the browser. The browser's real
 * isolation is its own worker.
 */
import vm from 'node:vm';
import type { RewardFunction, ScoredBatch } from '../core/rewards/rewardFunction.ts';
import {
  BLOCKED_GLOBALS,
  MAX_TIMEOUTS_PER_BATCH,
  RewardFunctionError,
  USER_SOURCE_URL,
  blockedMessage,
  checkRewardSource,
  checkRewardValue,
  scoresOrFirstFailure,
  skippedFailures,
  thrownReason,
  timeLimitReason,
  userLineFromStack,
  wrapRewardSource,
  type RewardFailure,
} from '../core/rewards/userRewardSource.ts';

export interface NodeRewardOptions {
  /** Name in metric keys (rewards/<name>/mean). */
  name?: string;
  /** Longest one call may run, in milliseconds. */
  timeLimitMs?: number;
}

const isTimeout = (e: unknown) => (e as { code?: string })?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT';

function errorReason(e: unknown, timeLimitMs: number): string {
  // The timeout error comes from Node itself, not from the context.
  return isTimeout(e) ? timeLimitReason(timeLimitMs) : thrownReason(e);
}

/**
 * Builds the function once (throws RewardFunctionError when it cannot). scoreBatch() reports each
 * failing call and goes on; after a timeout the function is built again in a fresh context (as the
 * browser starts a fresh worker: whatever a half-run call left in its globals is gone), and after
 * MAX_TIMEOUTS_PER_BATCH timeouts the rest of the batch is skipped. score() rejects with the first failure.
 */
export function nodeReward(source: string, options: NodeRewardOptions = {}): RewardFunction {
  const timeLimitMs = options.timeLimitMs ?? 200;
  const sourceProblem = checkRewardSource(source);
  if (sourceProblem) throw new RewardFunctionError(sourceProblem);

  const build = (reason: string, line: number | null) => new RewardFunctionError({ reason, line, index: -1, prompt: '', completion: '' });
  let script: vm.Script;
  try {
    script = new vm.Script(wrapRewardSource(source), { filename: USER_SOURCE_URL });
  } catch (e) {
    throw build(thrownReason(e), null);
  }
  const call = new vm.Script('__reward(__prompt, __completion)', { filename: 'reward-call.js' });
  /** A fresh context holding only JavaScript's built-ins, the blocked-global stubs and the built function. */
  function buildContext(): vm.Context {
    const context = vm.createContext({});
    // Stubs that say why, in the context's own realm (a fresh context already lacks them).
    vm.runInContext(
      BLOCKED_GLOBALS.map((name) => `Object.defineProperty(globalThis, ${JSON.stringify(name)}, { get() { throw new Error(${JSON.stringify(blockedMessage(name))}); } });`).join('\n'),
      context,
    );
    try {
      context.__reward = script.runInContext(context, { timeout: timeLimitMs });
    } catch (e) {
      throw build(errorReason(e, timeLimitMs), userLineFromStack((e as Error)?.stack));
    }
    if (typeof context.__reward !== 'function') throw build(`the source is a ${typeof context.__reward}, not a function`, null);
    return context;
  }
  let context = buildContext();

  async function scoreBatch(prompts: readonly string[], completions: readonly string[]): Promise<ScoredBatch> {
    const scores = completions.map(() => NaN);
    const failures: RewardFailure[] = [];
    let timeouts = 0;
    for (let index = 0; index < completions.length; index++) {
      const prompt = prompts[index];
      const completion = completions[index];
      Object.assign(context, { __prompt: prompt, __completion: completion });
      let value: unknown;
      try {
        value = call.runInContext(context, { timeout: timeLimitMs });
      } catch (e) {
        failures.push({ reason: errorReason(e, timeLimitMs), line: userLineFromStack((e as Error)?.stack), index, prompt, completion });
        if (isTimeout(e)) {
          if (++timeouts >= MAX_TIMEOUTS_PER_BATCH) {
            failures.push(...skippedFailures(prompts, completions, index + 1));
            break;
          }
          context = buildContext();
        }
        continue;
      }
      const checked = checkRewardValue(value);
      if (checked.ok) scores[index] = checked.reward;
      else failures.push({ reason: checked.reason, line: null, index, prompt, completion });
    }
    return { scores, failures };
  }

  return {
    name: options.name ?? 'user',
    scoreBatch,
    score: async (prompts, completions) => scoresOrFirstFailure(await scoreBatch(prompts, completions)),
  };
}
