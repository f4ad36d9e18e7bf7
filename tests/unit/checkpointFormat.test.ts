/** Checkpoint files from another version of the playground or another kind of model: refused with a message, never half-read. */
import { beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_FORMAT_VERSION, MODEL_TYPE, parseCheckpoint } from '../../src/core/model/checkpoint.ts';
import type { CheckpointFiles } from '../../src/core/train/pretrainConfig.ts';
import { tinyLmCheckpoint } from './rewardFixtures.ts';
import { setupWasm } from './tfSetup.ts';

let files: CheckpointFiles;

beforeAll(async () => {
  await setupWasm();
  files = await tinyLmCheckpoint();
});

/** The same files with config.json changed by `edit`. */
function withConfig(edit: (config: Record<string, any>) => void): CheckpointFiles {
  const config = JSON.parse(files.config);
  edit(config);
  return { ...files, config: JSON.stringify(config) };
}

describe('checkpoint format', () => {
  it('writes the format version and its own model type, and reads them back', () => {
    const config = JSON.parse(files.config);
    expect(config.model_type).toBe(MODEL_TYPE);
    expect(config.rlhf_playground.format_version).toBe(CHECKPOINT_FORMAT_VERSION);
    expect(() => parseCheckpoint(files)).not.toThrow();
  });

  it('reads files from before the version existed as version 1', () => {
    expect(() => parseCheckpoint(withConfig((c) => delete c.rlhf_playground.format_version))).not.toThrow();
    expect(() => parseCheckpoint(withConfig((c) => delete c.rlhf_playground))).not.toThrow();
  });

  it('refuses a newer format, naming both versions', () => {
    const newer = withConfig((c) => (c.rlhf_playground.format_version = CHECKPOINT_FORMAT_VERSION + 1));
    expect(() => parseCheckpoint(newer)).toThrow(`written by a newer version of the playground (checkpoint format ${CHECKPOINT_FORMAT_VERSION + 1}); this version reads format ${CHECKPOINT_FORMAT_VERSION} and older`);
    expect(() => parseCheckpoint(withConfig((c) => (c.rlhf_playground.format_version = 'one')))).toThrow(/format_version must be a whole number/);
    expect(() => parseCheckpoint(withConfig((c) => (c.rlhf_playground = [1])))).toThrow(/"rlhf_playground" must be an object/);
  });

  it('refuses another kind of model by its model_type', () => {
    expect(() => parseCheckpoint(withConfig((c) => (c.model_type = 'llama')))).toThrow(/a model of type "llama"; the playground reads its own checkpoints/);
  });

  it('refuses weights that do not fit config.json', () => {
    expect(() => parseCheckpoint(withConfig((c) => (c.n_layer += 1)))).toThrow(/model.safetensors is missing tensor/);
  });
});
