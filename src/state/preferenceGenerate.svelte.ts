/**
 * Making comparison records: sample 2-4 completions per prompt from a chosen checkpoint in the
 * worker, then store them as a new preference dataset. Prompts name the topic only ("Write a
 * story about a cat."), so both happy and sad endings appear and there is something to prefer.
 */
import * as Comlink from 'comlink';
import { instructionPrompts } from '../core/data/instructions.ts';
import { MAX_COMPLETIONS, MIN_COMPLETIONS, validateComparisonSpec, type ComparisonRequest } from '../core/preferences/comparisons.ts';
import type { SamplingConfig } from '../core/train/pretrainConfig.ts';
import { engine } from '../lib/engine.ts';
import { backend } from './backend.svelte.ts';
import { loadModelSource, type ModelSourceKey } from './modelSources.ts';
import { preferences } from './preferences.svelte.ts';

export interface GenerateForm {
  source: ModelSourceKey | '';
  prompts: number;
  completions: number;
  seed: number;
  sampling: SamplingConfig;
}

class GenerateState {
  form = $state<GenerateForm>({
    source: 'base',
    prompts: 20,
    completions: 2,
    seed: 0,
    sampling: { temperature: 1, top_k: 0, top_p: 1, max_new_tokens: 60 },
  });
  phase = $state<'idle' | 'running' | 'stopping'>('idle');
  done = $state(0);
  total = $state(0);
  message = $state<string | null>(null);

  errors = $derived.by(() => {
    const e: Record<string, string> = {};
    if (!this.form.source) e.source = 'Choose a model to sample from.';
    if (!(Number.isInteger(this.form.prompts) && this.form.prompts >= 1 && this.form.prompts <= 2000)) e.prompts = 'must be a whole number from 1 to 2000';
    if (!Number.isInteger(this.form.seed)) e.seed = 'must be a whole number';
    const spec = validateComparisonSpec({ prompts: [{ prompt: 'x' }], completions: this.form.completions, sampling: this.form.sampling, seed: 0 });
    for (const { field, message } of spec) e[field] = message;
    return e;
  });
  valid = $derived(Object.keys(this.errors).length === 0);

  async generate(): Promise<void> {
    if (this.phase !== 'idle' || !this.valid) return;
    const form = $state.snapshot(this.form);
    this.phase = 'running';
    this.message = null;
    this.done = 0;
    this.total = form.prompts;
    try {
      const model = await loadModelSource(form.source as ModelSourceKey);
      await backend.ensure();
      const request: ComparisonRequest = {
        from: model.files,
        prompts: instructionPrompts(form.prompts, form.seed, 'topic'),
        completions: form.completions,
        sampling: form.sampling,
        seed: form.seed,
      };
      const made = await engine.generateComparisons(
        Comlink.transfer(request, [model.files.model]),
        Comlink.proxy((done: number, total: number) => {
          this.done = done;
          this.total = total;
        }),
      );
      if (made.length === 0) {
        this.message = 'Stopped before any comparison was made; nothing was stored.';
        return;
      }
      const s = form.sampling;
      const source = `${model.label} (step ${model.step}), temperature ${s.temperature}, top-k ${s.top_k}, top-p ${s.top_p}, ${s.max_new_tokens} new tokens, seed ${form.seed}`;
      const name = `${made.length} prompts × ${form.completions} from ${model.label}`;
      await preferences.createDataset(name, source, made);
    } catch (error) {
      this.message = `Could not generate comparisons: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      this.phase = 'idle';
    }
  }

  stop(): void {
    if (this.phase !== 'running') return;
    this.phase = 'stopping';
    void engine.stop();
  }
}

export const generate = new GenerateState();
export { MAX_COMPLETIONS, MIN_COMPLETIONS };
