/** `rlhf label`: comparisons sampled from the shipped base, labeled by the simulated annotator, as TRL JSONL. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNoise, parseWeights } from '../../src/cli/labelCommand.ts';
import { goldScore } from '../../src/core/preferences/goldScore.ts';

const TSX = join('node_modules', '.bin', 'tsx');
const run = (...args: string[]) => spawnSync(TSX, ['src/cli/main.ts', 'label', ...args], { encoding: 'utf8' });

describe('rlhf label (CLI)', () => {
  it('writes TRL JSONL whose chosen completions the gold prefers', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'rlhf-label-')), 'labels.jsonl');
    const r = run('--from', 'public/base', '--prompts', '6', '--completions', '3', '--seed', '2', '--max-new-tokens', '40', '--margin', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/simulated \(happy ending\) labeled 6 comparisons/);
    const rows = readFileSync(out, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(Object.keys(row)).toEqual(['prompt', 'chosen', 'rejected', 'margin']);
      expect(row.prompt).toMatch(/^(Write|Tell me) .*story about an? \w+\.\n$/);
      // Noise-free: the margin is the gold difference, at least the tie margin.
      expect(row.margin).toBeCloseTo(goldScore(row.prompt, row.chosen) - goldScore(row.prompt, row.rejected), 10);
      expect(row.margin).toBeGreaterThanOrEqual(0.25);
    }
  }, 60_000);

  it('bad input exits with code 2 and one line naming the field', () => {
    for (const [args, field] of [
      [['--completions', '5'], /completions/],
      [['--noise', 'loud'], /--noise/],
      [['--from', '/nonexistent'], /nonexistent has no model.safetensors/],
    ] as const) {
      const r = run(...args);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(field);
    }
  }, 60_000);

  it('parses noise and gold weights', () => {
    expect(parseNoise('none')).toEqual({ kind: 'bradley_terry', temperature: 0 });
    expect(parseNoise('bt:0.5')).toEqual({ kind: 'bradley_terry', temperature: 0.5 });
    expect(parseNoise('flip:0.1')).toEqual({ kind: 'flip', rate: 0.1 });
    expect(parseWeights('on_topic=0.5,length=1')).toEqual({ happy_ending: 1, on_topic: 0.5, length: 1 });
    expect(() => parseWeights('happy=1')).toThrow(/--gold: unknown feature 'happy'/);
    expect(() => parseNoise('bt:x')).toThrow(/--noise must be/);
  });
});
