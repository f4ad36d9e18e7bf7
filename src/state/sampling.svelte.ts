/** Temperature, top-k and top-p for the samples panel; a running run picks changes up at once. */
import { DEFAULT_SAMPLING } from '../core/train/defaults.ts';
import type { SamplingConfig } from '../core/train/pretrainConfig.ts';
import { engine } from '../lib/engine.ts';

class SamplingState {
  config = $state<SamplingConfig>({ ...DEFAULT_SAMPLING });
  /** True while a run is live, so changes go to the worker straight away. */
  live = $state(false);

  update(patch: Partial<SamplingConfig>): void {
    Object.assign(this.config, patch);
    if (this.live) void engine.setSampling(this.snapshot());
  }

  snapshot(): SamplingConfig {
    return $state.snapshot(this.config);
  }
}

export const sampling = new SamplingState();
