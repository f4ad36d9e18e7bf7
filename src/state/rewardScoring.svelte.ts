/**
 * The scoring view's box: any prompt and completion, scored by the reward model on screen (the
 * live run's latest checkpoint, or a stored run's).
 */
import type { CheckpointFiles } from '../core/train/pretrainConfig.ts';
import { engine } from '../lib/engine.ts';
import { backend } from './backend.svelte.ts';

class RewardScoring {
  prompt = $state('Write a story about a cat.\n');
  completion = $state('Once upon a time, there was a cat. The cat lost her ball. She found it and was happy.');
  /** The last score, and the text it belongs to (so an edited text is not shown with an old score). */
  result = $state<{ score: number; prompt: string; completion: string } | null>(null);
  busy = $state(false);
  error = $state<string | null>(null);

  stale = $derived(this.result !== null && (this.result.prompt !== this.prompt || this.result.completion !== this.completion));

  async score(files: CheckpointFiles | null): Promise<void> {
    if (!files || this.busy) return;
    const prompt = this.prompt;
    const completion = this.completion;
    this.busy = true;
    this.error = null;
    try {
      // After a reload no backend may be running yet.
      await backend.ensure();
      const [score] = await engine.scoreTexts(files, [{ prompt, completion }]);
      this.result = { score, prompt, completion };
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    } finally {
      this.busy = false;
    }
  }

  /** A new model on screen: old scores no longer apply. */
  reset(): void {
    this.result = null;
    this.error = null;
  }
}

export const rewardScoring = new RewardScoring();
