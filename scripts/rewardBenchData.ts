/**
 * The reward benchmark's data, prepared in Node with the project's own core, as a class would
 * make it in the app: SFT of the shipped base on the built-in instruction set, then comparisons
 * sampled from the SFT model for topic-only prompts ("Write a story about a cat."), labeled by
 * the noise-free simulated annotator on the happy-ending preference until `labels` pairs exist.
 * Everything lands in `dir` (sft/ checkpoint, pairs.jsonl, prep.json) and is reused when present.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCheckpointDir, writeCheckpointDir } from '../src/cli/checkpointDir.ts';
import { buildInstructionSet, instructionPrompts } from '../src/core/data/instructions.ts';
import type { EngineApi, TrainEvent } from '../src/core/engine/engineApi.ts';
import { parseCheckpoint } from '../src/core/model/checkpoint.ts';
import { toTrlJsonl } from '../src/core/preferences/exportFormats.ts';
import { toPairs } from '../src/core/preferences/ranking.ts';
import { DEFAULT_ANNOTATOR, simulatedAnnotatorName, simulateJudgement } from '../src/core/preferences/simulatedAnnotator.ts';
import type { PreferencePair } from '../src/core/preferences/types.ts';
import { Rng } from '../src/core/rng.ts';
import { defaultSftConfig } from '../src/core/sft/sftConfig.ts';
import { DEFAULT_SAMPLING } from '../src/core/train/defaults.ts';
import type { CheckpointFiles } from '../src/core/train/pretrainConfig.ts';

export interface BenchDataOptions {
  dir: string;
  /** Preference pairs wanted (non-tie simulated labels). */
  labels: number;
  /** SFT rows from the built-in instruction set. */
  sftRows: number;
  seed: number;
  log: (line: string) => void;
}

export interface BenchData {
  sft: CheckpointFiles;
  pairs: PreferencePair[];
  prep: Record<string, unknown>;
}

async function sftFromBase(engine: EngineApi, base: CheckpointFiles, o: BenchDataOptions): Promise<{ files: CheckpointFiles; info: Record<string, unknown> }> {
  const tokenizer = parseCheckpoint(base).tokenizer;
  const rows = buildInstructionSet({ count: o.sftRows, seed: o.seed, tokenizer }).map(({ prompt, completion }) => ({ prompt, completion }));
  const config = { ...defaultSftConfig(), seed: o.seed };
  let files: CheckpointFiles | undefined;
  let lastEval: number | undefined;
  const t0 = performance.now();
  const outcome = await engine.sft({ config, rows, from: base, fromLabel: 'the base checkpoint', sampling: DEFAULT_SAMPLING, prompts: [] }, (events: TrainEvent[]) => {
    for (const e of events) {
      if (e.type === 'checkpoint') files = e.files;
      if (e.type === 'metrics') for (const r of e.rows) if (r['eval/loss'] !== undefined) lastEval = r['eval/loss'];
    }
  });
  if (outcome.status !== 'finished' || !files) throw new Error(`SFT did not finish: ${outcome.status} ${outcome.message ?? ''}`);
  const info = { sft_rows: rows.length, sft_steps: outcome.step, sft_eval_loss: lastEval, sft_seconds: Math.round((performance.now() - t0) / 100) / 10 };
  o.log(`SFT: ${JSON.stringify(info)}`);
  return { files, info };
}

async function labeledPairs(engine: EngineApi, sft: CheckpointFiles, o: BenchDataOptions): Promise<{ pairs: PreferencePair[]; info: Record<string, unknown> }> {
  const annotator = { ...DEFAULT_ANNOTATOR, seed: o.seed };
  const name = simulatedAnnotatorName(annotator);
  const judgeRng = new Rng(o.seed ^ 0x5eed);
  const pairs: PreferencePair[] = [];
  let comparisons = 0;
  let ties = 0;
  const t0 = performance.now();
  for (let round = 0; pairs.length < o.labels && round < 20; round++) {
    // Ask for what is missing, plus room for the comparisons the annotator calls a tie.
    const want = Math.ceil((o.labels - pairs.length) * (comparisons ? comparisons / Math.max(1, comparisons - ties) : 1.6)) + 5;
    const prompts = instructionPrompts(want, o.seed * 1000 + round, 'topic');
    const generated = await engine.generateComparisons({ from: sft, prompts, completions: 2, sampling: DEFAULT_SAMPLING, seed: o.seed * 1000 + round }, () => undefined);
    for (const c of generated) {
      if (pairs.length >= o.labels) break;
      comparisons++;
      const judged = simulateJudgement(c.prompt, c.completions, annotator, judgeRng);
      const got = toPairs({ prompt: c.prompt, completions: c.completions, ranking: judged.ranking, annotator: name });
      if (got.length === 0) ties++;
      pairs.push(...got);
    }
  }
  const info = { annotator: name, comparisons, ties, pairs: pairs.length, label_seconds: Math.round((performance.now() - t0) / 100) / 10 };
  o.log(`labels: ${JSON.stringify(info)}`);
  return { pairs, info };
}

export async function prepareBenchData(engine: EngineApi, o: BenchDataOptions): Promise<BenchData> {
  const sftDir = join(o.dir, 'sft');
  const pairsPath = join(o.dir, 'pairs.jsonl');
  const prepPath = join(o.dir, 'prep.json');
  if (existsSync(prepPath) && existsSync(pairsPath) && existsSync(join(sftDir, 'config.json'))) {
    const prep = JSON.parse(readFileSync(prepPath, 'utf8'));
    if (prep.labels === o.labels && prep.seed === o.seed && prep.sft_rows_requested === o.sftRows) {
      o.log(`reusing the prepared data in ${o.dir}`);
      const pairs = readFileSync(pairsPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PreferencePair);
      return { sft: readCheckpointDir(sftDir), pairs, prep };
    }
  }
  mkdirSync(o.dir, { recursive: true });
  await engine.setBackend('wasm');
  const base = readCheckpointDir('public/base');
  const sft = await sftFromBase(engine, base, o);
  writeCheckpointDir(sftDir, sft.files);
  const labeled = await labeledPairs(engine, sft.files, o);
  writeFileSync(pairsPath, toTrlJsonl(labeled.pairs));
  const prep = { labels: o.labels, seed: o.seed, sft_rows_requested: o.sftRows, ...sft.info, ...labeled.info };
  writeFileSync(prepPath, JSON.stringify(prep, null, 2));
  return { sft: sft.files, pairs: labeled.pairs, prep };
}
