/**
 * What the training subcommands (pretrain, sft, reward) share: a --config JSON merged over the
 * stage's defaults, and a run of the engine whose events become files in OUT: metrics.jsonl (plus
 * samples.jsonl or eval.jsonl), last-checkpoint/ while training, and model.safetensors +
 * config.json + tokenizer.json once the run finishes. A subcommand keeps only its flags, its
 * inputs and its progress lines.
 */
import { appendFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineApi, RunOutcome, TrainEvent } from '../core/engine/engineApi.ts';
import type { MetricRow } from '../core/train/pretrainConfig.ts';
import { ConfigError } from '../core/train/validate.ts';
import { UsageError } from './args.ts';
import { publishCheckpoint, writeCheckpointDir } from './checkpointDir.ts';
import { startBackend, type NodeBackend } from './nodeEngine.ts';

/** The --config file's JSON object; none given: {} (all defaults). */
export function readConfigFlag(path: string | number | boolean | undefined): Record<string, unknown> {
  if (!path) return {};
  let user: unknown;
  try {
    user = JSON.parse(readFileSync(String(path), 'utf8'));
  } catch (e) {
    throw new UsageError(`--config ${path}: ${(e as Error).message}`);
  }
  if (!user || typeof user !== 'object' || Array.isArray(user)) throw new UsageError(`--config ${path}: must hold a JSON object`);
  return user as Record<string, unknown>;
}

/**
 * Merges a user's JSON over the defaults, refusing keys that do not exist (a typo would be silent).
 * `alsoKnown`: keys the caller reads itself, named in the message. Nested objects merge key by key,
 * except `corpus`, whose kinds have different fields: a user's corpus replaces the default's whole.
 */
export function mergeConfig<T extends object>(base: T, user: Record<string, unknown>, path = '', alsoKnown: string[] = []): T {
  const defaults = base as unknown as Record<string, unknown>;
  const out = { ...defaults };
  for (const [k, v] of Object.entries(user)) {
    if (!(k in defaults)) throw new ConfigError([{ field: path + k, message: `unknown setting (known: ${[...Object.keys(defaults), ...alsoKnown].join(', ')})` }]);
    const b = defaults[k];
    const nestedOk = b && typeof b === 'object' && v && typeof v === 'object' && !Array.isArray(v) && k !== 'corpus';
    out[k] = nestedOk ? mergeConfig(b as object, v as Record<string, unknown>, `${path}${k}.`) : v;
  }
  return out as unknown as T;
}

/** --steps and --seed, which every stage has, override its config's max_steps and seed. */
export function applyStepsAndSeed(config: { max_steps: number; seed: number }, flags: Record<string, unknown>): void {
  if (flags.steps !== undefined) config.max_steps = Number(flags.steps);
  if (flags.seed !== undefined) config.seed = Number(flags.seed);
}

/** One stage's run, as its subcommand describes it. */
export interface TrainingCommandRun {
  out: string;
  backend: NodeBackend;
  quiet: boolean;
  /** Written beside metrics.jsonl: the fixed prompts' samples (pretrain, SFT) or the reward model's held-out evaluations. */
  extra: 'samples.jsonl' | 'eval.jsonl';
  /** The first progress line, once the engine has built the model and split the data. */
  onStarted(e: TrainEvent & { type: 'started' }): string;
  /** The progress line of one metrics row. */
  formatRow(row: MetricRow): string;
  /** Starts the stage's job on the engine. */
  train(onEvents: (events: TrainEvent[]) => void): Promise<RunOutcome>;
}

/**
 * Runs the job and writes OUT. Ctrl-C stops after the current step: the interim checkpoint stays
 * in last-checkpoint/ and the finished-checkpoint files are not written. Exit codes: 1 failed, 130 stopped.
 */
export async function runTrainingCommand(engine: EngineApi, run: TrainingCommandRun): Promise<void> {
  const { out } = run;
  mkdirSync(out, { recursive: true });
  const metricsPath = join(out, 'metrics.jsonl');
  const extraPath = join(out, run.extra);
  // A new run's logs replace the last run's, never extend them.
  rmSync(metricsPath, { force: true });
  rmSync(extraPath, { force: true });

  await startBackend(engine, run.backend);
  const log = (s: string) => run.quiet || console.log(s);
  let lastCheckpoint: (TrainEvent & { type: 'checkpoint' }) | undefined;
  const onEvents = (events: TrainEvent[]) => {
    for (const e of events) {
      if (e.type === 'started') log(run.onStarted(e));
      if (e.type === 'metrics') for (const row of e.rows) {
        appendFileSync(metricsPath, JSON.stringify(row) + '\n');
        log(run.formatRow(row));
      }
      if (e.type === 'samples' && run.extra === 'samples.jsonl') for (const s of e.samples) appendFileSync(extraPath, JSON.stringify({ step: e.step, ...s }) + '\n');
      if (e.type === 'rewardEval' && run.extra === 'eval.jsonl') appendFileSync(extraPath, JSON.stringify(e.report) + '\n');
      if (e.type === 'checkpoint') {
        lastCheckpoint = e;
        writeCheckpointDir(join(out, 'last-checkpoint'), e.files);
      }
    }
  };
  let stopping = false;
  // Every signal is caught, not just the first: a second Ctrl-C (or tsx relaying one) would
  // otherwise kill the process mid-write of the final interim checkpoint.
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.error('interrupted: stopping after this step (the finished-checkpoint files are not written)');
    engine.stop();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const outcome = await run.train(onEvents);
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  if (outcome.status === 'finished' && lastCheckpoint) {
    publishCheckpoint(out, lastCheckpoint.files);
    // The finished checkpoint supersedes the interim one.
    rmSync(join(out, 'last-checkpoint'), { recursive: true, force: true });
    log(`finished at step ${outcome.step}: wrote ${join(out, 'model.safetensors')}, config.json, tokenizer.json`);
    return;
  }
  if (outcome.status === 'failed') {
    console.error(`run failed: ${outcome.message}`);
    process.exitCode = 1;
    return;
  }
  console.error(`run stopped at step ${outcome.step}; the last checkpoint is in ${join(out, 'last-checkpoint')}`);
  process.exitCode = 130;
}
