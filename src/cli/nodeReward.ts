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
import type { RewardFunction } from '../core/rewards/rewardFunction.ts';
import {
  BLOCKED_GLOBALS,
  RewardFunctionError,
  USER_SOURCE_URL,
  blockedMessage,
  checkRewardSource,
  checkRewardValue,
  thrownReason,
  timeLimitReason,
  userLineFromStack,
  wrapRewardSource,
} from '../core/rewards/userRewardSource.ts';

export interface NodeRewardOptions {
  /** Name in metric keys (rewards/<name>/mean). */
  name?: string;
  /** Longest one call may run, in milliseconds. */
  timeLimitMs?: number;
}

function errorReason(e: unknown, timeLimitMs: number): string {
  // The timeout error comes from Node itself, not from the context.
  if ((e as { code?: string })?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return timeLimitReason(timeLimitMs);
  return thrownReason(e);
}

/** Builds the function once (throws RewardFunctionError when it cannot); score() rejects with one on the first failing call. */
export function nodeReward(source: string, options: NodeRewardOptions = {}): RewardFunction {
  const timeLimitMs = options.timeLimitMs ?? 200;
  const sourceProblem = checkRewardSource(source);
  if (sourceProblem) throw new RewardFunctionError(sourceProblem);

  const context = vm.createContext({});
  // Stubs that say why, in the context's own realm (a fresh context already lacks them).
  vm.runInContext(
    BLOCKED_GLOBALS.map((name) => `Object.defineProperty(globalThis, ${JSON.stringify(name)}, { get() { throw new Error(${JSON.stringify(blockedMessage(name))}); } });`).join('\n'),
    context,
  );
  const build = (reason: string, line: number | null) => new RewardFunctionError({ reason, line, index: -1, prompt: '', completion: '' });
  try {
    context.__reward = new vm.Script(wrapRewardSource(source), { filename: USER_SOURCE_URL }).runInContext(context, { timeout: timeLimitMs });
  } catch (e) {
    throw build(errorReason(e, timeLimitMs), userLineFromStack((e as Error)?.stack));
  }
  if (typeof context.__reward !== 'function') throw build(`the source is a ${typeof context.__reward}, not a function`, null);
  const call = new vm.Script('__reward(__prompt, __completion)', { filename: 'reward-call.js' });

  return {
    name: options.name ?? 'user',
    async score(prompts, completions) {
      return completions.map((completion, index) => {
        const prompt = prompts[index];
        Object.assign(context, { __prompt: prompt, __completion: completion });
        let value: unknown;
        try {
          value = call.runInContext(context, { timeout: timeLimitMs });
        } catch (e) {
          throw new RewardFunctionError({ reason: errorReason(e, timeLimitMs), line: userLineFromStack((e as Error)?.stack), index, prompt, completion });
        }
        const checked = checkRewardValue(value);
        if (!checked.ok) throw new RewardFunctionError({ reason: checked.reason, line: null, index, prompt, completion });
        return checked.reward;
      });
    },
  };
}
