/**
 * `npm run bench:reward [-- --labels 500] [--budget 180] [--config FILE.json] [--node] [--seed S]`
 * The reward-model target: from the shipped base, SFT, then 500 noise-free simulated
 * labels on the happy-ending preference (prepared in Node by rewardBenchData.ts, reused when
 * present), then a reward model trained in Chromium in the app's own worker on wasm, with the
 * default RewardConfig evaluated every 5 steps (plus --config overrides). Prints JSON lines: held-out accuracy against the
 * labels and the gold over wall-clock training time, then a summary with the time to 90%.
 * --node trains in Node instead (quicker to iterate on; not the target's runtime).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFlags } from '../src/cli/args.ts';
import { createNodeEngine } from '../src/cli/nodeEngine.ts';
import { mergeConfig } from '../src/cli/trainingCommand.ts';
import type { TrainEvent } from '../src/core/engine/engineApi.ts';
import { defaultRewardConfig, type RewardConfig } from '../src/core/reward/rewardConfig.ts';
import type { RewardBenchPoint, RewardBenchResult } from '../src/bench/rewardBenchPage.ts';
import { checkpointFilesAt, runInBenchPage } from './benchPage.ts';
import { prepareBenchData, type BenchData } from './rewardBenchData.ts';

const flags = parseFlags(process.argv.slice(2), { labels: 'number', budget: 'number', config: 'string', node: 'boolean', seed: 'number', 'sft-rows': 'number', dir: 'string' });
const labels = Number(flags.labels ?? 500);
const budget = Number(flags.budget ?? 180);
const seed = Number(flags.seed ?? 0);
const TARGET = 0.9;
const DIST = 'dist-reward-bench';

// The app's defaults, evaluated every 5 steps instead of 25 so the curve shows when 90% is reached.
let config: RewardConfig = { ...defaultRewardConfig(), eval_steps: 5 };
if (flags.config) config = mergeConfig(config, JSON.parse(readFileSync(String(flags.config), 'utf8')));

const engine = createNodeEngine();
const data = await prepareBenchData(engine, { dir: String(flags.dir ?? 'runs/bench-reward'), labels, sftRows: Number(flags['sft-rows'] ?? 1000), seed, log: (l) => console.error(l) });
console.log(JSON.stringify({ measure: 'reward benchmark data', ...data.prep }));

function summary(runtime: string, result: RewardBenchResult): void {
  const first = result.points.find((p) => p['eval/accuracy'] >= TARGET);
  const last = result.points.at(-1);
  console.log(JSON.stringify({
    measure: 'reward model held-out accuracy', runtime, backend: result.backend, labels, train_pairs: result.trainPairs, eval_pairs: result.evalPairs,
    seconds_to_90: first?.seconds ?? null, step_at_90: first?.step ?? null,
    final: last ?? null, status: result.outcome.status, config,
  }));
}

async function inNode(d: BenchData): Promise<void> {
  await engine.setBackend('wasm');
  const result: RewardBenchResult = { backend: '', outcome: { status: 'failed', step: 0 }, trainPairs: 0, evalPairs: 0, points: [] };
  let t0 = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  result.outcome = await engine.trainReward({ config, pairs: d.pairs, from: d.sft }, (events: TrainEvent[]) => {
    for (const e of events) {
      if (e.type === 'started') {
        t0 = performance.now();
        Object.assign(result, { backend: e.backend, trainPairs: e.numTrainExamples, evalPairs: e.numEvalExamples });
        timer = setTimeout(() => engine.stop(), budget * 1000);
      }
      if (e.type === 'metrics') for (const row of e.rows) {
        if (row['eval/accuracy'] === undefined) continue;
        const point: RewardBenchPoint = { step: row.step, seconds: Math.round((performance.now() - t0) / 100) / 10, 'eval/accuracy': row['eval/accuracy'], 'eval/gold_accuracy': row['eval/gold_accuracy'], 'eval/loss': row['eval/loss']! };
        result.points.push(point);
        console.log(JSON.stringify({ runtime: 'node', ...point }));
      }
    }
  });
  clearTimeout(timer);
  summary('node', result);
}

async function inChromium(d: BenchData): Promise<void> {
  const { runtime, result } = await runInBenchPage<RewardBenchResult>({
    dist: DIST,
    files: { ...checkpointFilesAt('bench-reward-data/sft', d.sft), 'bench-reward-data/pairs.jsonl': readFileSync(join(String(flags.dir ?? 'runs/bench-reward'), 'pairs.jsonl'), 'utf8') },
    tag: 'rewardBench',
    method: 'trainReward',
    args: ['./bench-reward-data/', config, budget],
  });
  summary(runtime, result);
}

await (flags.node ? inNode(data) : inChromium(data));
