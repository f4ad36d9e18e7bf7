/**
 * `rlhf pretrain`: trains on the built-in stories (or a .txt) in Node and writes
 * OUT/metrics.jsonl, OUT/samples.jsonl, OUT/last-checkpoint/ while training, and
 * OUT/model.safetensors + config.json + tokenizer.json when the run finishes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SAMPLE_PROMPTS } from '../core/data/storyCorpus.ts';
import type { EngineApi } from '../core/engine/engineApi.ts';
import { DEFAULT_SAMPLING, defaultPretrainConfig } from '../core/train/defaults.ts';
import type { MetricRow } from '../core/train/pretrainConfig.ts';
import { ConfigError, readUpload } from '../core/train/validate.ts';
import { parseFlags, UsageError } from './args.ts';
import { readCheckpointDir } from './checkpointDir.ts';
import { backendFlag } from './nodeEngine.ts';
import { applyStepsAndSeed, mergeConfig, readConfigFlag, runTrainingCommand } from './trainingCommand.ts';

export const PRETRAIN_HELP = `rlhf pretrain [--config FILE.json] [--steps N] [--seed S] [--from DIR] [--out DIR] [--text FILE.txt] [--backend wasm|cpu] [--quiet]
  --config  JSON with any PretrainConfig fields (see src/core/train/pretrainConfig.ts); the rest are defaults
  --steps   max_steps      --seed  seed      --from  continue from a checkpoint folder
  --out     output folder (default runs/pretrain)   --text  train on this UTF-8 text file instead of the stories`;

function formatRow(row: MetricRow, maxSteps: number): string {
  const parts = [`step ${row.step}/${maxSteps}`];
  if (row.loss !== undefined) parts.push(`loss ${row.loss.toFixed(4)}`);
  if (row['eval/loss'] !== undefined) parts.push(`eval/loss ${row['eval/loss'].toFixed(4)}`);
  if (row.tokens_per_second !== undefined) parts.push(`${Math.round(row.tokens_per_second)} tok/s`);
  return parts.join('  ');
}

export async function pretrainCommand(engine: EngineApi, argv: string[]): Promise<void> {
  const flags = parseFlags(argv, { config: 'string', steps: 'number', seed: 'number', from: 'string', out: 'string', text: 'string', backend: 'string', quiet: 'boolean' });
  const config = mergeConfig(defaultPretrainConfig(), readConfigFlag(flags.config));
  applyStepsAndSeed(config, flags);
  let corpusText: string | undefined;
  if (flags.text) {
    const path = String(flags.text);
    if (!existsSync(path)) throw new UsageError(`--text ${path}: no such file`);
    const read = readUpload(path, readFileSync(path));
    if ('error' in read) throw new ConfigError([{ field: 'corpus', message: read.error }]);
    corpusText = read.text;
    config.corpus = { kind: 'upload', name: path, bytes: Buffer.byteLength(read.text) };
  }
  const backend = backendFlag(flags.backend);
  const from = flags.from ? readCheckpointDir(String(flags.from)) : undefined;
  await runTrainingCommand(engine, {
    out: String(flags.out ?? 'runs/pretrain'),
    backend,
    quiet: flags.quiet === true,
    extra: 'samples.jsonl',
    onStarted: (e) => `training ${e.nParams.toLocaleString('en')} parameters on ${e.backend}; vocabulary ${e.vocabSize}; ${(e.numTrainTokens ?? 0).toLocaleString('en')} training tokens`,
    formatRow: (row) => formatRow(row, config.max_steps),
    train: (onEvents) => engine.pretrain({ config, corpusText, from, sampling: DEFAULT_SAMPLING, prompts: SAMPLE_PROMPTS }, onEvents),
  });
}
