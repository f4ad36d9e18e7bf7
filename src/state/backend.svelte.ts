/**
 * The tfjs backend: the user's choice, the backend actually running, and the timings 'auto'
 * measured (kept per browser so it measures once per device).
 */
import type { BackendTimings } from '../core/engine/engineApi.ts';
import type { BackendChoice, BackendName } from '../core/train/pretrainConfig.ts';
import { clearTimings, loadTimings, saveTimings } from '../lib/backendTimings.ts';
import { engine, type Engine } from '../lib/engine.ts';

export const BACKEND_CHOICES: { value: BackendChoice; label: string }[] = [
  { value: 'auto', label: 'Auto (fastest on this device)' },
  { value: 'webgpu', label: 'WebGPU' },
  { value: 'webgl', label: 'WebGL' },
  { value: 'wasm', label: 'WebAssembly (wasm)' },
  { value: 'cpu', label: 'Plain JavaScript (cpu)' },
];

class BackendState {
  choice = $state<BackendChoice>('auto');
  /** The backend the worker runs on now; null until one is initialised. */
  active = $state<BackendName | null>(null);
  timings = $state.raw<BackendTimings | undefined>(loadTimings());
  busy = $state<'measuring' | 'starting' | null>(null);
  error = $state<string | null>(null);
  /** The choice the worker was last set to. */
  #applied: BackendChoice | null = null;
  /** Why the worker is gone, once it failed to load. */
  #lost: string | null = null;

  select(choice: BackendChoice): void {
    this.choice = choice;
  }

  /** Sets the worker's backend to the current choice (measuring first if 'auto' has no timings). */
  async ensure(): Promise<BackendName> {
    if (this.#lost) throw new Error(`${this.#lost}; reload the page to try again`);
    if (this.#applied === this.choice && this.active) return this.active;
    const choice = this.choice;
    this.busy = choice === 'auto' && !this.timings ? 'measuring' : 'starting';
    this.error = null;
    try {
      const report = await engine.setBackend(choice, choice === 'auto' ? $state.snapshot(this.timings) : undefined);
      if (report.timings) {
        this.timings = report.timings;
        saveTimings(report.timings);
      }
      this.active = report.backend;
      this.#applied = choice;
      return report.backend;
    } catch (error) {
      this.error = `Could not start the ${choice} backend: ${error instanceof Error ? error.message : String(error)}`;
      throw error;
    } finally {
      this.busy = null;
    }
  }

  /**
   * Sets another worker (a sweep's extra one) to the backend this page's worker runs, after
   * ensuring that one: 'auto' measures once, and every worker trains on the same backend.
   */
  async startOn(other: Engine): Promise<BackendName> {
    const name = await this.ensure();
    await other.setBackend(name);
    return name;
  }

  /** Forgets the stored timings and measures every backend again. */
  async remeasure(): Promise<void> {
    clearTimings();
    this.busy = 'measuring';
    this.error = null;
    try {
      const timings = await engine.measureBackends();
      this.timings = timings;
      saveTimings(timings);
      this.#applied = null;
    } catch (error) {
      this.error = `Measuring failed: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      this.busy = null;
    }
  }

  /** The worker is gone: nothing is running and nothing is measuring. */
  lost(message: string): void {
    this.#lost = message;
    this.busy = null;
    this.active = null;
    this.#applied = null;
  }

  /** The worker reported the backend a run actually uses. */
  observed(name: BackendName): void {
    this.active = name;
  }
}

export const backend = new BackendState();
