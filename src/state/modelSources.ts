/**
 * Where a later stage takes a model from: the shipped base checkpoint or a stored run's latest
 * checkpoint. Encoded as one string ('base', 'run:4') so a select can hold it.
 */
import type { CheckpointFiles } from '../core/train/pretrainConfig.ts';
import { fetchBaseCheckpoint } from '../lib/checkpointFiles.ts';
import { db, type RunRecord, type RunStage } from '../lib/db.ts';

export type ModelSourceKey = 'base' | `run:${number}`;

export interface LoadedModel {
  files: CheckpointFiles;
  /** Steps the checkpoint had reached. */
  step: number;
  /** In words, for run records and messages: "the base checkpoint", "run #4". */
  label: string;
}

export function runSourceKey(runId: number): ModelSourceKey {
  return `run:${runId}`;
}

/** The stage a stored run trained (runs stored before stages existed are pretraining). */
export function stageOf(record: RunRecord): RunStage {
  return record.stage ?? 'pretrain';
}

/** The newest run of `stage` that has a checkpoint, as a picker key; null when there is none. Runs are newest first. */
export function newestCheckpointKey(runs: readonly RunRecord[], stage: RunStage): ModelSourceKey | null {
  const run = runs.find((r) => stageOf(r) === stage && r.checkpointStep !== undefined && r.id !== undefined);
  return run ? runSourceKey(run.id!) : null;
}

/** Where a later stage starts unless told otherwise: the newest SFT run with a checkpoint, else the shipped base. */
export function defaultStartKey(runs: readonly RunRecord[]): ModelSourceKey {
  return newestCheckpointKey(runs, 'sft') ?? 'base';
}

/** Select options for the runs whose checkpoints a stage can start from, newest first. */
export function runSourceOptions(runs: readonly RunRecord[], stagesAllowed: readonly RunStage[]): { value: ModelSourceKey; label: string }[] {
  return runs
    .filter((r) => r.id !== undefined && r.checkpointStep !== undefined && stagesAllowed.includes(stageOf(r)))
    .map((r) => ({ value: runSourceKey(r.id!), label: `#${r.id} ${stageOf(r)} · ${r.name} (step ${r.checkpointStep})` }));
}

/** Reads the checkpoint files of a source; throws an Error whose message a user understands. */
export async function loadModelSource(key: ModelSourceKey): Promise<LoadedModel> {
  if (key === 'base') {
    const base = await fetchBaseCheckpoint();
    return { files: base.files, step: base.step ?? 0, label: 'the base checkpoint' };
  }
  const runId = Number(key.slice('run:'.length));
  const checkpoint = await db.checkpoints.get(runId);
  if (!checkpoint) throw new Error(`Run #${runId} has no saved checkpoint.`);
  return { files: { model: checkpoint.model, config: checkpoint.config, tokenizer: checkpoint.tokenizer }, step: checkpoint.step, label: `run #${runId}` };
}
