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
const dir = mkdtempSync(join(tmpdir(), 'rlhf-grpo-cli-'));
const tinyDir = join(dir, 'tiny');
const tinyConfig = { max_completion_length: 8, num_generations: 2, per_device_train_batch_size: 4, num_prompts: 8, save_steps: 1 };

function write(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const cli = (method: 'grpo' | 'rloo', ...args: string[]) => spawnSync(TSX, [CLI, method, ...args], { encoding: 'utf8' });

beforeAll(async () => {
  await setupWasm();
  // A character-level model with room for the built-in story requests (about 35 characters) + 8 tokens.
  writeCheckpointDir(tinyDir, await tinyLmCheckpoint(2, 48));
});

describe('rlhf grpo / rloo (CLI)', () => {
  it('runs GRPO with the gold score and a weighted built-in reward, writing metrics, samples and the policy', () => {
    const out = join(dir, 'out');
    const r = cli('grpo', '--gold', '--reward-funcs', 'length', '--reward-weights', '1,0.5', '--from', tinyDir, '--config', write('c.json', JSON.stringify(tinyConfig)), '--steps', '2', '--seed', '4', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/rewarded by the gold score \+ length/);
    expect(r.stdout).toMatch(/finished at step 2/);
    const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((x) => x.step)).toEqual([1, 2]);
    for (const key of ['reward', 'reward_std', 'rewards/gold/mean', 'rewards/length/mean', 'gold/score_mean', 'entropy', 'clip_ratio/region_mean', 'completions/mean_length']) expect(Number.isFinite(rows[1][key]), key).toBe(true);
    const samples = readFileSync(join(out, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(samples[0]).toMatchObject({ step: 1, prompt: expect.stringMatching(/story/), completion: expect.any(String), reward: expect.any(Number), gold_score: expect.any(Number) });
    for (const f of ['model.safetensors', 'config.json', 'tokenizer.json']) expect(existsSync(join(out, f))).toBe(true);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.rlhf_playground).toMatchObject({ stage: 'grpo', step: 2, run_config: { method: 'grpo', seed: 4, reward_weights: [1, 0.5], reward_funcs: ['gold', 'length'], started_from: tinyDir } });
  }, 30_000);

  it('runs RLOO (gold by default)', () => {
    const out = join(dir, 'rloo');
    const r = cli('rloo', '--from', tinyDir, '--config', join(dir, 'c.json'), '--steps', '1', '--out', out, '--quiet');
    expect(r.status, r.stderr).toBe(0);
    const row = JSON.parse(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim());
    // RLOO's default beta 0.05 puts a KL into the reward and logs it.
    expect(Number.isFinite(row.kl)).toBe(true);
  }, 30_000);

  it('bad input exits with code 2 and one line naming the field', () => {
    const bad = cli('grpo', '--from', tinyDir, '--config', write('bad.json', JSON.stringify({ ...tinyConfig, loss_type: 'sum' })), '--out', join(dir, 'bad'));
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/invalid config: loss_type: must be one of grpo, bnpo, dr_grpo, dapo/);
    const weights = cli('grpo', '--from', tinyDir, '--reward-weights', '1,2', '--config', join(dir, 'c.json'), '--out', join(dir, 'bad'));
    expect(weights.status).toBe(2);
    expect(weights.stderr).toMatch(/invalid config: reward_weights: has 2 weights for 1 reward functions/);
    const unknown = cli('grpo', '--from', tinyDir, '--reward-funcs', 'happiness', '--out', join(dir, 'bad'));
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/invalid config: reward_funcs: unknown reward function "happiness"/);
    const lmAsReward = cli('rloo', '--from', tinyDir, '--reward', tinyDir, '--config', join(dir, 'c.json'), '--out', join(dir, 'bad'));
    expect(lmAsReward.status).toBe(2);
    expect(lmAsReward.stderr).toMatch(/invalid config: reward: .*not a reward model/);
  }, 30_000);
});
