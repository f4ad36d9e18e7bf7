/**
 * Messages between sandboxedReward.ts and workers/rewardSandbox.worker.ts. One request is in
 * flight at a time; `progress` before each call lets the caller time every completion on its own
 * (a worker stuck in a loop cannot answer, so the caller's clock decides, then terminates it).
 */
import type { RewardFailure } from './userRewardSource.ts';

export type SandboxRequest =
  | { type: 'build'; source: string }
  | { type: 'score'; id: number; prompts: string[]; completions: string[] };

export type SandboxReply =
  /** Sent once the worker has loaded and removed the escape hatches: no user code has run yet. */
  | { type: 'ready' }
  | { type: 'built'; failure: RewardFailure | null }
  /** About to call the function on completion `index`. */
  | { type: 'progress'; id: number; index: number }
  | { type: 'scores'; id: number; scores: number[] }
  | { type: 'failed'; id: number; failure: RewardFailure };
