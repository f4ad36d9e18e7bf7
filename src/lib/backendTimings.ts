/**
 * Remembers, per browser, how fast each backend trained when 'auto' measured them, so 'auto'
 * measures once per device. localStorage is enough for one small object.
 */
import type { BackendTimings } from '../core/engine/engineApi.ts';

const KEY = 'rlhf-playground.backend-timings';

export function loadTimings(): BackendTimings | undefined {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as BackendTimings) : undefined;
  } catch {
    return undefined;
  }
}

export function saveTimings(timings: BackendTimings): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(timings));
  } catch {
    // Storage refused (private mode or full): 'auto' will measure again next time.
  }
}

export function clearTimings(): void {
  try {
    localStorage.removeItem(KEY);
  } catch {
    // Nothing stored, nothing to clear.
  }
}
