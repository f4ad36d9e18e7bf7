/**
 * The one training worker, wrapped once at module scope (short-lived comlink proxies can be
 * collected mid-call and hang). Only state classes import this.
 */
import * as Comlink from 'comlink';
import type { EngineApi } from '../core/engine/engineApi.ts';

const worker = new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), { type: 'module' });

/** A training worker as the page calls it (this one, or a sweep's extra worker: src/lib/enginePool.ts). */
export type Engine = Comlink.Remote<EngineApi>;

export const engine: Engine = Comlink.wrap<EngineApi>(worker);

/**
 * Calls `listener` when the worker fails to load (`fatal`: it will never answer) or throws an
 * uncaught error (it keeps running).
 */
export function onWorkerError(listener: (message: string, fatal: boolean) => void): void {
  worker.addEventListener('error', (event) => {
    // A script that fails to load fires a plain Event; an uncaught exception an ErrorEvent.
    const message = event instanceof ErrorEvent ? event.message : '';
    listener(message || 'the training worker failed to load (see the browser console)', !message);
  });
  worker.addEventListener('messageerror', () => listener('a message from the training worker could not be read', false));
}
