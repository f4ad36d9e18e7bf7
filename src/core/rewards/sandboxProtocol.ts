/**
 * Messages between sandboxedReward.ts and workers/rewardSandbox.worker.ts. One request is in
 * flight at a time; `progress` before each call lets the caller time every completion on its own
 * (a worker stuck in a loop cannot answer, so the caller's clock decides, then terminates it), and
 * a `result` after each call keeps what was scored before a stuck call.
 */
import type { RewardFailure } from './userRewardSource.ts';

export type SandboxRequest =
  | { type: 'build'; source: string }
  /** Scores completions from index `from` to the end (a fresh worker picks up after a stuck call). */
  | { type: 'score'; id: number; from: number; prompts: string[]; completions: string[] };

export type SandboxReply =
  /** Sent once the worker has loaded and removed the escape hatches: no user code has run yet. */
  | { type: 'ready' }
  | { type: 'built'; failure: RewardFailure | null }
  /** About to call the function on completion `index`. */
  | { type: 'progress'; id: number; index: number }
  /** Completion `index` scored (NaN: cannot judge), or the call failed (score NaN, with the failure). */
  | { type: 'result'; id: number; index: number; score: number; failure: RewardFailure | null }
  /** The whole request failed (the function was never built). */
  | { type: 'failed'; id: number; failure: RewardFailure };
