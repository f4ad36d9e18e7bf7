/**
 * `npm run bench:ppo [-- --budget 180] [--config FILE.json] [--node] [--dir runs/bench-ppo]`
 * The PPO target: from the shipped base, SFT with the app's defaults (the built-in
 * "mood + topic" set of 500 requests, seed 1, default SFTConfig; prepared in Node and reused when
 * present), then PPO with the default PpoRunConfig (plus --config overrides) against the
 * happy-ending gold score, in Chromium in the app's own worker on wasm, for `budget` seconds of
 * wall clock. Prints a JSON line per iteration, then a summary: the gold score over the first and
 * last iterations, the KL against the adaptive controller's target, and the last samples.
 * `--config` with {"kl_coef": 0, "adap_kl_ctrl": false} is the runaway lesson.
 * --node trains in Node instead (quicker to iterate on; not the target's runtime).
 */
import { readFileSync } from 'node:fs';
import { parseFlags } from '../src/cli/args.ts';
import { createNodeEngine } from '../src/cli/nodeEngine.ts';
import { mergeConfig } from '../src/cli/trainingCommand.ts';
import { ppoBenchPoint, shownSamples, type PpoBenchResult } from '../src/bench/ppoBenchPage.ts';
import type { TrainEvent } from '../src/core/engine/engineApi.ts';
import { defaultPpoRunConfig, validatePpoRunConfig, type PpoRunConfig } from '../src/core/ppo/ppoRunConfig.ts';
import type { PpoSample } from '../src/core/ppo/ppoTrainer.ts';
import type { CheckpointFiles } from '../src/core/train/pretrainConfig.ts';
import { checkpointFilesAt, runInBenchPage } from './benchPage.ts';
import { benchSftCheckpoint } from './benchSft.ts';

const flags = parseFlags(process.argv.slice(2), { budget: 'number', config: 'string', node: 'boolean', dir: 'string' });
const budget = Number(flags.budget ?? 180);
const dir = String(flags.dir ?? 'runs/bench-ppo');
const DIST = 'dist-ppo-bench';

const config: PpoRunConfig = mergeConfig(defaultPpoRunConfig(), flags.config ? JSON.parse(readFileSync(String(flags.config), 'utf8')) : {});
const errors = validatePpoRunConfig(config);
if (errors.length) throw new Error(errors.map((e) => `${e.field}: ${e.message}`).join('; '));

const engine = createNodeEngine();

const meanOf = (xs: number[]) => (xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 1000) / 1000 : null);

function summary(runtime: string, result: PpoBenchResult): void {
  const p = result.points;
  const window = Math.max(1, Math.min(10, Math.floor(p.length / 4)));
  console.log(JSON.stringify({
    measure: 'ppo gold score over wall clock',
    runtime,
    backend: result.backend,
    status: result.outcome.status,
    iterations: p.length,
    seconds: p.at(-1)?.seconds ?? 0,
    window,
    gold_first: meanOf(p.slice(0, window).map((x) => x.gold)),
    gold_last: meanOf(p.slice(-window).map((x) => x.gold)),
    kl_last: meanOf(p.slice(-window).map((x) => x.kl)),
    kl_max: p.length ? Math.max(...p.map((x) => x.kl)) : null,
    entropy_first: meanOf(p.slice(0, window).map((x) => x.entropy)),
    entropy_last: meanOf(p.slice(-window).map((x) => x.entropy)),
    kl_coef_last: p.at(-1)?.kl_coef ?? null,
    kl_target: config.adap_kl_ctrl ? config.target : null,
    last_samples: result.lastSamples,
    config,
  }));
}

async function inNode(sft: CheckpointFiles): Promise<void> {
  await engine.setBackend('wasm');
  const result: PpoBenchResult = { backend: '', outcome: { status: 'failed', step: 0 }, points: [], lastSamples: [] };
  let t0 = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  result.outcome = await engine.ppo({ config, from: sft, fromLabel: 'the benchmark SFT checkpoint', reward: { kind: 'gold' } }, (events: TrainEvent[]) => {
    for (const e of events) {
      if (e.type === 'started') {
        t0 = performance.now();
        result.backend = e.backend;
        timer = setTimeout(() => engine.stop(), budget * 1000);
      }
      if (e.type === 'samples') result.lastSamples = shownSamples(e.samples as PpoSample[]);
      if (e.type === 'metrics') for (const row of e.rows) {
        const point = ppoBenchPoint(row, Math.round((performance.now() - t0) / 100) / 10);
        result.points.push(point);
        console.log(JSON.stringify({ runtime: 'node', ...point }));
      }
    }
  });
  clearTimeout(timer);
  summary('node', result);
}

async function inChromium(sft: CheckpointFiles): Promise<void> {
  const { runtime, result } = await runInBenchPage<PpoBenchResult>({
    dist: DIST,
    files: checkpointFilesAt('bench-ppo-data/sft', sft),
    tag: 'ppoBench',
    method: 'trainPpo',
    args: ['./bench-ppo-data/', config, budget],
  });
  summary(runtime, result);
}

const sft = await benchSftCheckpoint(engine, dir);
await (flags.node ? inNode(sft) : inChromium(sft));
