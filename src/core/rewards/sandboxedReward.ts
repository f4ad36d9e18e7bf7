/**
 * A user-written reward function run in its own worker (workers/rewardSandbox.worker.ts), for the
 * browser: no network, storage or DOM, and a time limit on every call. The trainer runs in the
 * engine worker, so this usually starts a worker from inside a worker (Chromium allows it; Vite
 * bundles the nested worker from the `new Worker(new URL(...))` below).
 *
 * Failures: scoreBatch() reports each failing call (a throw, a non-number, a timeout) with the
 * source line when known and the sample, scores that completion NaN and goes on with the next;
 * score() rejects with a RewardFunctionError for the first one. On a timeout the stuck worker is
 * terminated and a fresh one is built to score the rest; after MAX_TIMEOUTS_PER_BATCH timeouts the
 * rest of the batch is skipped (each reported as a failure), so one step takes bounded time. Only a
 * function that cannot be built or started rejects scoreBatch().
 */
import type { RewardFunction, ScoredBatch } from './rewardFunction.ts';
import type { SandboxReply, SandboxRequest } from './sandboxProtocol.ts';
import {
  MAX_TIMEOUTS_PER_BATCH,
  RewardFunctionError,
  checkRewardSource,
  scoresOrFirstFailure,
  skippedFailures,
  timeLimitReason,
  type RewardFailure,
} from './userRewardSource.ts';

export interface SandboxedRewardOptions {
  /** Name in metric keys (rewards/<name>/mean). */
  name?: string;
  /** Longest one call may run (building the function counts as one call), in milliseconds. */
  timeLimitMs?: number;
  /** Longest a fresh worker may take to load before the first call, in milliseconds. */
  startLimitMs?: number;
  /** Starts the sandbox worker (tests may pass their own). */
  createWorker?: () => Worker;
}

export interface SandboxedReward extends RewardFunction {
  /** Starts the worker and builds the function; rejects with a RewardFunctionError when it cannot. */
  ready(): Promise<void>;
  scoreBatch(prompts: readonly string[], completions: readonly string[]): Promise<ScoredBatch>;
}

function defaultWorker(): Worker {
  return new Worker(new URL('../../../workers/rewardSandbox.worker.ts', import.meta.url), { type: 'module', name: 'reward-sandbox' });
}

/** One running worker with the function built in it. */
interface Session {
  worker: Worker;
  /** Routes the worker's replies to whoever waits for them. */
  onReply: (reply: SandboxReply) => void;
  onCrash: (message: string) => void;
}

/**
 * Throws a RewardFunctionError at once when the source does not parse or is not a function
 * expression; everything else is reported by ready(), scoreBatch() or score().
 */
export function sandboxedReward(source: string, options: SandboxedRewardOptions = {}): SandboxedReward {
  const timeLimitMs = options.timeLimitMs ?? 200;
  const startLimitMs = options.startLimitMs ?? 10_000;
  const createWorker = options.createWorker ?? defaultWorker;
  const sourceProblem = checkRewardSource(source);
  if (sourceProblem) throw new RewardFunctionError(sourceProblem);

  let session: Promise<Session> | null = null;
  let current: Session | null = null;
  let nextId = 1;
  /** Calls run one after another: a batch waits for the one before it. */
  let queue: Promise<unknown> = Promise.resolve();

  const buildFailure = (reason: string): RewardFailure => ({ reason, line: null, index: -1, prompt: '', completion: '' });

  /** Ends a session's worker (the current one by default); the next call starts a fresh one. */
  function stop(s: Session | null = current): void {
    if (!s) return;
    s.worker.terminate();
    if (s === current) {
      current = null;
      session = null;
    }
  }

  /** After a call settles, the worker waits idle; an error it raises then (a user's timer) ends it. */
  function idle(s: Session): void {
    s.onReply = () => {};
    s.onCrash = () => stop(s);
  }

  /** Starts a worker, waits for 'ready', builds the function (under the time limit). */
  function start(): Promise<Session> {
    return new Promise<Session>((resolve, reject) => {
      const worker = createWorker();
      const s: Session = { worker, onReply: () => {}, onCrash: () => {} };
      current = s;
      worker.onmessage = (event: MessageEvent<SandboxReply>) => s.onReply(event.data);
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        s.onCrash(event.message || 'the sandbox worker failed');
      };
      const fail = (failure: RewardFailure) => {
        clearTimeout(timer);
        stop(s);
        reject(new RewardFunctionError(failure));
      };
      let timer = setTimeout(() => fail(buildFailure(`the sandbox did not start within ${startLimitMs} ms`)), startLimitMs);
      s.onCrash = (message) => fail(buildFailure(message));
      s.onReply = (reply) => {
        if (reply.type === 'ready') {
          clearTimeout(timer);
          timer = setTimeout(() => fail(buildFailure(timeLimitReason(timeLimitMs))), timeLimitMs);
          worker.postMessage({ type: 'build', source } satisfies SandboxRequest);
        } else if (reply.type === 'built') {
          clearTimeout(timer);
          if (reply.failure) fail(reply.failure);
          else {
            idle(s);
            resolve(s);
          }
        }
      };
    });
  }

  function ensureSession(): Promise<Session> {
    session ??= start();
    return session;
  }

  /**
   * Scores completions `from`..end in the session's worker, each call timed from its 'progress'
   * message; `onResult` gets every call's score or failure. Resolves null once the last one is
   * scored, or with the call that timed out or crashed the worker (then terminated); rejects with
   * a RewardFunctionError when the worker cannot score at all.
   */
  function run(
    s: Session,
    prompts: string[],
    completions: string[],
    from: number,
    onResult: (index: number, score: number, failure: RewardFailure | null) => void,
  ): Promise<{ failure: RewardFailure; timedOut: boolean } | null> {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      let index = from;
      const stuck = (reason: string, timedOut: boolean) => {
        clearTimeout(timer);
        stop(s);
        resolve({ failure: { reason, line: null, index, prompt: prompts[index] ?? '', completion: completions[index] ?? '' }, timedOut });
      };
      const arm = () => setTimeout(() => stuck(timeLimitReason(timeLimitMs), true), timeLimitMs);
      let timer = arm();
      s.onCrash = (message) => stuck(message, false);
      s.onReply = (reply) => {
        if (!('id' in reply) || reply.id !== id) return;
        clearTimeout(timer);
        if (reply.type === 'progress') {
          index = reply.index;
          timer = arm();
        } else if (reply.type === 'result') {
          onResult(reply.index, reply.score, reply.failure);
          if (reply.index < completions.length - 1) timer = arm();
          else {
            idle(s);
            resolve(null);
          }
        } else if (reply.type === 'failed') {
          idle(s);
          reject(new RewardFunctionError(reply.failure));
        }
      };
      s.worker.postMessage({ type: 'score', id, from, prompts, completions } satisfies SandboxRequest);
    });
  }

  /** One batch, failures reported: after a stuck call a fresh worker scores the rest. */
  async function scoreAll(prompts: string[], completions: string[]): Promise<ScoredBatch> {
    const scores = completions.map(() => NaN);
    const failures: RewardFailure[] = [];
    let timeouts = 0;
    for (let from = 0; from < completions.length;) {
      const stuck = await run(await ensureSession(), prompts, completions, from, (index, score, failure) => {
        scores[index] = score;
        if (failure) failures.push(failure);
      });
      if (!stuck) break;
      failures.push(stuck.failure);
      from = stuck.failure.index + 1;
      if (stuck.timedOut && ++timeouts >= MAX_TIMEOUTS_PER_BATCH) {
        failures.push(...skippedFailures(prompts, completions, from));
        break;
      }
    }
    return { scores, failures };
  }

  function scoreBatch(prompts: readonly string[], completions: readonly string[]): Promise<ScoredBatch> {
    if (completions.length === 0) return Promise.resolve({ scores: [], failures: [] });
    const result = queue.then(() => scoreAll([...prompts], [...completions]));
    queue = result.catch(() => undefined);
    return result;
  }

  return {
    name: options.name ?? 'user',
    ready: () => ensureSession().then(() => undefined),
    scoreBatch,
    score: async (prompts, completions) => scoresOrFirstFailure(await scoreBatch(prompts, completions)),
    dispose: () => stop(),
  };
}
