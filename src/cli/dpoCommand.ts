/**
 * `rlhf dpo|kto|orpo|cpo`: offline preference optimisation in Node, the method named by the
 * subcommand, on a preference file (TRL JSONL: prompt, chosen, rejected; hh-rlhf and Argilla files
 * are read too) from a language-model checkpoint. Writes OUT/metrics.jsonl (TRL's metric names),
 * OUT/samples.jsonl (a few of the file's prompts, the policy's sample beside the reference's),
 * OUT/last-checkpoint/ while training, and OUT/model.safetensors + config.json + tokenizer.json
 * (a language model) when the run finishes.
 */
import { defaultDpoRunConfig, totalDpoSteps, validateDpoRunConfig, type PreferenceMethod } from '../core/dpo/dpoConfig.ts';
import type { EngineApi } from '../core/engine/engineApi.ts';
import { DEFAULT_SAMPLING } from '../core/train/defaults.ts';
import type { MetricRow } from '../core/train/pretrainConfig.ts';
import { ConfigError } from '../core/train/validate.ts';
import { parseFlags, UsageError } from './args.ts';
import { BASE_CHECKPOINT_DIR, readCheckpointFlag } from './checkpointDir.ts';
import { backendFlag } from './nodeEngine.ts';
import { readPairsFile } from './rewardCommand.ts';
import { applyStepsAndSeed, mergeConfig, readConfigFlag, runTrainingCommand } from './trainingCommand.ts';

const TITLES: Record<PreferenceMethod, string> = { dpo: 'DPO', kto: 'KTO', orpo: 'ORPO', cpo: 'CPO' };

export function dpoHelp(method: PreferenceMethod): string {
  const ref = method === 'dpo' || method === 'kto';
  return `rlhf ${method} --data PAIRS.jsonl [--from DIR]${ref ? ' [--reference DIR]' : ''} [--config FILE.json] [--steps N] [--seed S] [--out DIR] [--backend wasm|cpu] [--quiet]
  ${TITLES[method]} on preference pairs${ref ? '' : ' (no reference model)'}
  --data       preference pairs: TRL JSONL {"prompt", "chosen", "rejected"} (hh-rlhf and Argilla files too)
  --from       language-model checkpoint to optimise, SFT or base (default public/base)${ref ? `
  --reference  reference model checkpoint with the same tokenizer (default: a frozen copy of --from)` : ''}
  --config     JSON with any settings (TRL DPOConfig/KTOConfig/ORPOConfig/CPOConfig names; src/core/dpo/dpoConfig.ts)
  --steps      max_steps   --seed  seed   --out  output folder (default runs/${method})`;
}

const SHOWN = ['loss', 'rewards/accuracies', 'rewards/margins', 'kl', 'nll_loss', 'eval/loss', 'eval/rewards/accuracies', 'eval/gold_win_rate', 'gold/score_mean'];

function formatRow(row: MetricRow, endStep: number): string {
  const parts = [`step ${row.step}/${endStep}`];
  for (const key of SHOWN) if (row[key] !== undefined) parts.push(`${key} ${row[key]!.toFixed(key.includes('accuracies') || key.includes('rate') ? 3 : 4)}`);
  return parts.join('  ');
}

/** The first few distinct prompts of the file, for the samples. */
function samplePrompts(prompts: readonly string[], n = 3): string[] {
  return [...new Set(prompts)].slice(0, n);
}

export async function dpoCommand(method: PreferenceMethod, engine: EngineApi, argv: string[]): Promise<void> {
  const withReference = method === 'dpo' || method === 'kto';
  const flags = parseFlags(argv, { data: 'string', from: 'string', ...(withReference ? { reference: 'string' } : {}), config: 'string', steps: 'number', seed: 'number', out: 'string', backend: 'string', quiet: 'boolean' });
  if (!flags.data) throw new UsageError('--data PAIRS.jsonl is required');
  const user = readConfigFlag(flags.config);
  if (user.method !== undefined && user.method !== method) throw new UsageError(`--config sets method '${String(user.method)}' but the command is '${method}'; drop "method" from the file or run rlhf ${String(user.method)}`);
  const config = mergeConfig(defaultDpoRunConfig(), { ...user, method });
  applyStepsAndSeed(config, flags);
  const errors = validateDpoRunConfig(config);
  if (errors.length) throw new ConfigError(errors);
  const pairs = readPairsFile(String(flags.data));
  const backend = backendFlag(flags.backend);
  const fromDir = String(flags.from ?? BASE_CHECKPOINT_DIR);
  const from = readCheckpointFlag('from', fromDir);
  const reference = flags.reference ? readCheckpointFlag('reference', String(flags.reference)) : undefined;
  let endStep = 0;
  await runTrainingCommand(engine, {
    out: String(flags.out ?? `runs/${method}`),
    backend,
    quiet: flags.quiet === true,
    extra: 'samples.jsonl',
    onStarted: (e) => {
      endStep = totalDpoSteps(config, e.numTrainExamples ?? 0);
      return `${TITLES[method]} on ${e.nParams.toLocaleString('en')} parameters from ${fromDir} on ${e.backend}: ${e.numTrainExamples} training pairs, ${e.numEvalExamples} held out${reference ? `, reference ${flags.reference}` : ''}`;
    },
    formatRow: (row) => formatRow(row, endStep),
    train: (onEvents) => engine.dpo({ config, pairs, from, fromLabel: fromDir, reference, sampling: DEFAULT_SAMPLING, prompts: samplePrompts(pairs.map((p) => p.prompt)) }, onEvents),
  });
}
