/**
 * The reward-sandbox half of the benchmark page, for tests/e2e/rewardSandbox.test.ts: runs a
 * user-written reward function in the sandbox worker, started from another worker as the trainer
 * starts it from the engine worker.
 */
import * as Comlink from 'comlink';
import type { SandboxBenchApi, SandboxBenchResult } from './sandboxBench.worker.ts';

let bench: Comlink.Remote<SandboxBenchApi> | null = null;

export function sandboxBenchApi() {
  return {
    /** A batch's scores, or the RewardFunctionError's failure and message. */
    async scoreInSandbox(source: string, prompts: string[], completions: string[], timeLimitMs = 200): Promise<SandboxBenchResult> {
      // Wrapped once, on first use: the other benchmarks never start this worker.
      bench ??= Comlink.wrap<SandboxBenchApi>(new Worker(new URL('./sandboxBench.worker.ts', import.meta.url), { type: 'module' }));
      return bench.score(source, prompts, completions, timeLimitMs);
    },
  };
}
