/**
 * `rlhf grpo` and `rlhf rloo`: GRPO / RLOO in Node from a language-model checkpoint (default: the
 * shipped base) with one or more reward functions: a reward checkpoint (--reward DIR), the gold
 * score (--gold), built-in programmatic rewards (--reward-funcs), user-written JavaScript functions
 * (--reward-code, run in node:vm by nodeReward.ts), weighted by --reward-weights
 * (TRL's reward_weights). Without any, the gold score. Writes OUT/metrics.jsonl (TRL's metric
 * names), OUT/samples.jsonl, OUT/last-checkpoint/ while training, and OUT/model.safetensors +
 * config.json + tokenizer.json when the run finishes. A user function failing on some completions
 * is printed to stderr (one line per reported failure) and the run goes on.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { EngineApi, TrainEvent } from '../core/engine/engineApi.ts';
import { defaultGrpoConfig, validateGrpoConfig, type GroupMethod } from '../core/grpo/grpoConfig.ts';
import type { GrpoRewardSource } from '../core/grpo/rewardSources.ts';
import { BUILTIN_REWARDS } from '../core/rewards/builtinRewards.ts';
import { describeRewardFailure } from '../core/rewards/userRewardSource.ts';
import type { MetricRow } from '../core/train/pretrainConfig.ts';
import { ConfigError } from '../core/train/validate.ts';
import { parseFlags, UsageError } from './args.ts';
import { BASE_CHECKPOINT_DIR, readCheckpointFlag } from './checkpointDir.ts';
import { backendFlag } from './nodeEngine.ts';
import { applyStepsAndSeed, mergeConfig, readConfigFlag, runTrainingCommand } from './trainingCommand.ts';

export function grpoHelp(method: GroupMethod): string {
  return `rlhf ${method} [--from DIR] [--reward DIR | --gold] [--reward-funcs name,name] [--reward-code FILE.js[:name]] [--reward-weights 1,0.5] [--config FILE.json] [--steps N] [--seed S] [--out DIR] [--backend wasm|cpu] [--quiet]
  --from            language-model checkpoint to optimise, SFT or base (default public/base)
  --reward          reward-model checkpoint folder (from rlhf reward): reward function 'reward_model'
  --gold            the simulated annotator's gold score (happy ending): reward function 'gold'; the default when no other is given
  --reward-funcs    built-in rewards, comma-separated: ${BUILTIN_REWARDS.map((r) => r.name).join(', ')}
  --reward-code     your own reward functions, comma-separated files each holding one JavaScript function
                    (prompt, completion) => number (null: cannot judge); named after the file or :name
  --reward-weights  one weight per reward function, in the order --reward/--gold, --reward-funcs, --reward-code (TRL's reward_weights)
  --config          JSON with any ${method === 'grpo' ? 'GRPOConfig' : 'RLOOConfig'} settings (src/core/grpo/grpoConfig.ts); the rest are defaults
  --steps   max_steps   --seed  seed   --out  output folder (default runs/${method})`;
}

const SHOWN = ['reward', 'gold/score_mean', 'reward_std', 'kl', 'entropy', 'loss'];

function formatRow(row: MetricRow, maxSteps: number): string {
  const parts = [`step ${row.step}/${maxSteps}`];
  for (const key of SHOWN) if (row[key] !== undefined) parts.push(`${key} ${row[key]!.toFixed(4)}`);
  if (row.seconds_per_step !== undefined) parts.push(`${row.seconds_per_step.toFixed(1)} s/step`);
  return parts.join('  ');
}

/** One stderr line per reported failure of a reward function, and how many more there were. */
export function formatRewardFailures(e: TrainEvent & { type: 'rewardFailures' }): string[] {
  const lines = e.failures.map((f) => `step ${e.step} reward function "${f.function}": ${describeRewardFailure(f).replace(/\n\s*/g, '; ')}`);
  for (const [name, count] of Object.entries(e.counts)) {
    const shown = e.failures.filter((f) => f.function === name).length;
    if (count > shown) lines.push(`step ${e.step} reward function "${name}": ${count - shown} more failures at this step`);
  }
  return lines;
}

/** `FILE.js[:name]`, comma-separated: each file's text as a 'code' reward named :name or after the file. */
export function readRewardCode(flag: string): GrpoRewardSource[] {
  return flag.split(',').map((s) => s.trim()).filter(Boolean).map((spec) => {
    const named = /^(.*):([A-Za-z0-9_-]+)$/.exec(spec);
    const file = named ? named[1] : spec;
    const name = named ? named[2] : basename(file, extname(file)).replace(/[^A-Za-z0-9_-]/g, '_') || 'code';
    let source: string;
    try {
      source = readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`--reward-code: cannot read ${file}: ${(e as Error).message}`);
    }
    return { kind: 'code', name, source };
  });
}

export async function grpoCommand(method: GroupMethod, engine: EngineApi, argv: string[]): Promise<void> {
  const flags = parseFlags(argv, { from: 'string', reward: 'string', gold: 'boolean', 'reward-funcs': 'string', 'reward-code': 'string', 'reward-weights': 'string', config: 'string', steps: 'number', seed: 'number', out: 'string', backend: 'string', quiet: 'boolean' });
  if (flags.reward && flags.gold) throw new UsageError('give --reward DIR or --gold, not both');
  const config = mergeConfig(defaultGrpoConfig(method), readConfigFlag(flags.config));
  applyStepsAndSeed(config, flags);
  const builtins = flags['reward-funcs'] ? String(flags['reward-funcs']).split(',').map((s) => s.trim()).filter(Boolean) : [];
  const codes = flags['reward-code'] ? readRewardCode(String(flags['reward-code'])) : [];
  const rewards: GrpoRewardSource[] = [];
  if (flags.reward) rewards.push({ kind: 'model', files: readCheckpointFlag('reward', String(flags.reward)) });
  else if (flags.gold || (!builtins.length && !codes.length)) rewards.push({ kind: 'gold' });
  for (const name of builtins) {
    if (!BUILTIN_REWARDS.some((r) => r.name === name)) throw new ConfigError([{ field: 'reward_funcs', message: `unknown reward function "${name}" (built-in: ${BUILTIN_REWARDS.map((r) => r.name).join(', ')})` }]);
    rewards.push({ kind: 'builtin', name });
  }
  rewards.push(...codes);
  if (flags['reward-weights'] !== undefined) {
    const weights = String(flags['reward-weights']).split(',').map((s) => Number(s.trim()));
    if (weights.some((w) => !Number.isFinite(w))) throw new UsageError(`--reward-weights must be numbers separated by commas (got '${flags['reward-weights']}')`);
    config.reward_weights = weights;
  }
  const errors = validateGrpoConfig(config, rewards.length);
  if (errors.length) throw new ConfigError(errors);
  const backend = backendFlag(flags.backend);
  const fromDir = String(flags.from ?? BASE_CHECKPOINT_DIR);
  const from = readCheckpointFlag('from', fromDir);
  const names = rewards.map((r) => (r.kind === 'model' ? `the reward model in ${flags.reward}` : r.kind === 'gold' ? 'the gold score' : r.kind === 'code' ? `your function ${r.name}` : r.name));
  await runTrainingCommand(engine, {
    out: String(flags.out ?? `runs/${method}`),
    backend,
    quiet: flags.quiet === true,
    extra: 'samples.jsonl',
    onStarted: (e) => `${method.toUpperCase()} on ${e.nParams.toLocaleString('en')} parameters from ${fromDir} on ${e.backend}: ${e.numTrainExamples} prompts x ${config.num_generations} completions, rewarded by ${names.join(' + ')}`,
    formatRow: (row) => formatRow(row, config.max_steps),
    train: (onEvents) => engine.grpo({ method, config, from, fromLabel: fromDir, rewards }, (events) => {
      for (const e of events) if (e.type === 'rewardFailures') for (const line of formatRewardFailures(e)) console.error(line);
      onEvents(events);
    }),
  });
}
