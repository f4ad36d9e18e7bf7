/// <reference lib="webworker" />
/**
 * A stand-in for the engine worker in the reward-sandbox e2e test: a worker that starts the
 * sandbox worker from inside itself, as the GRPO trainer does, and reports failures as plain
 * objects (comlink keeps only an Error's message).
 */
import * as Comlink from 'comlink';
import { sandboxedReward, type SandboxedReward } from '../core/rewards/sandboxedReward.ts';
import { RewardFunctionError, type RewardFailure } from '../core/rewards/userRewardSource.ts';

export type SandboxBenchResult = { scores: number[] } | { failure: RewardFailure; message: string };

let reward: SandboxedReward | null = null;
let rewardSource = '';

const api = {
  /** Scores a batch with `source`, reusing the sandbox while the source stays the same. */
  async score(source: string, prompts: string[], completions: string[], timeLimitMs: number): Promise<SandboxBenchResult> {
    try {
      if (!reward || source !== rewardSource) {
        reward?.dispose?.();
        reward = null;
        reward = sandboxedReward(source, { name: 'user', timeLimitMs });
        rewardSource = source;
      }
      return { scores: await reward.score(prompts, completions) };
    } catch (e) {
      if (e instanceof RewardFunctionError) return { failure: e.failure, message: e.message };
      throw e;
    }
  },
};

export type SandboxBenchApi = typeof api;
Comlink.expose(api);
