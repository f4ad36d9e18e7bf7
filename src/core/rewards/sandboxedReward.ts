/**
 * A user-written reward function run in its own worker (workers/rewardSandbox.worker.ts), for the
 * browser: no network, storage or DOM, and a time limit on every call. The trainer runs in the
 * engine worker, so this usually starts a worker from inside a worker (Chromium allows it; Vite
 * bundles the nested worker from the `new Worker(new URL(...))` below).
 *
 * Failures: score() rejects with a RewardFunctionError (userRewardSource.ts) whose `failure` says
 * why (a throw, a non-number, a timeout), the source line when known, and the sample. The trainer
 * shows it and ends the run cleanly; the sandbox stays usable. On a timeout the stuck worker is
 * terminated and a fresh one is built on the next call.
 */
import type { RewardFunction } from './rewardFunction.ts';
import type { SandboxReply, SandboxRequest } from './sandboxProtocol.ts';
import { RewardFunctionError, checkRewardSource, timeLimitReason, type RewardFailure } from './userRewardSource.ts';

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
 * expression; everything else is reported by ready() or score().
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

  /** Scores one batch in the sandbox, each call timed from the worker's 'progress' message. */
  function run(s: Session, prompts: string[], completions: string[]): Promise<number[]> {
    const id = nextId++;
    return new Promise<number[]>((resolve, reject) => {
      let index = 0;
      const fail = (failure: RewardFailure, terminate: boolean) => {
        clearTimeout(timer);
        if (terminate) stop(s);
        else idle(s);
        reject(new RewardFunctionError(failure));
      };
      const arm = () => setTimeout(
        () => fail({ reason: timeLimitReason(timeLimitMs), line: null, index, prompt: prompts[index] ?? '', completion: completions[index] ?? '' }, true),
        timeLimitMs,
      );
      let timer = arm();
      s.onCrash = (message) => fail({ reason: message, line: null, index, prompt: prompts[index] ?? '', completion: completions[index] ?? '' }, true);
      s.onReply = (reply) => {
        if (!('id' in reply) || reply.id !== id) return;
        clearTimeout(timer);
        if (reply.type === 'progress') {
          index = reply.index;
          timer = arm();
        } else if (reply.type === 'scores') {
          idle(s);
          resolve(reply.scores);
        }
        else if (reply.type === 'failed') fail(reply.failure, false);
      };
      s.worker.postMessage({ type: 'score', id, prompts, completions } satisfies SandboxRequest);
    });
  }

  return {
    name: options.name ?? 'user',
    ready: () => ensureSession().then(() => undefined),
    score(prompts, completions) {
      if (completions.length === 0) return Promise.resolve([]);
      const result = queue.then(async () => run(await ensureSession(), [...prompts], [...completions]));
      queue = result.catch(() => undefined);
      return result;
    },
    dispose: () => stop(),
  };
}
