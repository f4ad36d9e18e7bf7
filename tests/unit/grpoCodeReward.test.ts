/**
 * User-written reward functions in a GRPO run, the Node way (nodeReward.ts builds the request's
 * 'code' sources): the function's scores are what the run logs and optimises; a failure inside it
 * on some completions is reported (a rewardFailures event naming the function, its line and the
 * sample) and the run goes on; failing on every completion for 3 steps ends the run as 'failed',
 * with the last checkpoint kept; and the CLI's --reward-code reads one from a file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeCheckpointDir } from '../../src/cli/checkpointDir.ts';
import { nodeReward } from '../../src/cli/nodeReward.ts';
import type { TrainEvent } from '../../src/core/engine/engineApi.ts';
import { defaultGrpoConfig } from '../../src/core/grpo/grpoConfig.ts';
import { GrpoRun, type GrpoRequest, type GrpoSample } from '../../src/core/grpo/grpoTrainer.ts';
import type { GrpoRewardSource } from '../../src/core/grpo/rewardSources.ts';
import { DEFAULT_SAMPLING } from '../../src/core/train/defaults.ts';
import type { CheckpointFiles } from '../../src/core/train/pretrainConfig.ts';
import type { RunControls } from '../../src/core/train/runControls.ts';
import { ConfigError } from '../../src/core/train/validate.ts';
import { tinyLmCheckpoint } from './rewardFixtures.ts';
import { setupWasm } from './tfSetup.ts';

const PROMPTS = ['the cat was ', 'a dog ', 'the owl is ', 'I saw a fox. '];
const controls: RunControls = { shouldStop: () => false, waitWhilePaused: async () => undefined, sampling: () => DEFAULT_SAMPLING };
const config = { ...defaultGrpoConfig(), max_completion_length: 6, num_generations: 2, per_device_train_batch_size: 4, max_steps: 3, save_steps: 1, learning_rate: 1e-3 };

let lm: CheckpointFiles;

beforeAll(async () => {
  await setupWasm();
  lm = await tinyLmCheckpoint(1, 40);
});

async function train(rewards: GrpoRewardSource[], weights?: number[]) {
  const request: GrpoRequest = { method: 'grpo', config: { ...config, reward_weights: weights ?? null }, from: lm, rewards, prompts: PROMPTS };
  const events: TrainEvent[] = [];
  const run = new GrpoRun(request, { codeReward: nodeReward });
  const outcome = await run.run((es) => events.push(...es), controls);
  run.dispose();
  return { outcome, events, rows: events.flatMap((e) => (e.type === 'metrics' ? e.rows : [])), samples: events.flatMap((e) => (e.type === 'samples' ? (e.samples as GrpoSample[]) : [])) };
}

/** What the user's function below computes, to check the run against. */
const expected = (prompt: string, completion: string) => completion.length / 10 + (prompt.includes('cat') ? 1 : 0);
const SOURCE = `// longer is better, cats most of all
(prompt, completion) => completion.length / 10 + (prompt.includes('cat') ? 1 : 0)`;

describe('GRPO with a user-written reward function (Node)', () => {
  it('logs and optimises what the function returns, weighted with the others', async () => {
    const { outcome, rows, samples } = await train([{ kind: 'code', name: 'mine', source: SOURCE }, { kind: 'builtin', name: 'length' }], [2, 0]);
    expect(outcome.status).toBe('finished');
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(Number.isFinite(row['rewards/mine/mean'])).toBe(true);
      expect(row['rewards/mine/std']).toBeGreaterThanOrEqual(0);
    }
    expect(samples.length).toBeGreaterThan(0);
    for (const s of samples) {
      expect(s.rewards.mine).toBeCloseTo(expected(s.prompt, s.completion), 10);
      // Weight 2 on the user's function and 0 on the built-in: the reward is twice the user's score.
      expect(s.reward).toBeCloseTo(2 * s.rewards.mine, 10);
    }
  }, 60_000);

  it('a throw on some prompts is reported with the function, line and sample; those completions are left out and the run finishes', async () => {
    const throwing = `(prompt, completion) => {
  // dogs are not judged
  if (prompt.includes('dog')) throw new Error('no dogs');
  return completion.length;
}`;
    const { outcome, rows, events, samples } = await train([{ kind: 'code', name: 'picky', source: throwing }]);
    expect(outcome).toMatchObject({ status: 'finished', step: 3 });
    expect(rows).toHaveLength(3);
    const reports = events.filter((e): e is TrainEvent & { type: 'rewardFailures' } => e.type === 'rewardFailures');
    // 4 prompts, 2 a step: the dog prompt comes up within the first two steps, with its 2 completions.
    expect(reports.length).toBeGreaterThan(0);
    for (const report of reports) {
      expect(report.counts).toEqual({ picky: 2 });
      expect(rows.find((r) => r.step === report.step)!['rewards/picky/failures']).toBe(2);
      for (const f of report.failures) {
        expect(f).toMatchObject({ function: 'picky', reason: 'Error: no dogs', line: 3, prompt: 'a dog ', completion: expect.any(String) });
        expect(f.index).toBeGreaterThanOrEqual(0);
        expect(f.index).toBeLessThan(4);
      }
    }
    const failed = rows.reduce((n, r) => n + r['rewards/picky/failures']!, 0);
    expect(failed).toBe(reports.length * 2);
    for (const row of rows) expect(Number.isFinite(row.loss), JSON.stringify(row)).toBe(true);
    // The failed completions count as "cannot judge" and teach nothing.
    for (const s of samples.filter((x) => x.prompt === 'a dog ')) {
      expect(s.rewards.picky).toBeNaN();
      expect(s.advantage).toBe(0);
    }
  }, 60_000);

  it('a function that fails on every completion ends the run after 3 steps, quoting the first failure, keeping the last checkpoint', async () => {
    const { outcome, rows, events } = await train([{ kind: 'code', name: 'hopeless', source: "(prompt, completion) => { throw new Error('never'); }" }]);
    expect(rows.map((r) => r.step)).toEqual([1, 2, 3]);
    for (const row of rows) {
      expect(row['rewards/hopeless/failures']).toBe(4);
      expect(row.loss).toBeUndefined();
    }
    expect(events.filter((e) => e.type === 'rewardFailures')).toHaveLength(3);
    expect(outcome).toMatchObject({ status: 'failed', step: 3, checkpointStep: 3 });
    expect(outcome.message).toMatch(/no reward function could judge any completion for 3 steps in a row/);
    expect(outcome.message).toMatch(/"hopeless".*completion 1 of the batch \(line 1\): Error: never\n {2}prompt: "/s);
    expect(outcome.message).toMatch(/last good checkpoint \(step 3\) is kept/);
  }, 60_000);

  it('a function that returns no number, or does not parse, is refused clearly', async () => {
    const { outcome } = await train([{ kind: 'code', name: 'forgot', source: '(p, c) => { c.length; }' }]);
    expect(outcome).toMatchObject({ status: 'failed', step: 3 });
    expect(outcome.message).toMatch(/"forgot".*returned nothing \(undefined\)/s);
    const broken = train([{ kind: 'code', name: 'broken', source: 'function (p, c) {\n  return c.length +* 2;\n}' }]);
    await expect(broken).rejects.toThrow(ConfigError);
    await expect(broken).rejects.toThrow(/reward_funcs.*"broken".*line 2/s);
    await expect(train([{ kind: 'code', name: 'bad name', source: SOURCE }])).rejects.toThrow(/letters, digits/);
  }, 60_000);
});

describe('rlhf grpo --reward-code', () => {
  it('trains on a function read from a file, beside a built-in', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rlhf-grpo-code-'));
    writeCheckpointDir(join(dir, 'tiny'), await tinyLmCheckpoint(2, 48));
    writeFileSync(join(dir, 'score.js'), SOURCE);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ max_completion_length: 8, num_generations: 2, per_device_train_batch_size: 4, num_prompts: 8, save_steps: 1 }));
    const out = join(dir, 'out');
    const args = ['--from', join(dir, 'tiny'), '--reward-funcs', 'length', '--reward-code', `${join(dir, 'score.js')}:cats`, '--reward-weights', '1,0.5', '--config', join(dir, 'config.json'), '--steps', '2', '--out', out, '--quiet'];
    const r = spawnSync(join('node_modules', '.bin', 'tsx'), ['src/cli/main.ts', 'grpo', ...args], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(Number.isFinite(row['rewards/cats/mean'])).toBe(true);
      expect(Number.isFinite(row['rewards/length/mean'])).toBe(true);
    }
  }, 120_000);

  it('prints each reported failure to stderr and keeps running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rlhf-grpo-code-'));
    writeCheckpointDir(join(dir, 'tiny'), await tinyLmCheckpoint(2, 48));
    // Fails on every other call: completions 1 and 3 of each batch of 4.
    writeFileSync(join(dir, 'odd.js'), "(prompt, completion) => {\n  globalThis.n = (globalThis.n ?? 0) + 1;\n  if (globalThis.n % 2) throw new Error('odd call');\n  return 1;\n}");
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ max_completion_length: 8, num_generations: 2, per_device_train_batch_size: 4, num_prompts: 8, save_steps: 1 }));
    const args = ['--from', join(dir, 'tiny'), '--reward-funcs', 'length', '--reward-code', join(dir, 'odd.js'), '--config', join(dir, 'config.json'), '--steps', '2', '--out', join(dir, 'out'), '--quiet'];
    const r = spawnSync(join('node_modules', '.bin', 'tsx'), ['src/cli/main.ts', 'grpo', ...args], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('step '));
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^step 1 reward function "odd": Your reward function failed on completion 1 of the batch \(line 3\): Error: odd call; prompt: ".*"; completion: ".*"$/);
    expect(lines[3]).toMatch(/^step 2 reward function "odd": .*completion 3 of the batch/);
  }, 120_000);
});
