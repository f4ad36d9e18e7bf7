import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrainEvent } from '../../src/core/engine/engineApi.ts';
import { modelFromCheckpoint, parseCheckpoint } from '../../src/core/model/checkpoint.ts';
import { generateIds } from '../../src/core/model/generate.ts';
import { decodeSafetensors, encodeSafetensors } from '../../src/core/model/safetensors.ts';
import { ppoCheckpointFiles, savedValueHead } from '../../src/core/ppo/ppoCheckpoint.ts';
import { defaultPpoRunConfig } from '../../src/core/ppo/ppoRunConfig.ts';
import { PpoRun } from '../../src/core/ppo/ppoTrainer.ts';
import { PolicyWithValueHead, VALUE_HEAD } from '../../src/core/ppo/policyValue.ts';
import { loadRewardModel } from '../../src/core/reward/rewardCheckpoint.ts';
import { Rng } from '../../src/core/rng.ts';
import { DEFAULT_SAMPLING } from '../../src/core/train/defaults.ts';
import type { CheckpointFiles } from '../../src/core/train/pretrainConfig.ts';
import type { RunControls } from '../../src/core/train/runControls.ts';
import { ConfigError } from '../../src/core/train/validate.ts';
import { tinyLmCheckpoint } from './rewardFixtures.ts';
import { setupWasm } from './tfSetup.ts';

const D = 16; // tinyLmCheckpoint's n_embd
const controls: RunControls = { shouldStop: () => false, waitWhilePaused: async () => undefined, sampling: () => DEFAULT_SAMPLING };
const INFO = { stage: 'ppo', step: 1, run_config: null };
/** A value head no run would start from: 0.5, 0.51, 0.52, ... */
const MARKED_HEAD = Float32Array.from({ length: D }, (_, i) => 0.5 + i / 100);

let lm: CheckpointFiles;

beforeAll(async () => {
  await setupWasm();
  lm = await tinyLmCheckpoint(1, 40);
});

/** The language model of `files` with `head` as its value head, saved as a PPO checkpoint. */
async function ppoCheckpointWith(files: CheckpointFiles, head: Float32Array): Promise<CheckpointFiles> {
  const parsed = parseCheckpoint(files);
  const model = modelFromCheckpoint(parsed);
  const policy = new PolicyWithValueHead(model, head);
  try {
    return await ppoCheckpointFiles(policy, parsed.tokenizer, INFO);
  } finally {
    policy.dispose();
    model.dispose();
  }
}

/** One PPO iteration from `from` at a learning rate too small to move the head; returns its last checkpoint. */
async function oneIteration(from: CheckpointFiles): Promise<CheckpointFiles> {
  const config = { ...defaultPpoRunConfig(), response_length: 4, per_device_train_batch_size: 2, num_ppo_epochs: 1, max_steps: 1, save_steps: 1, learning_rate: 1e-7 };
  const events: TrainEvent[] = [];
  const run = new PpoRun({ config, from, reward: { kind: 'gold' }, prompts: ['the cat ', 'a dog '] });
  await run.run((es) => events.push(...es), controls);
  run.dispose();
  const last = events.filter((e) => e.type === 'checkpoint').at(-1);
  if (last?.type !== 'checkpoint') throw new Error('the run saved no checkpoint');
  return last.files;
}

describe('PPO checkpoints', () => {
  it('store the value head [D, 1] beside the language model', async () => {
    const files = await ppoCheckpointWith(lm, MARKED_HEAD);
    const head = decodeSafetensors(files.model).tensors.get(VALUE_HEAD)!;
    expect(head.shape).toEqual([D, 1]);
    expect(Array.from(head.data)).toEqual(Array.from(MARKED_HEAD));
    expect(savedValueHead(files, D)).toEqual(MARKED_HEAD);
    expect(savedValueHead(lm, D)).toBeUndefined();
  });

  it('load as a plain language model that generates, and as a reward model trunk', async () => {
    const n0 = tf.memory().numTensors;
    const files = await ppoCheckpointWith(lm, MARKED_HEAD);
    const parsed = parseCheckpoint(files);
    expect(parsed.weights.has(VALUE_HEAD)).toBe(false);
    const model = modelFromCheckpoint(parsed);
    const reference = modelFromCheckpoint(parseCheckpoint(lm));
    const prompt = parsed.tokenizer.encode('the cat ');
    const s = { ...DEFAULT_SAMPLING, max_new_tokens: 8 };
    const ids = await generateIds(model, prompt, s, parsed.tokenizer.eosId, new Rng(4));
    // Same weights as the language model it was made from, so the same text from the same seed.
    expect(ids).toEqual(await generateIds(reference, prompt, s, parsed.tokenizer.eosId, new Rng(4)));
    model.dispose();
    reference.dispose();
    const reward = loadRewardModel(files, 0);
    expect(reward.hadScoreHead).toBe(false);
    reward.model.dispose();
    expect(tf.memory().numTensors).toBe(n0);
  });

  it('resume the saved value head when a PPO run starts from one', async () => {
    const resumed = savedValueHead(await oneIteration(await ppoCheckpointWith(lm, MARKED_HEAD)), D)!;
    resumed.forEach((v, i) => expect(Math.abs(v - MARKED_HEAD[i])).toBeLessThan(1e-3));
    // From a language-model checkpoint the head starts at zero.
    const fresh = savedValueHead(await oneIteration(lm), D)!;
    fresh.forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-3));
  }, 20_000);

  it('refuse a saved value head of the wrong shape with a message about the starting checkpoint', async () => {
    const { tensors, metadata } = decodeSafetensors(lm.model);
    tensors.set(VALUE_HEAD, { shape: [3, 1], data: new Float32Array(3) });
    const bad = { ...lm, model: encodeSafetensors(tensors, metadata) };
    expect(() => savedValueHead(bad, D)).toThrow(/value_head has shape \[3,1\], expected \[16, 1\]/);
    const run = new PpoRun({ config: { ...defaultPpoRunConfig(), max_steps: 1 }, from: bad, reward: { kind: 'gold' } });
    const error = await run.run(() => undefined, controls).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/starting checkpoint cannot be read.*value_head/);
    run.dispose();
  });

  it('PolicyWithValueHead refuses an initial head of the wrong size', () => {
    const model = modelFromCheckpoint(parseCheckpoint(lm));
    expect(() => new PolicyWithValueHead(model, new Float32Array(3))).toThrow(/value_head has 3 values, expected 16/);
    model.dispose();
  });
});
