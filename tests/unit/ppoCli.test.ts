import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeCheckpointDir } from '../../src/cli/checkpointDir.ts';
import { tinyLmCheckpoint } from './rewardFixtures.ts';
import { setupWasm } from './tfSetup.ts';

const TSX = join('node_modules', '.bin', 'tsx');
const CLI = 'src/cli/main.ts';
const dir = mkdtempSync(join(tmpdir(), 'rlhf-ppo-cli-'));
const tinyDir = join(dir, 'tiny');
const tinyConfig = { response_length: 8, per_device_train_batch_size: 2, num_mini_batches: 2, num_ppo_epochs: 1, num_prompts: 8, save_steps: 1 };

function write(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const ppo = (...args: string[]) => spawnSync(TSX, [CLI, 'ppo', ...args], { encoding: 'utf8' });

beforeAll(async () => {
  await setupWasm();
  // A character-level model with room for the built-in story requests (about 35 characters) + 8 tokens.
  writeCheckpointDir(tinyDir, await tinyLmCheckpoint(2, 48));
});

describe('rlhf ppo (CLI)', () => {
  it('runs PPO against the gold score and writes metrics, samples and the policy checkpoint', () => {
    const out = join(dir, 'out');
    const r = ppo('--gold', '--from', tinyDir, '--config', write('c.json', JSON.stringify(tinyConfig)), '--steps', '2', '--seed', '4', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/scored by the gold score/);
    expect(r.stdout).toMatch(/finished at step 2/);
    const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((x) => x.step)).toEqual([1, 2]);
    for (const key of ['objective/kl', 'objective/scores', 'gold/score_mean', 'loss/policy_avg', 'val/ratio']) expect(Number.isFinite(rows[1][key])).toBe(true);
    const samples = readFileSync(join(out, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(samples[0]).toMatchObject({ step: 1, prompt: expect.stringMatching(/story/), completion: expect.any(String), score: expect.any(Number), kl: expect.any(Number) });
    for (const f of ['model.safetensors', 'config.json', 'tokenizer.json']) expect(existsSync(join(out, f))).toBe(true);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.rlhf_playground).toMatchObject({ stage: 'ppo', step: 2, run_config: { seed: 4, reward: 'gold', started_from: tinyDir } });
    expect(existsSync(join(out, 'last-checkpoint'))).toBe(false);
  }, 30_000);

  it('bad input exits with code 2 and one line naming the field', () => {
    const bad = ppo('--from', tinyDir, '--config', write('bad.json', JSON.stringify({ ...tinyConfig, kl_coef: 'NaN' })), '--out', join(dir, 'bad'));
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/invalid config: kl_coef: must be a number/);
    // A language model given as the reward model, and prompts that leave no room for the responses.
    const tooLong = ppo('--from', tinyDir, '--reward', tinyDir, '--config', write('long.json', JSON.stringify({ ...tinyConfig, response_length: 40 })), '--out', join(dir, 'bad'));
    expect(tooLong.status).toBe(2);
    expect(tooLong.stderr).toMatch(/invalid config: response_length: prompt 1 has \d+ tokens/);
    const lmAsReward = ppo('--from', tinyDir, '--reward', tinyDir, '--config', join(dir, 'c.json'), '--out', join(dir, 'bad'));
    expect(lmAsReward.status).toBe(2);
    expect(lmAsReward.stderr).toMatch(/invalid config: reward: .*not a reward model/);
  }, 30_000);
});
