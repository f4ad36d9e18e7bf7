/**
 * `npm run bench:grpo [-- --budget 180] [--method grpo|rloo] [--config FILE.json] [--node] [--dir runs/bench-ppo]`
 * The GRPO target: from the SFT checkpoint of bench:ppo (the SFT tab's defaults; prepared
 * in Node by scripts/benchSft.ts and reused when present), GRPO with the default GRPOConfig (plus
 * --config overrides) rewarded by the happy-ending gold score, in Chromium in the app's own worker
 * on wasm, for `budget` seconds of wall clock. Prints a JSON line per step, then a summary: the
 * gold score over the first and last steps, and the last samples.
 * --node trains in Node instead (quicker to iterate on; not the target's runtime).
 */
import { readFileSync } from 'node:fs';
import { parseFlags } from '../src/cli/args.ts';
import { createNodeEngine } from '../src/cli/nodeEngine.ts';
import { mergeConfig } from '../src/cli/trainingCommand.ts';
import { grpoBenchPoint, grpoShownSamples, type GrpoBenchResult } from '../src/bench/grpoBenchPage.ts';
import type { TrainEvent } from '../src/core/engine/engineApi.ts';
import { defaultGrpoConfig, validateGrpoConfig, type GroupMethod, type GrpoConfig } from '../src/core/grpo/grpoConfig.ts';
import type { GrpoSample } from '../src/core/grpo/grpoTrainer.ts';
import type { CheckpointFiles } from '../src/core/train/pretrainConfig.ts';
import { checkpointFilesAt, runInBenchPage } from './benchPage.ts';
import { benchSftCheckpoint } from './benchSft.ts';

const flags = parseFlags(process.argv.slice(2), { budget: 'number', method: 'string', config: 'string', node: 'boolean', dir: 'string' });
const budget = Number(flags.budget ?? 180);
const method = String(flags.method ?? 'grpo') as GroupMethod;
if (method !== 'grpo' && method !== 'rloo') throw new Error(`--method must be grpo or rloo (got ${method})`);
const dir = String(flags.dir ?? 'runs/bench-ppo');
const DIST = 'dist-grpo-bench';

const config: GrpoConfig = mergeConfig(defaultGrpoConfig(method), flags.config ? JSON.parse(readFileSync(String(flags.config), 'utf8')) : {});
const errors = validateGrpoConfig(config, 1);
if (errors.length) throw new Error(errors.map((e) => `${e.field}: ${e.message}`).join('; '));

const engine = createNodeEngine();
const meanOf = (xs: number[]) => (xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 1000) / 1000 : null);

function summary(runtime: string, result: GrpoBenchResult): void {
  const p = result.points;
  // Each step's gold mean covers only a few prompts (their requested moods dominate it), so compare windows.
  const window = Math.max(1, Math.min(20, Math.floor(p.length / 4)));
  console.log(JSON.stringify({
    measure: `${method} gold score over wall clock`,
    runtime,
    backend: result.backend,
    status: result.outcome.status,
    steps: p.length,
    seconds: p.at(-1)?.seconds ?? 0,
    window,
    gold_first: meanOf(p.slice(0, window).map((x) => x.gold)),
    gold_last: meanOf(p.slice(-window).map((x) => x.gold)),
    frac_reward_zero_std_first: meanOf(p.slice(0, window).map((x) => x.frac_reward_zero_std)),
    frac_reward_zero_std_last: meanOf(p.slice(-window).map((x) => x.frac_reward_zero_std)),
    entropy_first: meanOf(p.slice(0, window).map((x) => x.entropy)),
    entropy_last: meanOf(p.slice(-window).map((x) => x.entropy)),
    last_samples: result.lastSamples,
    config,
  }));
}

async function inNode(sft: CheckpointFiles): Promise<void> {
  await engine.setBackend('wasm');
  const result: GrpoBenchResult = { backend: '', outcome: { status: 'failed', step: 0 }, points: [], lastSamples: [] };
  let t0 = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  result.outcome = await engine.grpo({ method, config, from: sft, fromLabel: 'the benchmark SFT checkpoint', rewards: [{ kind: 'gold' }] }, (events: TrainEvent[]) => {
    for (const e of events) {
      if (e.type === 'started') {
        t0 = performance.now();
        result.backend = e.backend;
        timer = setTimeout(() => engine.stop(), budget * 1000);
      }
      if (e.type === 'samples') result.lastSamples = grpoShownSamples(e.samples as GrpoSample[]);
      if (e.type === 'metrics') for (const row of e.rows) {
        const point = grpoBenchPoint(row, Math.round((performance.now() - t0) / 100) / 10);
        result.points.push(point);
        console.log(JSON.stringify({ runtime: 'node', ...point }));
      }
    }
  });
  clearTimeout(timer);
  summary('node', result);
}

async function inChromium(sft: CheckpointFiles): Promise<void> {
  const { runtime, result } = await runInBenchPage<GrpoBenchResult>({
    dist: DIST,
    files: checkpointFilesAt('bench-grpo-data/sft', sft),
    tag: 'grpoBench',
    method: 'trainGrpo',
    args: ['./bench-grpo-data/', method, config, budget],
  });
  summary(runtime, result);
}

const sft = await benchSftCheckpoint(engine, dir);
await (flags.node ? inNode(sft) : inChromium(sft));
