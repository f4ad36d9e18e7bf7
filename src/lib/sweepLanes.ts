/**
 * How many runs of a sweep train at once ("lanes", each in its own training worker), and the
 * queue that hands the sweep's values to the lanes. Pure: the sweep state passes in the device's
 * cores and backend.
 */
import type { BackendChoice, BackendName } from '../core/train/pretrainConfig.ts';
import type { BackendTimings } from '../core/engine/engineApi.ts';

/** How one value of a sweep ended. */
export interface SweepResult {
  value: number;
  outcome: 'finished' | 'stopped' | 'failed';
  /** Why it failed or did not start. */
  message?: string;
}

/** The most lanes one sweep may use, whatever the device (each holds a whole model and optimizer). */
export const MAX_RUNS_AT_ONCE = 8;

/** Backends that train on the GPU: runs at once would share it. */
const GPU_BACKENDS: readonly BackendName[] = ['webgpu', 'webgl'];

export function usesGpu(backend: BackendName | null): boolean {
  return backend !== null && GPU_BACKENDS.includes(backend);
}

/**
 * The backend runs will train on: the one running now, else the one chosen, else the fastest
 * that 'auto' measured; null while 'auto' has measured nothing yet.
 */
export function expectedBackend(active: BackendName | null, choice: BackendChoice, timings: BackendTimings | undefined): BackendName | null {
  if (active) return active;
  if (choice !== 'auto') return choice;
  const ranked = (Object.entries(timings ?? {}) as [BackendName, number | null][])
    .filter(([, ms]) => ms !== null && Number.isFinite(ms))
    .sort((a, b) => (a[1] as number) - (b[1] as number));
  return ranked[0]?.[0] ?? null;
}

/** The largest count the field accepts on a device with `cores` cores. */
export function maxRunsAtOnce(cores: number): number {
  return Math.max(1, Math.min(MAX_RUNS_AT_ONCE, Math.floor(cores) || 1));
}

/**
 * The suggested count: 1 on a GPU backend (the runs would share one GPU); on wasm or cpu about
 * half the cores, so the page and the browser keep a core, at most 4 and at most one per value.
 */
export function defaultRunsAtOnce(cores: number, backend: BackendName | null, values: number): number {
  if (usesGpu(backend)) return 1;
  return Math.max(1, Math.min(4, Math.floor(cores / 2), values));
}

/** The field's message: '' when `n` is a whole number from 1 to maxRunsAtOnce(cores). */
export function runsAtOnceError(n: number, cores: number): string {
  const max = maxRunsAtOnce(cores);
  if (!Number.isFinite(n)) return 'type a whole number, e.g. 1 or 2';
  if (!Number.isInteger(n)) return 'must be a whole number';
  if (n < 1) return 'must be at least 1';
  if (n > max) return max < MAX_RUNS_AT_ONCE ? `at most ${max} on this device (it has ${cores} cores)` : `at most ${MAX_RUNS_AT_ONCE}`;
  return '';
}

/**
 * Works through `items` with up to `lanes` tasks at once: each lane takes the next item as soon
 * as its previous one is done. `work` resolves false when its lane can take no more (its worker
 * is gone): the other lanes take what is left. No lane takes a new item once `more()` is false.
 * Resolves when every lane is idle; `work` should not throw (if it does, the first error is
 * thrown once the other lanes are idle).
 */
export async function runInLanes<T>(
  items: readonly T[],
  lanes: number,
  work: (item: T, lane: number) => Promise<boolean>,
  more: () => boolean = () => true,
): Promise<void> {
  let next = 0;
  const lane = async (n: number): Promise<void> => {
    while (next < items.length && more()) {
      const item = items[next++];
      if (!(await work(item, n))) return;
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.min(lanes, items.length) }, (_, n) => lane(n)));
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) throw failure.reason;
}

/** "kl_coef = 0.1 (why)" for each failed run. */
function describeFailures(field: string, failed: readonly SweepResult[]): string {
  return failed.map((r) => `${field} = ${r.value}${r.message ? ` (${r.message})` : ''}`).join('; ');
}

/** How a sweep ended, in words: what finished, what failed and why, what never ran. */
export function sweepSummary(label: string, field: string, values: readonly number[], results: readonly SweepResult[]): string {
  const done = (outcome: SweepResult['outcome']) => results.filter((r) => r.outcome === outcome);
  const finished = done('finished');
  const stopped = done('stopped');
  const failed = done('failed');
  const notRun = values.filter((v) => !results.some((r) => r.value === v));
  if (finished.length === values.length) {
    return `Finished: ${values.length} ${label} ${values.length === 1 ? 'run' : 'runs'}, ${field} = ${values.join(', ')}.`;
  }
  const parts = [`The sweep ended: ${finished.length} of ${values.length} runs finished.`];
  if (failed.length) parts.push(`Failed: ${describeFailures(field, failed)}.`);
  if (stopped.length) parts.push(`Stopped: ${field} = ${stopped.map((r) => r.value).join(', ')}.`);
  if (notRun.length) parts.push(`Not run: ${field} = ${notRun.join(', ')}.`);
  return parts.join(' ');
}
