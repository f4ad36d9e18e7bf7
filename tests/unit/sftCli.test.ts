import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeCheckpointDir } from '../../src/cli/checkpointDir.ts';
import { mergeSftConfig, sftCommand } from '../../src/cli/sftCommand.ts';
import type { EngineApi } from '../../src/core/engine/engineApi.ts';
import { ConfigError } from '../../src/core/train/validate.ts';
import { checkpointFiles } from '../../src/core/model/checkpoint.ts';
import { GPT } from '../../src/core/model/gpt.ts';
import { CharTokenizer } from '../../src/core/tokenizer/charTokenizer.ts';
import { setupWasm } from './tfSetup.ts';

const TSX = join('node_modules', '.bin', 'tsx');
const CLI = 'src/cli/main.ts';
const dir = mkdtempSync(join(tmpdir(), 'rlhf-sft-cli-'));
const tinyDir = join(dir, 'tiny');
const ROWS = Array.from({ length: 30 }, (_, i) => ({ prompt: `${i % 2 ? 'sad' : 'fun'} ${i}:`, completion: i % 2 ? ' boo' : ' yay!' }));
const tinyConfig = { max_length: 16, per_device_train_batch_size: 4, logging_steps: 2, eval_steps: 4, sample_steps: 4, warmup_steps: 0 };

function write(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const sft = (...args: string[]) => spawnSync(TSX, [CLI, 'sft', ...args], { encoding: 'utf8' });

beforeAll(async () => {
  await setupWasm();
  const tok = CharTokenizer.train(ROWS.map((r) => r.prompt + r.completion).join('') + '0123456789');
  const model = GPT.create({ vocab_size: tok.vocabSize, n_positions: 16, n_embd: 16, n_layer: 1, n_head: 2 }, 0);
  writeCheckpointDir(tinyDir, await checkpointFiles(model, tok, { stage: 'pretrain', step: 0, run_config: null }));
  model.dispose();
});

describe('rlhf sft (CLI)', () => {
  it('fine-tunes a checkpoint on a JSONL file and writes metrics, samples and a Hugging Face-style checkpoint', () => {
    const out = join(dir, 'out');
    const data = write('data.jsonl', ROWS.map((r) => JSON.stringify(r)).join('\n'));
    const r = sft('--config', write('c.json', JSON.stringify(tinyConfig)), '--data', data, '--from', tinyDir, '--steps', '8', '--seed', '3', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/finished at step 8/);
    const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.filter((x) => 'loss' in x).map((x) => x.step)).toEqual([2, 4, 6, 8]);
    expect(Object.keys(rows.find((x) => 'loss' in x)).sort()).toEqual(['epoch', 'learning_rate', 'loss', 'mean_token_accuracy', 'num_tokens', 'step']);
    expect(rows.filter((x) => 'eval/loss' in x).map((x) => x.step)).toEqual([0, 4, 8]);
    const samples = readFileSync(join(out, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(new Set(samples.map((s) => s.step))).toEqual(new Set([0, 4, 8]));
    for (const f of ['model.safetensors', 'config.json', 'tokenizer.json']) expect(existsSync(join(out, f))).toBe(true);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.rlhf_playground).toMatchObject({ stage: 'sft', step: 8, run_config: { seed: 3, completion_only_loss: true, started_from: tinyDir } });
    expect(existsSync(join(out, 'last-checkpoint'))).toBe(false);
  }, 60_000);

  it('defaults to the shipped base and the built-in instruction set', () => {
    const out = join(dir, 'base-out');
    const r = sft('--config', write('b.json', JSON.stringify({ dataset: { count: 20 }, eval_steps: 2, sample_steps: 100 })), '--steps', '2', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/from public\/base .*18 training rows, 2 held out; loss on the completion only/);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).n_positions).toBe(64);
  }, 60_000);

  it('bad input exits with code 2 and one line naming the field', () => {
    const bad = sft('--config', write('bad.json', JSON.stringify({ ...tinyConfig, learning_rate: -1 })), '--from', tinyDir, '--out', join(dir, 'o'));
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/invalid config: learning_rate/);
    const columns = sft('--data', write('qa.jsonl', '{"question":"a","answer":"b"}\n'), '--from', tinyDir);
    expect(columns.status).toBe(2);
    expect(columns.stderr.trim().split('\n')).toHaveLength(1);
    expect(columns.stderr).toMatch(/data: .*rename "question" to "prompt"/);
  }, 60_000);

  it('names the setting at fault before training (in-process)', async () => {
    const engine = {} as EngineApi; // never reached: each argument list fails first
    const fails = (...argv: string[]) => sftCommand(engine, argv).then(() => null, (e: unknown) => (e instanceof ConfigError ? e.errors[0] : (e as Error).message));
    expect(() => mergeSftConfig({ completion_only: false })).toThrow(/completion_only: unknown setting/);
    expect(() => mergeSftConfig({ dataset: { kind: 'poems' } })).toThrow(/dataset.kind: must be one of topic, mood_topic/);
    expect(await fails('--config', write('z.json', JSON.stringify({ max_steps: 0 })), '--from', tinyDir)).toMatchObject({ field: 'max_steps' });
    // The built-in stories cannot fit a 16-token context.
    expect(await fails('--from', tinyDir)).toMatchObject({ field: 'max_length', message: expect.stringMatching(/no story fits 16 tokens .*context is 16 tokens/) });
    expect(await fails('--from', join(dir, 'nowhere'))).toMatch(/--from .*nowhere: .*has no model\.safetensors/);
    expect(await fails('--data', join(dir, 'missing.jsonl'), '--from', tinyDir)).toMatch(/--data .*missing\.jsonl: no such file/);
  });

  it('a file with malformed lines is refused, naming them, unless --skip-invalid', () => {
    const lines = ROWS.map((r) => JSON.stringify(r));
    lines.splice(2, 0, '{"prompt": "oops"');
    lines.splice(5, 0, 'nonsense');
    const data = write('broken.jsonl', lines.join('\n'));
    const refused = sft('--config', write('t.json', JSON.stringify(tinyConfig)), '--data', data, '--from', tinyDir, '--steps', '2', '--out', join(dir, 'broken'));
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/lines 3 and 6 cannot be used \(line 3: not valid JSON/);
    expect(refused.stderr).toMatch(/--skip-invalid to train on the 30 valid rows/);
    const skipped = sft('--config', join(dir, 't.json'), '--data', data, '--from', tinyDir, '--steps', '2', '--skip-invalid', '--out', join(dir, 'broken'));
    expect(skipped.status, skipped.stderr).toBe(0);
  }, 60_000);

  it('an interrupted run leaves no files that claim to be a finished checkpoint', async () => {
    const out = join(dir, 'interrupted');
    const child = spawn(TSX, [CLI, 'sft', '--config', write('i.json', JSON.stringify({ ...tinyConfig, max_steps: 100000 })), '--data', join(dir, 'data.jsonl'), '--from', tinyDir, '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        if (/step 4\/100000 .*eval\/loss/.test(stdout) || /step [1-9]\d*\/100000  eval\/loss/.test(stdout)) resolve();
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
