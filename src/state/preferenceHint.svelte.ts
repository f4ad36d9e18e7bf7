/**
 * The optional suggestion while labeling: which completion the chosen reward model prefers.
 * Off by default, so labelers are not nudged unless the class wants it.
 */
import * as Comlink from 'comlink';
import type { CheckpointFiles } from '../core/train/pretrainConfig.ts';
import { engine } from '../lib/engine.ts';
import { backend } from './backend.svelte.ts';
import { loadModelSource, type ModelSourceKey } from './modelSources.ts';

class HintState {
  enabled = $state(false);
  source = $state<ModelSourceKey | ''>('');
  /** Rewards of the scored comparison's completions (indices into `completions`). */
  rewards = $state.raw<number[] | null>(null);
  forComparison = $state<number | null>(null);
  busy = $state(false);
  message = $state<string | null>(null);
  #files: { key: string; files: CheckpointFiles } | null = null;

  setSource(key: ModelSourceKey | ''): void {
    this.source = key;
    this.rewards = null;
    this.forComparison = null;
  }

  /** Scores a comparison's completions, unless already done. */
  async score(comparison: { id?: number; prompt: string; completions: string[] }): Promise<void> {
    if (!this.enabled || !this.source || this.busy || comparison.id === undefined || this.forComparison === comparison.id) return;
    this.busy = true;
    this.message = null;
    try {
      if (this.#files?.key !== this.source) this.#files = { key: this.source, files: (await loadModelSource(this.source)).files };
      await backend.ensure();
      // A copy is sent (not transferred): the same reward model scores the next comparison too.
      const files = { ...this.#files.files, model: this.#files.files.model.slice(0) };
      const rewards = await engine.scoreTexts(Comlink.transfer(files, [files.model]), comparison.completions.map((completion) => ({ prompt: comparison.prompt, completion })));
      this.rewards = rewards;
      this.forComparison = comparison.id;
    } catch (error) {
      this.message = `No suggestion: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      this.busy = false;
    }
  }
}

export const hint = new HintState();
