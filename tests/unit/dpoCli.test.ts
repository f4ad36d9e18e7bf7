import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeCheckpointDir } from '../../src/cli/checkpointDir.ts';
import { checkpointFiles } from '../../src/core/model/checkpoint.ts';
import { GPT } from '../../src/core/model/gpt.ts';
import { toTrlJsonl } from '../../src/core/preferences/exportFormats.ts';
import { CharTokenizer } from '../../src/core/tokenizer/charTokenizer.ts';
import { happyPairs, tinyLmCheckpoint } from './rewardFixtures.ts';
import { setupWasm } from './tfSetup.ts';

const TSX = join('node_modules', '.bin', 'tsx');
const CLI = 'src/cli/main.ts';
const dir = mkdtempSync(join(tmpdir(), 'rlhf-dpo-cli-'));
const tinyDir = join(dir, 'tiny');
const otherDir = join(dir, 'other');
const tinyConfig = { per_device_train_batch_size: 4, max_length: 48, eval_steps: 2, save_steps: 1, num_eval_prompts: 2 };

function write(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const rlhf = (...args: string[]) => spawnSync(TSX, [CLI, ...args], { encoding: 'utf8' });

beforeAll(async () => {
  await setupWasm();
  writeCheckpointDir(tinyDir, await tinyLmCheckpoint(2, 48));
  const tok = CharTokenizer.train('xyz ');
  const other = GPT.create({ vocab_size: tok.vocabSize, n_positions: 48, n_embd: 16, n_layer: 1, n_head: 2 }, 0);
  writeCheckpointDir(otherDir, await checkpointFiles(other, tok, { stage: 'pretrain', step: 0, run_config: null }));
  other.dispose();
  write('pairs.jsonl', toTrlJsonl(happyPairs(12)));
  write('c.json', JSON.stringify(tinyConfig));
});

describe('rlhf dpo|kto|orpo|cpo (CLI)', () => {
  it('runs DPO on a TRL pairs file and writes metrics, samples and the checkpoint', () => {
    const out = join(dir, 'out');
    const r = rlhf('dpo', '--from', tinyDir, '--data', join(dir, 'pairs.jsonl'), '--config', join(dir, 'c.json'), '--steps', '2', '--seed', '4', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/DPO on [\d,]+ parameters .*: 11 training pairs, 1 held out/);
    expect(r.stdout).toMatch(/finished at step 2/);
    const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const train = rows.filter((x) => x.loss !== undefined);
    expect(train.map((x) => x.step)).toEqual([1, 2]);
    for (const key of ['loss', 'rewards/chosen', 'rewards/margins', 'rewards/accuracies', 'logps/chosen', 'logits/rejected']) expect(Number.isFinite(train[1][key]), key).toBe(true);
    expect(Number.isFinite(rows.find((x) => x['eval/loss'] !== undefined)['eval/gold_win_rate'])).toBe(true);
    const samples = readFileSync(join(out, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(samples[0]).toMatchObject({ step: 2, prompt: expect.stringMatching(/story/), completion: expect.any(String), reference_completion: expect.any(String) });
    for (const f of ['model.safetensors', 'config.json', 'tokenizer.json']) expect(existsSync(join(out, f))).toBe(true);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.rlhf_playground).toMatchObject({ stage: 'dpo', step: 2, run_config: { method: 'dpo', seed: 4, started_from: tinyDir } });
  }, 60_000);

  it('runs KTO as its own subcommand and logs its KL baseline', () => {
    const out = join(dir, 'kto');
    const r = rlhf('kto', '--from', tinyDir, '--data', join(dir, 'pairs.jsonl'), '--config', join(dir, 'c.json'), '--steps', '1', '--out', out, '--quiet');
    expect(r.status, r.stderr).toBe(0);
    const row = JSON.parse(readFileSync(join(out, 'metrics.jsonl'), 'utf8').split('\n')[0]);
    expect(Number.isFinite(row.kl)).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).rlhf_playground.run_config.method).toBe('kto');
  }, 60_000);

  it('bad input exits with code 2 and one line naming the field', () => {
    const pairs = join(dir, 'pairs.jsonl');
    const beta = rlhf('dpo', '--from', tinyDir, '--data', pairs, '--config', write('beta.json', JSON.stringify({ ...tinyConfig, beta: 0 })), '--out', join(dir, 'bad'));
    expect(beta.status).toBe(2);
    expect(beta.stderr.trim().split('\n')).toHaveLength(1);
    expect(beta.stderr).toMatch(/invalid config: beta: must be above 0/);
    const same = rlhf('dpo', '--from', tinyDir, '--data', write('same.jsonl', '{"prompt":"a","chosen":"b","rejected":"b"}\n{"prompt":"a","chosen":"c","rejected":"d"}\n'), '--config', join(dir, 'c.json'), '--out', join(dir, 'bad'));
    expect(same.status).toBe(2);
    expect(same.stderr).toMatch(/invalid config: (pairs|data): /);
    const ref = rlhf('dpo', '--from', tinyDir, '--reference', otherDir, '--data', pairs, '--config', join(dir, 'c.json'), '--out', join(dir, 'bad'));
    expect(ref.status).toBe(2);
    expect(ref.stderr).toMatch(/invalid config: reference: the reference model uses another tokenizer/);
    const method = rlhf('orpo', '--from', tinyDir, '--data', pairs, '--config', write('m.json', JSON.stringify({ method: 'dpo' })), '--out', join(dir, 'bad'));
    expect(method.status).toBe(2);
    expect(method.stderr).toMatch(/invalid arguments: --config sets method 'dpo' but the command is 'orpo'/);
    // ORPO and CPO have no reference model, so no --reference flag.
    const noRef = rlhf('cpo', '--from', tinyDir, '--reference', tinyDir, '--data', pairs, '--out', join(dir, 'bad'));
    expect(noRef.status).toBe(2);
    expect(noRef.stderr).toMatch(/unknown option --reference/);
  }, 90_000);
});
