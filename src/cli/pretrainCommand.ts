/**
 * `rlhf pretrain`: trains on the built-in stories (or a .txt) in Node and writes
 * OUT/metrics.jsonl, OUT/samples.jsonl, OUT/last-checkpoint/ while training, and
 * OUT/model.safetensors + config.json + tokenizer.json when the run finishes.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLE_PROMPTS } from '../core/data/storyCorpus.ts';
import type { EngineApi, TrainEvent } from '../core/engine/engineApi.ts';
import { DEFAULT_SAMPLING, defaultPretrainConfig } from '../core/train/defaults.ts';
import type { PretrainConfig } from '../core/train/pretrainConfig.ts';
import { ConfigError, readUpload } from '../core/train/validate.ts';
import { parseFlags, UsageError } from './args.ts';
import { publishCheckpoint, readCheckpointDir, writeCheckpointDir } from './checkpointDir.ts';

export const PRETRAIN_HELP = `rlhf pretrain [--config FILE.json] [--steps N] [--seed S] [--from DIR] [--out DIR] [--text FILE.txt] [--backend wasm|cpu] [--quiet]
  --config  JSON with any PretrainConfig fields (see src/core/train/pretrainConfig.ts); the rest are defaults
  --steps   max_steps      --seed  seed      --from  continue from a checkpoint folder
  --out     output folder (default runs/pretrain)   --text  train on this UTF-8 text file instead of the stories`;

/** Merges a user's JSON over the defaults, refusing keys that do not exist (a typo would be silent). */
export function mergeConfig(base: PretrainConfig, user: Record<string, unknown>, path = ''): PretrainConfig {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(user)) {
    if (!(k in base)) throw new ConfigError([{ field: path + k, message: `unknown setting (known: ${Object.keys(base).join(', ')})` }]);
    const b = (base as unknown as Record<string, unknown>)[k];
    const nestedOk = b && typeof b === 'object' && v && typeof v === 'object' && !Array.isArray(v) && k !== 'corpus';
    out[k] = nestedOk ? mergeConfig(b as never, v as Record<string, unknown>, `${path}${k}.`) : v;
  }
  return out as unknown as PretrainConfig;
}

function formatRow(row: Record<string, number>, maxSteps: number): string {
  const parts = [`step ${row.step}/${maxSteps}`];
  if (row.loss !== undefined) parts.push(`loss ${row.loss.toFixed(4)}`);
  if (row['eval/loss'] !== undefined) parts.push(`eval/loss ${row['eval/loss'].toFixed(4)}`);
  if (row.tokens_per_second !== undefined) parts.push(`${Math.round(row.tokens_per_second)} tok/s`);
  return parts.join('  ');
}

export async function pretrainCommand(engine: EngineApi, argv: string[]): Promise<void> {
  const flags = parseFlags(argv, { config: 'string', steps: 'number', seed: 'number', from: 'string', out: 'string', text: 'string', backend: 'string', quiet: 'boolean' });
  let config = defaultPretrainConfig();
  if (flags.config) {
    let user: unknown;
    try {
      user = JSON.parse(readFileSync(String(flags.config), 'utf8'));
    } catch (e) {
      throw new UsageError(`--config ${flags.config}: ${(e as Error).message}`);
    }
    if (!user || typeof user !== 'object' || Array.isArray(user)) throw new UsageError(`--config ${flags.config}: must hold a JSON object`);
    config = mergeConfig(config, user as Record<string, unknown>);
  }
  if (flags.steps !== undefined) config.max_steps = Number(flags.steps);
  if (flags.seed !== undefined) config.seed = Number(flags.seed);
  let corpusText: string | undefined;
  if (flags.text) {
    const path = String(flags.text);
    if (!existsSync(path)) throw new UsageError(`--text ${path}: no such file`);
    const read = readUpload(path, readFileSync(path));
    if ('error' in read) throw new ConfigError([{ field: 'corpus', message: read.error }]);
    corpusText = read.text;
    config.corpus = { kind: 'upload', name: path, bytes: Buffer.byteLength(read.text) };
  }
  const backend = String(flags.backend ?? 'wasm');
  if (backend !== 'wasm' && backend !== 'cpu') throw new UsageError(`--backend must be wasm or cpu in Node (got '${backend}')`);
  const from = flags.from ? readCheckpointDir(String(flags.from)) : undefined;
  const out = String(flags.out ?? 'runs/pretrain');
  mkdirSync(out, { recursive: true });
  const metricsPath = join(out, 'metrics.jsonl');
  const samplesPath = join(out, 'samples.jsonl');
  rmSync(metricsPath, { force: true });
  rmSync(samplesPath, { force: true });

  try {
    await engine.setBackend(backend);
  } catch {
    // wasm failed to start: fall back to cpu, and say so.
    console.error(`the ${backend} backend could not start; using cpu`);
    await engine.setBackend('cpu');
  }
  const log = (s: string) => flags.quiet || console.log(s);
  let lastCheckpoint: TrainEvent & { type: 'checkpoint' } | undefined;
  const onEvents = (events: TrainEvent[]) => {
    for (const e of events) {
      if (e.type === 'started') log(`training ${e.nParams.toLocaleString('en')} parameters on ${e.backend}; vocabulary ${e.vocabSize}; ${(e.numTrainTokens ?? 0).toLocaleString('en')} training tokens`);
      if (e.type === 'metrics') for (const row of e.rows) {
        appendFileSync(metricsPath, JSON.stringify(row) + '\n');
        log(formatRow(row as unknown as Record<string, number>, config.max_steps));
      }
      if (e.type === 'samples') for (const s of e.samples) appendFileSync(samplesPath, JSON.stringify({ step: e.step, ...s }) + '\n');
      if (e.type === 'checkpoint') {
        lastCheckpoint = e;
        writeCheckpointDir(join(out, 'last-checkpoint'), e.files);
      }
    }
  };
  const stop = () => {
    console.error('interrupted: stopping after this step (the finished-checkpoint files are not written)');
    engine.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const outcome = await engine.pretrain({ config, corpusText, from, sampling: DEFAULT_SAMPLING, prompts: SAMPLE_PROMPTS }, onEvents);
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
