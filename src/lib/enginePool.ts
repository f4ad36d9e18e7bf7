/**
 * Extra training workers for a sweep that trains several runs at once: the same worker script as
 * the page's one worker (src/lib/engine.ts), each wrapped once when it starts and terminated when
 * the sweep ends. Only state classes use them (src/state/sweepLane.svelte.ts).
 */
import * as Comlink from 'comlink';
import type { EngineApi } from '../core/engine/engineApi.ts';
import type { Engine } from './engine.ts';

export interface ExtraEngine {
  readonly engine: Engine;
  /**
   * Settles with why, once the worker fails: its script did not load, or it threw an error nothing
   * caught. Either way it is treated as gone (a run in it may never report back again).
   */
  readonly lost: Promise<string>;
  /** Ends the worker and every tensor and run in it; calls made after this never settle. */
  terminate(): void;
}

export function startExtraEngine(): ExtraEngine {
  const worker = new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), { type: 'module' });
  const engine = Comlink.wrap<EngineApi>(worker);
  const lost = new Promise<string>((resolve) => {
    worker.addEventListener('error', (event) => {
      // A script that fails to load fires a plain Event; an uncaught exception an ErrorEvent.
      resolve((event instanceof ErrorEvent && event.message) || 'the worker failed to load (see the browser console)');
    });
    worker.addEventListener('messageerror', () => resolve('a message from the worker could not be read'));
  });
  return {
    engine,
    lost,
    terminate() {
      // No releaseProxy first: it waits for the worker's answer, which a terminated worker never sends.
      worker.terminate();
    },
  };
}
