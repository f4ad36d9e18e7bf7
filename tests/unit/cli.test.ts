import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const TSX = join('node_modules', '.bin', 'tsx');
const CLI = 'src/cli/main.ts';
const tiny = {
  corpus: { kind: 'stories', num_stories: 200, seed: 1 },
  tokenizer: { kind: 'char', vocabSize: 0 },
  model_preset: 'custom',
  model: { n_positions: 16, n_embd: 16, n_layer: 1, n_head: 2 },
  per_device_train_batch_size: 4,
  logging_steps: 2,
  eval_steps: 4,
  sample_steps: 4,
};

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'rlhf-cli-'));
}

function writeConfig(dir: string, extra: object): string {
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify({ ...tiny, ...extra }));
  return path;
}

describe('rlhf pretrain (CLI)', () => {
  it('trains and writes metrics.jsonl and a Hugging Face-style checkpoint', () => {
    const dir = tmp();
    const out = join(dir, 'out');
    const r = spawnSync(TSX, [CLI, 'pretrain', '--config', writeConfig(dir, {}), '--steps', '8', '--seed', '3', '--out', out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/finished at step 8/);
    const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.filter((x) => 'loss' in x).map((x) => x.step)).toEqual([2, 4, 6, 8]);
    expect(rows.some((x) => 'eval/loss' in x && 'tokens_per_second' in rows[0])).toBe(true);
    for (const f of ['model.safetensors', 'config.json', 'tokenizer.json']) expect(existsSync(join(out, f))).toBe(true);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.rlhf_playground.step).toBe(8);
    expect(config.rlhf_playground.run_config.seed).toBe(3);
    expect(existsSync(join(out, 'last-checkpoint'))).toBe(false);
  }, 60_000);

  it('a bad config exits with code 2 and one line naming the field', () => {
    const dir = tmp();
    const r = spawnSync(TSX, [CLI, 'pretrain', '--config', writeConfig(dir, { learning_rate: -1 }), '--out', join(dir, 'o')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/learning_rate/);
    const typo = spawnSync(TSX, [CLI, 'pretrain', '--config', writeConfig(dir, { learnin_rate: 1 }), '--out', join(dir, 'o')], { encoding: 'utf8' });
    expect(typo.status).toBe(2);
    expect(typo.stderr).toMatch(/learnin_rate: unknown setting/);
    const flag = spawnSync(TSX, [CLI, 'pretrain', '--stepz', '3'], { encoding: 'utf8' });
    expect(flag.status).toBe(2);
    expect(flag.stderr).toMatch(/--stepz/);
  }, 60_000);

  it('an interrupted run leaves no files that claim to be a finished checkpoint', async () => {
    const dir = tmp();
    const out = join(dir, 'out');
    const child = spawn(TSX, [CLI, 'pretrain', '--config', writeConfig(dir, { max_steps: 100000 }), '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        // Interrupt once an interim checkpoint exists.
        if (/eval\/loss/.test(stdout)) resolve();
      });
    });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(130);
    expect(existsSync(join(out, 'model.safetensors'))).toBe(false);
    expect(existsSync(join(out, 'config.json'))).toBe(false);
    expect(existsSync(join(out, 'last-checkpoint', 'config.json'))).toBe(true);
  }, 60_000);
});
