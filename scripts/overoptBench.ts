/**
 * `npm run bench:overopt [-- --dir runs/bench-ppo] [--steps N] [--seed S] [--lr LR]`
 * The overoptimization target, with the GRPO tab's lesson recipe exactly
 * (src/core/grpo/overoptimizationLesson.ts), in Node on wasm: from the SFT checkpoint of bench:ppo,
 * sample comparisons, label them by their endings, train the proxy reward model with the default
 * settings, run GRPO against it with the full gold logged, then measure best-of-n. Prints a JSON line
 * per step (sqrt KL, proxy, gold), the best-of-n curve, and a summary: where the smoothed gold peaked,
 * where it ended, and the proxy's rise, as the chart's summary line words them.
 */
import { parseFlags } from '../src/cli/args.ts';
import { createNodeEngine } from '../src/cli/nodeEngine.ts';
import { instructionPrompts } from '../src/core/data/instructions.ts';
import type { TrainEvent } from '../src/core/engine/engineApi.ts';
import { defaultBestOfNSettings } from '../src/core/grpo/bestOfNBaseline.ts';
import { defaultGrpoConfig } from '../src/core/grpo/grpoConfig.ts';
import { labelByGold, OVEROPT_LESSON } from '../src/core/grpo/overoptimizationLesson.ts';
import { defaultRewardConfig } from '../src/core/reward/rewardConfig.ts';
import { DEFAULT_SAMPLING } from '../src/core/train/defaults.ts';
import type { CheckpointFiles, MetricRow } from '../src/core/train/pretrainConfig.ts';
import { goldPeak, klPoints } from '../src/lib/overoptimizationTraces.ts';
import { benchSftCheckpoint } from './benchSft.ts';

const flags = parseFlags(process.argv.slice(2), { dir: 'string', steps: 'number', seed: 'number', lr: 'number' });
const dir = String(flags.dir ?? 'runs/bench-ppo');
const seed = Number(flags.seed ?? OVEROPT_LESSON.seed);
/** The chart's smoothing window (Overoptimization.svelte). */
const WINDOW = 10;
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const seconds = (t0: number) => round((performance.now() - t0) / 1000, 1);

const engine = createNodeEngine();
await engine.setBackend('wasm');
const sft = await benchSftCheckpoint(engine, dir);
const t0 = performance.now();

const comparisons = await engine.generateComparisons(
  { from: sft, prompts: instructionPrompts(OVEROPT_LESSON.comparisons, seed, 'topic'), completions: 2, sampling: DEFAULT_SAMPLING, seed },
  () => undefined,
);
const pairs = labelByGold(comparisons, OVEROPT_LESSON.labelGold, OVEROPT_LESSON.pairs);
const labelSeconds = seconds(t0);

let proxy: CheckpointFiles | undefined;
let accuracy: number | undefined;
const rm = await engine.trainReward({ config: defaultRewardConfig(), pairs, from: sft, goldSpec: OVEROPT_LESSON.labelGold }, (events: TrainEvent[]) => {
  for (const e of events) {
    if (e.type === 'checkpoint') proxy = e.files;
    if (e.type === 'metrics') for (const r of e.rows) if (typeof r['eval/accuracy'] === 'number') accuracy = r['eval/accuracy'];
  }
});
if (rm.status !== 'finished' || !proxy) throw new Error(`the proxy did not finish: ${rm.message ?? rm.status}`);
const proxySeconds = seconds(t0);

const rows: MetricRow[] = [];
const config = { ...defaultGrpoConfig('grpo'), ...OVEROPT_LESSON.grpo, ...(flags.steps ? { max_steps: Number(flags.steps) } : {}), ...(flags.lr ? { learning_rate: Number(flags.lr) } : {}) };
const grpo = await engine.grpo({ method: 'grpo', config, from: sft, rewards: [{ kind: 'model', files: proxy }], goldSpec: OVEROPT_LESSON.gold }, (events: TrainEvent[]) => {
  for (const e of events) if (e.type === 'metrics') for (const r of e.rows) {
    rows.push(r);
    const [p] = klPoints([r]);
    if (p) console.log(JSON.stringify({ step: p.step, sqrt_kl: round(p.sqrt_kl), proxy: round(p.proxy), gold: round(p.gold), mean_length: r['completions/mean_length'] }));
  }
});
const grpoSeconds = seconds(t0);

const bon = await engine.bestOfN({ ...defaultBestOfNSettings(), seed, from: sft, rewards: [{ kind: 'model', files: proxy }], goldSpec: OVEROPT_LESSON.gold }, () => undefined);
const points = klPoints(rows);
const peak = goldPeak(points, WINDOW);
console.log(JSON.stringify({
  measure: 'overoptimization lesson: gold and proxy against sqrt(KL)',
  runtime: 'node',
  backend: 'wasm',
  grpo_status: grpo.status,
  pairs: pairs.length,
  proxy_eval_accuracy: accuracy,
  seconds: { labels: labelSeconds, proxy: proxySeconds, grpo: grpoSeconds, best_of_n: seconds(t0) },
  window: WINDOW,
  gold_start: peak && round(points[0].gold),
  gold_peak: peak && { step: peak.peak.step, sqrt_kl: round(peak.peak.sqrt_kl), gold: round(peak.peak.gold) },
  gold_end: peak && { step: peak.last.step, sqrt_kl: round(peak.last.sqrt_kl), gold: round(peak.last.gold) },
  gold_fell: peak?.fell,
  proxy_start: points.length ? round(points[0].proxy) : null,
  proxy_end: peak && round(peak.last.proxy),
  best_of_n: bon.points.map((p) => ({ n: p.n, sqrt_kl: round(p.sqrt_kl), proxy: round(p.proxy), gold: round(p.gold) })),
}));
