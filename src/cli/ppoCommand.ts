/**
 * `rlhf ppo`: PPO in Node from a language-model checkpoint (default: the shipped base) against a
 * reward checkpoint (--reward DIR) or the gold score (--gold, the default). Writes OUT/metrics.jsonl
 * (one row per iteration, TRL's metric names), OUT/samples.jsonl (prompt, completion, score, kl per
 * iteration), OUT/last-checkpoint/ while training, and OUT/model.safetensors + config.json +
 * tokenizer.json (the policy: a language model, plus its value_head, which other stages ignore) when the run finishes.
 */
import type { EngineApi } from '../core/engine/engineApi.ts';
import { defaultPpoRunConfig, validatePpoRunConfig } from '../core/ppo/ppoRunConfig.ts';
import type { PpoRewardSource } from '../core/ppo/ppoReward.ts';
import type { MetricRow } from '../core/train/pretrainConfig.ts';
import { ConfigError } from '../core/train/validate.ts';
import { parseFlags, UsageError } from './args.ts';
import { BASE_CHECKPOINT_DIR, readCheckpointFlag } from './checkpointDir.ts';
import { backendFlag } from './nodeEngine.ts';
import { applyStepsAndSeed, mergeConfig, readConfigFlag, runTrainingCommand } from './trainingCommand.ts';

export const PPO_HELP = `rlhf ppo [--from DIR] [--reward DIR | --gold] [--config FILE.json] [--steps N] [--seed S] [--out DIR] [--backend wasm|cpu] [--quiet]
  --from    language-model checkpoint to optimise, SFT or base (default public/base); the reference is a frozen copy
  --reward  reward-model checkpoint folder (from rlhf reward) to score responses with
  --gold    score with the simulated annotator's gold score (the happy-ending preference); the default
  --config  JSON with any PPO settings (TRL PPOConfig names; src/core/ppo/ppoRunConfig.ts); the rest are defaults
  --steps   max_steps (PPO iterations)   --seed  seed   --out  output folder (default runs/ppo)`;

const SHOWN = ['objective/scores', 'gold/score_mean', 'objective/kl', 'loss/policy_avg', 'loss/value_avg'];

function formatRow(row: MetricRow, maxSteps: number): string {
  const parts = [`iteration ${row.step}/${maxSteps}`];
  for (const key of SHOWN) if (row[key] !== undefined) parts.push(`${key} ${row[key]!.toFixed(4)}`);
  if (row.seconds_per_iteration !== undefined) parts.push(`${row.seconds_per_iteration.toFixed(1)} s/it`);
  return parts.join('  ');
}

export async function ppoCommand(engine: EngineApi, argv: string[]): Promise<void> {
  const flags = parseFlags(argv, { from: 'string', reward: 'string', gold: 'boolean', config: 'string', steps: 'number', seed: 'number', out: 'string', backend: 'string', quiet: 'boolean' });
  if (flags.reward && flags.gold) throw new UsageError('give --reward DIR or --gold, not both');
  const config = mergeConfig(defaultPpoRunConfig(), readConfigFlag(flags.config));
  applyStepsAndSeed(config, flags);
  const errors = validatePpoRunConfig(config);
  if (errors.length) throw new ConfigError(errors);
  const backend = backendFlag(flags.backend);
  const fromDir = String(flags.from ?? BASE_CHECKPOINT_DIR);
  const from = readCheckpointFlag('from', fromDir);
  const reward: PpoRewardSource = flags.reward ? { kind: 'model', files: readCheckpointFlag('reward', String(flags.reward)) } : { kind: 'gold' };
  await runTrainingCommand(engine, {
    out: String(flags.out ?? 'runs/ppo'),
    backend,
    quiet: flags.quiet === true,
    extra: 'samples.jsonl',
    onStarted: (e) => `PPO on ${e.nParams.toLocaleString('en')} parameters from ${fromDir} on ${e.backend}: ${e.numTrainExamples} prompts, scored by ${flags.reward ? `the reward model in ${flags.reward}` : 'the gold score'}`,
    formatRow: (row) => formatRow(row, config.max_steps),
    train: (onEvents) => engine.ppo({ config, from, fromLabel: fromDir, reward }, onEvents),
  });
}
