/** How the engine steers a running job of any stage from outside: pause, stop, live sampling settings. */
import type { SamplingConfig } from './pretrainConfig.ts';

export interface RunControls {
  shouldStop(): boolean;
  /** Resolves at once when not paused; otherwise when resumed or stopped. */
  waitWhilePaused(): Promise<void>;
  sampling(): SamplingConfig;
}

/** Yields to the event loop so messages (pause, stop) are handled between steps. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
