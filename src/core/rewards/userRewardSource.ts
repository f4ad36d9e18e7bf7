/**
 * A reward function the user writes as JavaScript, `(prompt, completion) => number`: the checks
 * on its source text and the shape of a failure, shared by the browser sandbox
 * (workers/rewardSandbox.worker.ts + sandboxedReward.ts) and the Node runner (nodeReward.ts).
 * Nothing here runs the user's code: `new Function` only parses it.
 *
 * Results: a finite number is the reward; null means "cannot judge" (TRL's None) and becomes NaN;
 * anything else (undefined, a string, NaN, Infinity, a Promise) is a failure, so a forgotten
 * `return` or a division by zero shows up at once instead of training on garbage.
 */
import type { ScoredBatch } from './rewardFunction.ts';

/** Why one call of a user's reward function failed, with what is needed to find and fix it. */
export interface RewardFailure {
  /** What went wrong, in words: the thrown message, "returned a string", "took longer than 200 ms". */
  reason: string;
  /** The line of the user's source (1-based) the failure points at, or null when none does. */
  line: number | null;
  /** Which completion of the batch (0-based), or -1 when building the function failed. */
  index: number;
  prompt: string;
  completion: string;
}

/**
 * The error a user reward function's score() rejects with (its first failing call), and
 * scoreBatch() when the whole function fails (index -1: it cannot be built or started). `failure` is a plain object, safe to post through a worker
 * boundary (comlink keeps only an Error's message).
 */
export class RewardFunctionError extends Error {
  readonly failure: RewardFailure;
  constructor(failure: RewardFailure) {
    super(describeRewardFailure(failure));
    this.name = 'RewardFunctionError';
    this.failure = failure;
  }
  get line(): number | null { return this.failure.line; }
  get reason(): string { return this.failure.reason; }
  get prompt(): string { return this.failure.prompt; }
  get completion(): string { return this.failure.completion; }
}

/** The file name user code runs under, so stack frames can be told apart from the sandbox's own. */
export const USER_SOURCE_URL = 'user-reward.js';

/**
 * The user's source as one script whose value is the function: line 1 is "(", so user line L is
 * script line L + 1. The sourceURL comment names the script in stack traces (V8, also in eval).
 */
export function wrapRewardSource(source: string): string {
  return `(\n${source}\n)\n//# sourceURL=${USER_SOURCE_URL}`;
}

/** The user's line a stack trace points at: the first frame in USER_SOURCE_URL, or null. */
export function userLineFromStack(stack: string | undefined): number | null {
  const match = new RegExp(`${USER_SOURCE_URL.replace('.', '\\.')}:(\\d+)(?::\\d+)?`).exec(stack ?? '');
  return match ? Math.max(1, Number(match[1]) - 1) : null;
}

/** Shortens a sample for an error message. */
function clip(text: string, max = 120): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** One readable paragraph: what failed, where in the source, on which sample. */
export function describeRewardFailure(f: RewardFailure): string {
  const where = f.line === null ? '' : ` (line ${f.line})`;
  if (f.index < 0) return `Your reward function could not be built${where}: ${f.reason}`;
  return `Your reward function failed on completion ${f.index + 1} of the batch${where}: ${f.reason}\n` +
    `  prompt: ${JSON.stringify(clip(f.prompt))}\n  completion: ${JSON.stringify(clip(f.completion))}`;
}

/** Global names removed from the sandbox: the network, storage, and ways to start other code. */
export const BLOCKED_GLOBALS = [
  'fetch', 'XMLHttpRequest', 'WebSocket', 'WebSocketStream', 'WebTransport', 'EventSource',
  'importScripts', 'indexedDB', 'caches', 'BroadcastChannel', 'Worker', 'SharedWorker',
] as const;

export function blockedMessage(name: string): string {
  return `${name} is not available in a reward function (it runs with no network, storage, other workers or code built from text)`;
}

export function timeLimitReason(timeLimitMs: number): string {
  return `took longer than ${timeLimitMs} ms (an endless loop?)`;
}

/**
 * Timeouts one batch may have before the rest of it is skipped: each costs the whole time limit
 * (and, in the browser, a fresh sandbox), so a function that loops on most completions would
 * otherwise hold a training step for batch size x the limit.
 */
export const MAX_TIMEOUTS_PER_BATCH = 3;

export function skippedReason(timeouts: number): string {
  return `skipped: ${timeouts} calls timed out in this batch`;
}

/** The failures of the completions after `from` that a batch skipped once it had too many timeouts. */
export function skippedFailures(prompts: readonly string[], completions: readonly string[], from: number): RewardFailure[] {
  const reason = skippedReason(MAX_TIMEOUTS_PER_BATCH);
  return completions.slice(from).map((completion, k) => ({ reason, line: null, index: from + k, prompt: prompts[from + k] ?? '', completion }));
}

/** score() from scoreBatch(): the scores, or a RewardFunctionError for the batch's first failure. */
export function scoresOrFirstFailure(batch: ScoredBatch): number[] {
  if (batch.failures.length) throw new RewardFunctionError(batch.failures[0]);
  return batch.scores;
}

/** What a thrown value says, without calling user code (a thrown object's toString could loop). */
export function thrownReason(e: unknown): string {
  if (e !== null && typeof e === 'object') {
    const { name, message } = e as { name?: unknown; message?: unknown };
    if (typeof message === 'string') return `${typeof name === 'string' ? name : 'Error'}: ${message}`;
    return 'threw an object that is not an Error';
  }
  return `threw ${typeof e === 'string' ? JSON.stringify(clip(e, 80)) : String(e)}`;
}

/** What a value a user's function returned means: a reward, or why it is not one. */
export function checkRewardValue(value: unknown): { ok: true; reward: number } | { ok: false; reason: string } {
  if (value === null) return { ok: true, reward: NaN };
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return { ok: true, reward: value };
    return { ok: false, reason: `returned ${value}, not a finite number (return null for "cannot judge")` };
  }
  if (value === undefined) return { ok: false, reason: 'returned nothing (undefined): is a `return` missing?' };
  if (typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function') {
    return { ok: false, reason: 'returned a Promise: the function must not be async' };
  }
  const shown = typeof value === 'string' ? JSON.stringify(clip(value, 40)) : typeof value;
  return { ok: false, reason: `returned ${typeof value === 'string' ? 'the string ' + shown : shown}, not a number` };
}

/** V8's messages for a parse that ran out of text rather than hit a wrong token. */
const INCOMPLETE = /Unexpected end of input|Unterminated template|missing \) after argument list/;

function parseError(script: string): string | null {
  try {
    // Parses only; the body is never called.
    new Function(script);
    return null;
  } catch (e) {
    return e instanceof SyntaxError ? e.message : String(e);
  }
}

/**
 * The line of a syntax error: the first line whose prefix fails with anything other than
 * "ran out of text" (a prefix of a correct function is merely incomplete); the last line when
 * every prefix is merely incomplete (an unclosed bracket).
 */
function syntaxErrorLine(source: string): number {
  const lines = source.split('\n');
  for (let k = 1; k <= lines.length; k++) {
    const prefix = lines.slice(0, k).join('\n');
    const message = parseError(`return (\n${prefix}`);
    if (message !== null && !INCOMPLETE.test(message) && !hitsWrapperBrace(message, prefix)) return k;
  }
  return lines.length;
}

/**
 * new Function closes the body with its own "}": a prefix that stops mid-expression (an arrow
 * whose body is on the next line) fails on that brace, not on the user's text, unless the prefix
 * itself has more closing braces than opening ones.
 */
function hitsWrapperBrace(message: string, prefix: string): boolean {
  const count = (ch: string) => prefix.split(ch).length - 1;
  return message.includes("Unexpected token '}'") && count('}') <= count('{');
}

const FUNCTION_START = /^(?:function\b|\([^)]*\)\s*=>|[A-Za-z_$][\w$]*\s*=>|\()/;

/**
 * Checks source text before it runs: it must parse as one expression and look like a function
 * (`(prompt, completion) => ...` or `function (prompt, completion) { ... }`), not async. Returns
 * null, or the failure (index -1) with the line of a syntax error. The sandbox still checks that
 * the value really is a function.
 */
export function checkRewardSource(source: string): RewardFailure | null {
  const fail = (reason: string, line: number | null): RewardFailure => ({ reason, line, index: -1, prompt: '', completion: '' });
  // Leading comments are fine: look at the code after them.
  const text = source.replace(/^(?:\s*(?:\/\/[^\n]*|\/\*[\s\S]*?\*\/))*/, '').trim();
  if (!text) return fail('the source is empty: write a function such as (prompt, completion) => completion.length', null);
  const message = parseError(`return (\n${source}\n);`);
  if (message !== null) return fail(`syntax error: ${message}`, syntaxErrorLine(source));
  if (/^async\b/.test(text)) return fail('the function must not be async: return a number straight away', 1);
  if (!FUNCTION_START.test(text)) return fail('the source must be a single function expression, such as (prompt, completion) => completion.length', 1);
  if (/\bimport\s*\(/.test(source)) return fail('import() is not available in a reward function', null);
  return null;
}
