/**
 * `rlhf reward`: trains a reward model on a preference file (TRL JSONL: prompt, chosen, rejected,
 * optional margin; hh-rlhf and Argilla files are read too) from a language-model checkpoint, in
 * Node, and writes OUT/metrics.jsonl, OUT/eval.jsonl (held-out rewards and most-wrong pairs per
 * evaluation), OUT/last-checkpoint/ while training, and OUT/model.safetensors + config.json +
 * tokenizer.json when the run finishes.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { EngineApi } from '../core/engine/engineApi.ts';
import { decodePreferenceFile } from '../core/preferences/decodeFile.ts';
import { listLines, parsePreferenceFile } from '../core/preferences/importFormats.ts';
import { toPairs } from '../core/preferences/ranking.ts';
import type { PreferencePair } from '../core/preferences/types.ts';
import { defaultRewardConfig, totalRewardSteps } from '../core/reward/rewardConfig.ts';
import type { MetricRow } from '../core/train/pretrainConfig.ts';
import { ConfigError } from '../core/train/validate.ts';
import { parseFlags, UsageError } from './args.ts';
import { BASE_CHECKPOINT_DIR, readCheckpointFlag } from './checkpointDir.ts';
import { backendFlag } from './nodeEngine.ts';
import { applyStepsAndSeed, mergeConfig, readConfigFlag, runTrainingCommand } from './trainingCommand.ts';

export const REWARD_HELP = `rlhf reward --data PAIRS.jsonl [--from DIR] [--config FILE.json] [--steps N] [--seed S] [--out DIR] [--backend wasm|cpu] [--quiet]
  --data    preference pairs: TRL JSONL {"prompt", "chosen", "rejected"[, "margin"]} (hh-rlhf and Argilla files too)
  --from    language-model (or reward-model) checkpoint folder to start from (default public/base)
  --config  JSON with any RewardConfig fields (see src/core/reward/rewardConfig.ts); the rest are defaults
  --steps   max_steps      --seed  seed      --out  output folder (default runs/reward)`;

/** Reads a preference file into TRL pairs; a file with unreadable records is refused, naming their lines. */
export function readPairsFile(path: string): PreferencePair[] {
  if (!existsSync(path)) throw new UsageError(`--data ${path}: no such file`);
  const decoded = decodePreferenceFile(path, readFileSync(path));
  if ('error' in decoded) throw new ConfigError([{ field: 'data', message: decoded.error }]);
  const report = parsePreferenceFile(decoded.text, { annotator: 'file' });
  if (report.error) throw new ConfigError([{ field: 'data', message: `${path}: ${report.error}` }]);
  if (report.problems.length) {
    const first = report.problems[0];
    throw new ConfigError([{ field: 'data', message: `${path}: ${listLines(report.unit, report.problems.map((p) => p.line))} could not be read (${report.unit} ${first.line}: ${first.message}); fix or remove them` }]);
  }
  if (report.duplicates.length) console.error(`${path}: skipped ${report.duplicates.length} duplicate record(s) (${listLines(report.unit, report.duplicates)})`);
  return report.records.flatMap((r) => r.labels.flatMap((l) => toPairs({ prompt: r.prompt, completions: r.completions, ranking: l.ranking, scores: l.scores, margin: l.margin })));
}

function formatRow(row: MetricRow, endStep: number): string {
  const parts = [`step ${row.step}/${endStep}`];
  for (const key of ['loss', 'accuracy', 'eval/accuracy', 'eval/gold_accuracy']) {
    if (row[key] !== undefined) parts.push(`${key} ${row[key]!.toFixed(key.includes('accuracy') ? 3 : 4)}`);
  }
  return parts.join('  ');
}

export async function rewardCommand(engine: EngineApi, argv: string[]): Promise<void> {
  const flags = parseFlags(argv, { data: 'string', from: 'string', config: 'string', steps: 'number', seed: 'number', out: 'string', backend: 'string', quiet: 'boolean' });
  if (!flags.data) throw new UsageError('--data PAIRS.jsonl is required');
  const config = mergeConfig(defaultRewardConfig(), readConfigFlag(flags.config));
  applyStepsAndSeed(config, flags);
  const pairs = readPairsFile(String(flags.data));
  const fromDir = String(flags.from ?? BASE_CHECKPOINT_DIR);
  const from = readCheckpointFlag('from', fromDir);
  const backend = backendFlag(flags.backend);
  let endStep = 0;
  await runTrainingCommand(engine, {
    out: String(flags.out ?? 'runs/reward'),
    backend,
    quiet: flags.quiet === true,
    extra: 'eval.jsonl',
    onStarted: (e) => {
      endStep = totalRewardSteps(config, e.numTrainExamples ?? 0);
      return `training a reward model (${e.nParams.toLocaleString('en')} parameters) on ${e.backend}: ${e.numTrainExamples} training pairs, ${e.numEvalExamples} held out`;
    },
    formatRow: (row) => formatRow(row, endStep),
    train: (onEvents) => engine.trainReward({ config, pairs, from }, onEvents),
  });
}
