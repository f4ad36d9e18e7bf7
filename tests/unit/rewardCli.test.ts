import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeCheckpointDir } from '../../src/cli/checkpointDir.ts';
import { decodeSafetensors } from '../../src/core/model/safetensors.ts';
import { happyPairs, tinyLmCheckpoint } from './rewardFixtures.ts';

const TSX = join('node_modules', '.bin', 'tsx');
const CLI = 'src/cli/main.ts';
let dir = '';
let from = '';
let data = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rlhf-reward-cli-'));
  from = join(dir, 'lm');
  writeCheckpointDir(from, await tinyLmCheckpoint(2, 40));
  data = join(dir, 'pairs.jsonl');
  writeFileSync(data, happyPairs(24).map((p) => JSON.stringify(p)).join('\n') + '\n');
});

function cli(args: string[], extraConfig: object = {}) {
  const config = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(config, JSON.stringify({ per_device_train_batch_size: 4, max_length: 40, logging_steps: 2, eval_steps: 4, eval_fraction: 0.25, learning_rate: 0.01, ...extraConfig }));
  return spawnSync(TSX, [CLI, 'reward', '--config', config, ...args], { encoding: 'utf8' });
}

describe('rlhf reward (CLI)', () => {
  it('trains and writes metrics.jsonl with TRL names, eval.jsonl and a sequence-classification checkpoint', () => {
    const out = join(dir, 'out');
    const r = cli(['--data', data, '--from', from, '--steps', '8', '--seed', '3', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/18 training pairs, 6 held out/);
    expect(r.stdout).toMatch(/finished at step 8/);
    const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.filter((x) => 'loss' in x).map((x) => x.step)).toEqual([2, 4, 6, 8]);
    const firstTrain = rows.find((x) => 'loss' in x);
    expect(firstTrain).toHaveProperty('accuracy');
    expect(firstTrain).toHaveProperty('margin');
    expect(rows.filter((x) => 'eval/accuracy' in x).map((x) => x.step)).toEqual([0, 4, 8]);
    expect(rows.find((x) => 'eval/accuracy' in x)).toHaveProperty('eval/gold_accuracy');
    const evals = readFileSync(join(out, 'eval.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(evals.map((e) => e.step)).toEqual([0, 4, 8]);
    expect(evals[0].chosen).toHaveLength(6);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ num_labels: 1, architectures: ['RlhfPlaygroundGPTForSequenceClassification'] });
    expect(config.rlhf_playground).toMatchObject({ stage: 'reward', step: 8, run_config: { seed: 3, max_steps: 8 } });
    const model = readFileSync(join(out, 'model.safetensors'));
    const { tensors } = decodeSafetensors(model.buffer.slice(model.byteOffset, model.byteOffset + model.byteLength) as ArrayBuffer);
    expect(tensors.get('score.weight')!.shape).toEqual([1, 16]);
    expect(existsSync(join(out, 'last-checkpoint'))).toBe(false);
  }, 60_000);

  it('bad input exits with code 2 and one line naming the field or the lines', () => {
    const bad = cli(['--data', data, '--from', from, '--out', join(dir, 'o')], { learning_rate: -1 });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/learning_rate/);
    const malformed = join(dir, 'bad.jsonl');
    writeFileSync(malformed, [JSON.stringify(happyPairs(1)[0]), '{"prompt": "x", "chosen": ', JSON.stringify({ prompt: 'a', chosen: 'b' })].join('\n'));
    const lines = cli(['--data', malformed, '--from', from]);
    expect(lines.status).toBe(2);
    expect(lines.stderr.trim().split('\n')).toHaveLength(1);
    expect(lines.stderr).toMatch(/data: .*lines 2, 3 could not be read/);
    const empty = join(dir, 'one.jsonl');
    writeFileSync(empty, JSON.stringify(happyPairs(1)[0]) + '\n');
    const tooFew = cli(['--data', empty, '--from', from]);
    expect(tooFew.status).toBe(2);
    expect(tooFew.stderr).toMatch(/data: needs at least 2 preference pairs/);
    const context = cli(['--data', data, '--from', from], { max_length: 64 });
    expect(context.status).toBe(2);
    expect(context.stderr).toMatch(/max_length: must be at most the model's context, 40 tokens/);
    const noData = spawnSync(TSX, [CLI, 'reward', '--from', from], { encoding: 'utf8' });
    expect(noData.status).toBe(2);
    expect(noData.stderr).toMatch(/--data/);
  }, 90_000);
});
