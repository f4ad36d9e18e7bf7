/**
 * `rlhf sft`: supervised fine-tuning in Node, from a checkpoint folder (default: the shipped base)
 * on the built-in instruction set or a JSONL / JSON / CSV file. Writes OUT/metrics.jsonl,
 * OUT/samples.jsonl (step 0 = before training), OUT/last-checkpoint/ while training, and
 * OUT/model.safetensors + config.json + tokenizer.json when the run finishes.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { buildInstructionSet, INSTRUCTION_KINDS, SFT_SAMPLE_PROMPTS, type InstructionKind } from '../core/data/instructions.ts';
import type { EngineApi } from '../core/engine/engineApi.ts';
import { parseCheckpoint } from '../core/model/checkpoint.ts';
import { DEFAULT_CHAT_TEMPLATE, parseChatTemplate } from '../core/sft/chatTemplate.ts';
import { defaultSftConfig, validateSftConfig, type SftConfig } from '../core/sft/sftConfig.ts';
import type { SftRow } from '../core/sft/sftData.ts';
import { importSftFile, listPlaces, MAX_SFT_FILE_BYTES } from '../core/sft/sftFormats.ts';
import { DEFAULT_SAMPLING } from '../core/train/defaults.ts';
import type { MetricRow } from '../core/train/pretrainConfig.ts';
import { ConfigError } from '../core/train/validate.ts';
import { parseFlags, UsageError } from './args.ts';
import { BASE_CHECKPOINT_DIR, readCheckpointFlag } from './checkpointDir.ts';
import { backendFlag } from './nodeEngine.ts';
import { applyStepsAndSeed, mergeConfig, readConfigFlag, runTrainingCommand } from './trainingCommand.ts';

export const SFT_HELP = `rlhf sft [--config FILE.json] [--data FILE.jsonl] [--from DIR] [--steps N] [--seed S] [--out DIR] [--skip-invalid] [--backend wasm|cpu] [--quiet]
  --config  JSON with any SFTConfig fields (src/core/sft/sftConfig.ts), plus "dataset": {"kind", "count", "seed"}
            for the built-in instruction set and "chat_template" for chat records; the rest are defaults
  --data    JSONL, JSON or CSV with prompt/completion or messages (default: the built-in instruction set)
  --from    checkpoint folder to fine-tune (default public/base)   --out  output folder (default runs/sft)
  --steps   max_steps   --seed  seed   --skip-invalid  import the valid records of a file that has bad ones`;

/** The built-in instruction set the CLI trains on when no --data is given. */
export interface BuiltinDataset {
  kind: InstructionKind;
  count: number;
  seed: number;
}

interface CliConfig {
  config: SftConfig;
  dataset: BuiltinDataset;
  chatTemplate: string;
}

/** Merges the user's JSON over the defaults, refusing unknown keys (a typo would be silent). */
export function mergeSftConfig(user: Record<string, unknown>): CliConfig {
  const { dataset = {}, chat_template: chatTemplate = DEFAULT_CHAT_TEMPLATE, ...settings } = user;
  const config = mergeConfig(defaultSftConfig(), settings, '', ['dataset', 'chat_template']);
  if (!dataset || typeof dataset !== 'object' || Array.isArray(dataset)) throw new ConfigError([{ field: 'dataset', message: 'must be an object {"kind", "count", "seed"}' }]);
  const d = mergeConfig<BuiltinDataset>({ kind: 'mood_topic', count: 500, seed: 1 }, dataset as Record<string, unknown>, 'dataset.');
  if (typeof chatTemplate !== 'string') throw new ConfigError([{ field: 'chat_template', message: 'must be text' }]);
  if (!INSTRUCTION_KINDS.includes(d.kind)) throw new ConfigError([{ field: 'dataset.kind', message: `must be one of ${INSTRUCTION_KINDS.join(', ')}` }]);
  if (!Number.isInteger(d.count) || d.count < 2 || d.count > 100_000) throw new ConfigError([{ field: 'dataset.count', message: `must be a whole number from 2 to 100000 (got ${String(d.count)})` }]);
  if (!Number.isInteger(d.seed) || d.seed < 0) throw new ConfigError([{ field: 'dataset.seed', message: `must be a whole number >= 0 (got ${String(d.seed)})` }]);
  return { config, dataset: d, chatTemplate };
}

/** Rows from a data file; a file with bad records is refused unless skipInvalid. */
export function readSftData(path: string, chatTemplate: string, skipInvalid: boolean): SftRow[] {
  if (!existsSync(path)) throw new UsageError(`--data ${path}: no such file`);
  if (statSync(path).size > MAX_SFT_FILE_BYTES) throw new ConfigError([{ field: 'data', message: `${path} is ${(statSync(path).size / 1e6).toFixed(1)} MB; the limit is ${MAX_SFT_FILE_BYTES / 1e6} MB` }]);
  const template = parseChatTemplate(chatTemplate);
  if ('error' in template) throw new ConfigError([{ field: 'chat_template', message: template.error }]);
  const result = importSftFile(path, readFileSync(path), template.template);
  if (!result.ok) throw new ConfigError([{ field: 'data', message: result.error }]);
  if (result.skipped.length && !skipInvalid) {
    const places = listPlaces(result.unit, result.skipped.map((s) => s.at));
    throw new ConfigError([{ field: 'data', message: `${path}: ${places} cannot be used (${result.skipped[0].message}${result.skipped.length > 1 ? '; ...' : ''}); pass --skip-invalid to train on the ${result.rows.length} valid rows` }]);
  }
  return result.rows;
}

function formatRow(row: MetricRow, maxSteps: number): string {
  const parts = [`step ${row.step}/${maxSteps}`];
  if (row.loss !== undefined) parts.push(`loss ${row.loss.toFixed(4)}`, `mean_token_accuracy ${row.mean_token_accuracy?.toFixed(3)}`);
  if (row['eval/loss'] !== undefined) parts.push(`eval/loss ${row['eval/loss'].toFixed(4)}`);
  return parts.join('  ');
}

export async function sftCommand(engine: EngineApi, argv: string[]): Promise<void> {
  const flags = parseFlags(argv, { config: 'string', data: 'string', from: 'string', steps: 'number', seed: 'number', out: 'string', 'skip-invalid': 'boolean', backend: 'string', quiet: 'boolean' });
  const { config, dataset, chatTemplate } = mergeSftConfig(readConfigFlag(flags.config));
  applyStepsAndSeed(config, flags);
  const errors = validateSftConfig(config);
  if (errors.length) throw new ConfigError(errors);
  const backend = backendFlag(flags.backend);
  const fromDir = String(flags.from ?? BASE_CHECKPOINT_DIR);
  const from = readCheckpointFlag('from', fromDir, parseCheckpoint);
  let rows: SftRow[];
  if (flags.data) rows = readSftData(String(flags.data), chatTemplate, flags['skip-invalid'] === true);
  else {
    // The requests and stories are sized to the model being fine-tuned (its context and tokenizer).
    const parsed = parseCheckpoint(from);
    const maxTokens = Math.min(config.max_length, parsed.modelConfig.n_positions);
    try {
      rows = buildInstructionSet({ ...dataset, maxTokens, tokenizer: parsed.tokenizer }).map(({ prompt, completion }) => ({ prompt, completion }));
    } catch (e) {
      throw new ConfigError([{ field: 'max_length', message: `${(e as Error).message} (the model's context is ${parsed.modelConfig.n_positions} tokens)` }]);
    }
  }

  let maxSteps = config.max_steps;
  await runTrainingCommand(engine, {
    out: String(flags.out ?? 'runs/sft'),
    backend,
    quiet: flags.quiet === true,
    extra: 'samples.jsonl',
    onStarted: (e) => {
      // max_steps -1 trains for num_train_epochs: the step count is known once the data is split.
      if (maxSteps < 0) maxSteps = Math.max(1, Math.ceil((config.num_train_epochs * (e.numTrainExamples ?? 0)) / config.per_device_train_batch_size));
      return `fine-tuning ${e.nParams.toLocaleString('en')} parameters from ${fromDir} on ${e.backend}: ${e.numTrainExamples} training rows, ${e.numEvalExamples} held out; loss on ${config.completion_only_loss ? 'the completion only' : 'the whole sequence'}`;
    },
    formatRow: (row) => formatRow(row, maxSteps),
    train: (onEvents) => engine.sft({ config, rows, from, fromLabel: fromDir, sampling: DEFAULT_SAMPLING, prompts: SFT_SAMPLE_PROMPTS }, onEvents),
  });
}
