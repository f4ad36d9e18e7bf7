/**
 * Checkpoints as files: whether the shipped base checkpoint exists, exporting a run's
 * checkpoint as model.safetensors + config.json + tokenizer.json, and importing those three.
 */
import { probeBaseCheckpoint, readCheckpointUpload } from '../lib/checkpointFiles.ts';
import { db, type RunRecord } from '../lib/db.ts';
import { downloadFile } from '../lib/download.ts';
import { engine } from '../lib/engine.ts';
import { estimateParams } from '../lib/paramCount.ts';
import { history } from './history.svelte.ts';
import { save } from './storage.ts';

export type CheckpointFile = 'model' | 'config' | 'tokenizer';

export const FILE_NAMES: Record<CheckpointFile, string> = {
  model: 'model.safetensors',
  config: 'config.json',
  tokenizer: 'tokenizer.json',
};

class CheckpointsState {
  /** null while unknown. */
  baseAvailable = $state<boolean | null>(null);
  baseMessage = $state<string | null>(null);
  importing = $state(false);
  importError = $state<string | null>(null);
  importedName = $state<string | null>(null);

  async probeBase(): Promise<void> {
    this.baseMessage = await probeBaseCheckpoint();
    this.baseAvailable = this.baseMessage === null;
  }

  /** Downloads one file (or all three) of a run's latest checkpoint. */
  async download(runId: number, which: CheckpointFile | 'all'): Promise<void> {
    const checkpoint = await db.checkpoints.get(runId);
    if (!checkpoint) return;
    const files: CheckpointFile[] = which === 'all' ? ['model', 'config', 'tokenizer'] : [which];
    for (const file of files) {
      const data = checkpoint[file];
      downloadFile(FILE_NAMES[file], data, file === 'model' ? 'application/octet-stream' : 'application/json');
    }
  }

  /** Stores three chosen files as an 'imported' run whose checkpoint can be continued. */
  async importFiles(chosen: File[]): Promise<number | null> {
    this.importing = true;
    this.importError = null;
    this.importedName = null;
    try {
      const info = await readCheckpointUpload(chosen);
      // Every check a run makes, in the worker (the weights, the tokenizer, the format version),
      // so files that could never train are refused now instead of stored and failing later.
      const problem = await engine.checkCheckpoint(info.files);
      if (problem) throw new Error(`These files cannot be used as a checkpoint: ${problem}. Nothing was imported.`);
      const now = Date.now();
      const step = info.step ?? 0;
      const name = `imported ${info.shape.n_layer}×${info.shape.n_embd}, vocab ${info.shape.vocab_size}`;
      const record: RunRecord = {
        name, source: 'import', createdAt: now, updatedAt: now, status: 'imported', step, maxSteps: step,
        startedFrom: 'files', checkpointStep: step, vocabSize: info.shape.vocab_size,
        nParams: estimateParams(info.shape, info.shape.vocab_size),
      };
      let id: number | null = null;
      await save('the imported model', () =>
        db.transaction('rw', db.runs, db.checkpoints, async () => {
          const runId = (await db.runs.add(record))!;
          await db.checkpoints.put({ runId, step, ...info.files });
          id = runId;
        }),
      );
      if (id !== null) this.importedName = name;
      await history.refresh();
      return id;
    } catch (error) {
      this.importError = error instanceof Error ? error.message : String(error);
      return null;
    } finally {
      this.importing = false;
    }
  }
}

export const checkpoints = new CheckpointsState();
