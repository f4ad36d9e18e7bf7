/**
 * The SFT checkpoint the policy benchmarks (bench:ppo, bench:grpo) start from: the shipped base
 * fine-tuned with the SFT tab's defaults (the built-in "mood + topic" set of 500 requests, seed 1,
 * default SFTConfig), trained in Node once and reused from DIR/sft when DIR/prep.json is present.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCheckpointDir, writeCheckpointDir } from '../src/cli/checkpointDir.ts';
import { buildInstructionSet } from '../src/core/data/instructions.ts';
import type { EngineApi, TrainEvent } from '../src/core/engine/engineApi.ts';
import { parseCheckpoint } from '../src/core/model/checkpoint.ts';
import { defaultSftConfig } from '../src/core/sft/sftConfig.ts';
import { DEFAULT_SAMPLING } from '../src/core/train/defaults.ts';
import type { CheckpointFiles } from '../src/core/train/pretrainConfig.ts';

/** The SFT tab's defaults: the built-in mood + topic set (sftDatasets.svelte.ts) and SFTConfig. */
const SFT_DATA = { kind: 'mood_topic', count: 500, seed: 1 } as const;

export async function benchSftCheckpoint(e: EngineApi, dir: string): Promise<CheckpointFiles> {
  const sftDir = join(dir, 'sft');
  const prepPath = join(dir, 'prep.json');
  if (existsSync(prepPath) && existsSync(join(sftDir, 'config.json'))) {
    console.error(`reusing the SFT checkpoint in ${sftDir}`);
    return readCheckpointDir(sftDir);
  }
  mkdirSync(dir, { recursive: true });
  await e.setBackend('wasm');
  const base = readCheckpointDir('public/base');
  const rows = buildInstructionSet({ ...SFT_DATA, tokenizer: parseCheckpoint(base).tokenizer }).map(({ prompt, completion }) => ({ prompt, completion }));
  let files: CheckpointFiles | undefined;
  const t0 = performance.now();
  const outcome = await e.sft({ config: defaultSftConfig(), rows, from: base, fromLabel: 'the base checkpoint', sampling: DEFAULT_SAMPLING, prompts: [] }, (events: TrainEvent[]) => {
    for (const ev of events) if (ev.type === 'checkpoint') files = ev.files;
  });
  if (outcome.status !== 'finished' || !files) throw new Error(`SFT did not finish: ${outcome.status} ${outcome.message ?? ''}`);
  writeCheckpointDir(sftDir, files);
  const prep = { sft_data: SFT_DATA, sft_rows: rows.length, sft_steps: outcome.step, sft_seconds: Math.round((performance.now() - t0) / 100) / 10 };
  writeFileSync(prepPath, JSON.stringify(prep, null, 2));
  console.log(JSON.stringify({ measure: 'benchmark SFT', ...prep }));
  return files;
}
