/// <reference lib="webworker" />
/**
 * The sandbox a user-written reward function runs in (src/core/rewards/sandboxedReward.ts starts
 * it). Before any user code runs it removes the network, storage, other workers and ways to build
 * code from text (each now throws "<name> is not available in a reward function"); then it builds
 * the function once and scores batches, reporting progress before each call so its parent can
 * time every call and terminate a stuck worker, and each call's result or failure after it (a
 * failure does not stop the batch). See sandboxProtocol.ts for the messages.
 */
import type { SandboxReply, SandboxRequest } from '../src/core/rewards/sandboxProtocol.ts';
import {
  BLOCKED_GLOBALS,
  blockedMessage,
  checkRewardValue,
  thrownReason,
  userLineFromStack,
  wrapRewardSource,
  type RewardFailure,
} from '../src/core/rewards/userRewardSource.ts';

// Our own handles, kept before the globals they come from are removed.
const postMessage = self.postMessage.bind(self);
const post = (reply: SandboxReply) => postMessage(reply);
const evaluateScript = globalThis.eval; // called indirectly: a global-scope eval of the user's script

/** Replaces `name` on `target` and on every prototype that holds it with a getter that throws. */
function block(target: object, name: string): void {
  const blocked = { get() { throw new Error(blockedMessage(name)); }, set() {}, configurable: false, enumerable: false };
  for (let obj: object | null = target; obj; obj = Object.getPrototypeOf(obj)) {
    if (obj !== target && !Object.prototype.hasOwnProperty.call(obj, name)) continue;
    try {
      Object.defineProperty(obj, name, blocked);
    } catch {
      // A property that cannot be redefined: at least make it useless.
      try { (obj as Record<string, unknown>)[name] = undefined; } catch { /* read-only: it stays, but no such global exists in workers */ }
    }
  }
}

function lockDown(): void {
  for (const name of BLOCKED_GLOBALS) block(globalThis, name);
  if (typeof navigator !== 'undefined') {
    block(navigator, 'sendBeacon');
    block(navigator, 'storage'); // the origin-private file system
  }
  // Code from text could reach dynamic import(), which no global removal can stop.
  block(globalThis, 'eval');
  block(globalThis, 'Function');
  const functionKinds = [function () {}, async function () {}, function* () {}, async function* () {}];
  for (const fn of functionKinds) {
    Object.defineProperty(Object.getPrototypeOf(fn), 'constructor', { value: undefined, writable: false, configurable: false });
  }
  // A timer given a string evaluates it as code: allow functions only.
  for (const name of ['setTimeout', 'setInterval'] as const) {
    const timer = globalThis[name] as (handler: unknown, ...rest: unknown[]) => number;
    const guarded = (handler: unknown, ...rest: unknown[]) => {
      if (typeof handler !== 'function') throw new Error(blockedMessage(`${name} with a string`));
      return timer(handler, ...rest);
    };
    Object.defineProperty(globalThis, name, { value: guarded, writable: false, configurable: false });
  }
  // The user's code must not answer for the sandbox or close it (a closed worker would look stuck).
  for (const name of ['postMessage', 'close', 'onmessage', 'addEventListener', 'removeEventListener']) block(globalThis, name);
}

let reward: ((prompt: string, completion: string) => unknown) | null = null;

function build(source: string): RewardFailure | null {
  const failure = (reason: string, line: number | null): RewardFailure => ({ reason, line, index: -1, prompt: '', completion: '' });
  let value: unknown;
  try {
    value = evaluateScript(wrapRewardSource(source));
  } catch (e) {
    return failure(thrownReason(e), userLineFromStack((e as Error)?.stack));
  }
  if (typeof value !== 'function') return failure(`the source is a ${typeof value}, not a function`, null);
  reward = value as typeof reward;
  return null;
}

/** Calls the function on each completion from `from` on; a failing call is reported and the next one runs. */
function score(id: number, from: number, prompts: string[], completions: string[]): void {
  for (let index = from; index < completions.length; index++) {
    const prompt = prompts[index];
    const completion = completions[index];
    post({ type: 'progress', id, index });
    let value: unknown;
    try {
      value = reward!(prompt, completion);
    } catch (e) {
      post({ type: 'result', id, index, score: NaN, failure: { reason: thrownReason(e), line: userLineFromStack((e as Error)?.stack), index, prompt, completion } });
      continue;
    }
    const checked = checkRewardValue(value);
    post(checked.ok
      ? { type: 'result', id, index, score: checked.reward, failure: null }
      : { type: 'result', id, index, score: NaN, failure: { reason: checked.reason, line: null, index, prompt, completion } });
  }
}

self.addEventListener('message', (event: MessageEvent<SandboxRequest>) => {
  const request = event.data;
  if (request.type === 'build') post({ type: 'built', failure: build(request.source) });
  else if (!reward) post({ type: 'failed', id: request.id, failure: { reason: 'the function was not built', line: null, index: -1, prompt: '', completion: '' } });
  else score(request.id, request.from, request.prompts, request.completions);
});

lockDown();
post({ type: 'ready' });
