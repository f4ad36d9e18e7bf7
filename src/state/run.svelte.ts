/**
 * The pretraining run on screen: the shared training-run state (start / pause / resume / stop,
 * metrics, samples, checkpoints, reopening) started from the pretraining form, from scratch or
 * from a checkpoint, sampling the story prompts.
 */
import * as Comlink from 'comlink';
import type { PretrainRequest } from '../core/engine/engineApi.ts';
import { SAMPLE_PROMPTS } from '../core/data/storyCorpus.ts';
import type { CheckpointFiles } from '../core/train/pretrainConfig.ts';
import { fetchBaseCheckpoint } from '../lib/checkpointFiles.ts';
import { db } from '../lib/db.ts';
import { engine } from '../lib/engine.ts';
import { pretrainForm } from './pretrainForm.svelte.ts';
import { sampling } from './sampling.svelte.ts';
import { TrainingRunState, type RunLaunch } from './trainingRun.svelte.ts';

export type { RunPhase } from './trainingRun.svelte.ts';

class PretrainRunState extends TrainingRunState {
  constructor() {
    super('pretrain', SAMPLE_PROMPTS);
  }

  /** Starts a run with the form's settings (and the uploaded text, if that is the corpus). */
  async train(): Promise<void> {
    if (this.live || !pretrainForm.valid) return;
    await this.start(() => this.#launch());
  }

  async #launch(): Promise<RunLaunch> {
    const config = pretrainForm.snapshot();
    const corpusText = config.corpus.kind === 'upload' ? pretrainForm.upload?.text : undefined;
    const from = await this.#startingCheckpoint();
    const request: PretrainRequest = {
      config, corpusText, from: from?.files, fromStep: from?.step, sampling: sampling.snapshot(), prompts: [...SAMPLE_PROMPTS],
    };
    const tokenizer = config.tokenizer.kind === 'bpe' ? `BPE ${config.tokenizer.vocabSize}` : 'characters';
    return {
      name: `${config.model_preset} · ${tokenizer} · ${config.corpus.kind === 'stories' ? 'stories' : config.corpus.name}`,
      maxSteps: config.max_steps,
      startStep: from?.step,
      startedFrom: from?.label ?? 'scratch',
      config,
      call: (onEvents) => engine.pretrain(from ? Comlink.transfer(request, [from.files.model]) : request, onEvents),
      // A setting the engine refuses (e.g. a context longer than the corpus) is shown next to its field.
      refused: (message) => pretrainForm.engineRefused(config, message),
    };
  }

  async #startingCheckpoint(): Promise<{ files: CheckpointFiles; step?: number; label: string } | undefined> {
    if (pretrainForm.startFrom === 'base') {
      const base = await fetchBaseCheckpoint();
      return { files: base.files, step: base.step, label: 'the base checkpoint' };
    }
    if (pretrainForm.startFrom === 'run' && pretrainForm.startRunId !== null) {
      const id = pretrainForm.startRunId;
      const checkpoint = await db.checkpoints.get(id);
      if (!checkpoint) throw new Error(`Run #${id} has no saved checkpoint to continue from.`);
      return { files: { model: checkpoint.model, config: checkpoint.config, tokenizer: checkpoint.tokenizer }, step: checkpoint.step, label: `run #${id}` };
    }
    return undefined;
  }
}

export const run = new PretrainRunState();
