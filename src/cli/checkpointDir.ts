/**
 * Reading and writing a checkpoint folder (model.safetensors, config.json, tokenizer.json).
 * Writes go to a temporary folder that is renamed into place, so an interrupted write never
 * leaves files that look like a complete checkpoint.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckpointFiles } from '../core/train/pretrainConfig.ts';
import { UsageError } from './args.ts';

export const CHECKPOINT_FILES = ['model.safetensors', 'config.json', 'tokenizer.json'] as const;

export function readCheckpointDir(dir: string): CheckpointFiles {
  for (const f of CHECKPOINT_FILES) {
    if (!existsSync(join(dir, f))) throw new Error(`${dir} has no ${f}; a checkpoint folder holds ${CHECKPOINT_FILES.join(', ')}`);
  }
  const model = readFileSync(join(dir, 'model.safetensors'));
  return {
    model: model.buffer.slice(model.byteOffset, model.byteOffset + model.byteLength) as ArrayBuffer,
    config: readFileSync(join(dir, 'config.json'), 'utf8'),
    tokenizer: readFileSync(join(dir, 'tokenizer.json'), 'utf8'),
  };
}

/** Where every stage starts from unless told otherwise: the shipped base model. */
export const BASE_CHECKPOINT_DIR = 'public/base';

/**
 * The checkpoint a flag names (`--from DIR`), read and optionally checked further; any problem is a
 * usage error naming the flag and the folder.
 */
export function readCheckpointFlag(flag: string, dir: string, check?: (files: CheckpointFiles) => void): CheckpointFiles {
  try {
    const files = readCheckpointDir(dir);
    check?.(files);
    return files;
  } catch (e) {
    throw new UsageError(`--${flag} ${dir}: ${(e as Error).message}`);
  }
}

/** Writes the three files into `dir` atomically (via a sibling temporary folder). */
export function writeCheckpointDir(dir: string, files: CheckpointFiles): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  writeFileSync(join(tmp, 'model.safetensors'), new Uint8Array(files.model));
  writeFileSync(join(tmp, 'tokenizer.json'), files.tokenizer);
  writeFileSync(join(tmp, 'config.json'), files.config);
  // The old folder is moved aside, not deleted, before the new one takes its name: a process killed
  // in between leaves a complete checkpoint behind (here or beside it), never none.
  const old = `${dir}.old-${process.pid}`;
  rmSync(old, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

/** Moves the checkpoint's files into `outDir` itself, replacing any earlier ones (each by rename). */
export function publishCheckpoint(outDir: string, files: CheckpointFiles): void {
  const staged = join(outDir, `.staged-${process.pid}`);
  writeCheckpointDir(staged, files);
  // The old config.json goes first and the new one comes last, so a folder is never left with a
  // config.json beside weights that are not its own.
  rmSync(join(outDir, 'config.json'), { force: true });
  for (const f of ['model.safetensors', 'tokenizer.json', 'config.json']) renameSync(join(staged, f), join(outDir, f));
  rmSync(staged, { recursive: true, force: true });
}
