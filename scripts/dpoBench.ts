/**
 * `npm run bench:dpo [-- --budget 120] [--config FILE.json] [--node] [--all-losses] [--steps N] [--dir runs/bench-dpo]`
 * The DPO target: 300 simulated happy-ending pairs from the SFT model (prepared in Node by
 * rewardBenchData.ts: SFT of the shipped base, comparisons sampled from it for topic-only prompts,
 * labeled by the noise-free simulated annotator; reused when present), then DPO at beta 0.1 with
 * the default DpoRunConfig (plus --config overrides) in Chromium in the app's own worker on wasm,
 * for `budget` seconds of wall clock. Prints a JSON line per evaluation (eval/gold_win_rate of fresh
 * samples against the SFT model's, by the gold score, ties 1/2), then a summary with the seconds to
 * a 75% win rate.
 * --node trains in Node instead (quicker to iterate on; not the target's runtime).
 * --all-losses (Node) trains every DPO loss type, then KTO, ORPO, CPO and SimPO, for --steps steps
 * (default 20) on the same data and prints whether any loss or metric went NaN.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFlags } from '../src/cli/args.ts';
import { createNodeEngine } from '../src/cli/nodeEngine.ts';
import { mergeConfig } from '../src/cli/trainingCommand.ts';
import { timedDpoRun, type DpoBenchResult } from '../src/bench/dpoBenchPage.ts';
import { DPO_LOSS_TYPES, defaultDpoRunConfig, validateDpoRunConfig, type DpoRunConfig } from '../src/core/dpo/dpoConfig.ts';
import type { DpoRequest } from '../src/core/dpo/dpoTrainer.ts';
import type { MetricRow } from '../src/core/train/pretrainConfig.ts';
import { DEFAULT_SAMPLING } from '../src/core/train/defaults.ts';
import { checkpointFilesAt, runInBenchPage } from './benchPage.ts';
import { prepareBenchData, type BenchData } from './rewardBenchData.ts';

const flags = parseFlags(process.argv.slice(2), { budget: 'number', config: 'string', node: 'boolean', 'all-losses': 'boolean', steps: 'number', seed: 'number', dir: 'string', labels: 'number' });
const budget = Number(flags.budget ?? 120);
const dir = String(flags.dir ?? 'runs/bench-dpo');
const labels = Number(flags.labels ?? 300);
const seed = Number(flags.seed ?? 0);
const TARGET = 0.75;
const DIST = 'dist-dpo-bench';

const config: DpoRunConfig = mergeConfig(defaultDpoRunConfig(), flags.config ? JSON.parse(readFileSync(String(flags.config), 'utf8')) : {});
if (flags.steps !== undefined) config.max_steps = Number(flags.steps);
const errors = validateDpoRunConfig(config);
if (errors.length) throw new Error(errors.map((e) => `${e.field}: ${e.message}`).join('; '));

const engine = createNodeEngine();
const data = await prepareBenchData(engine, { dir, labels, sftRows: 1000, seed, log: (l) => console.error(l) });
console.log(JSON.stringify({ measure: 'dpo benchmark data', ...data.prep }));
/** The samples panel's prompts: the first two distinct prompts of the pairs. */
const shown = { sampling: DEFAULT_SAMPLING, prompts: [...new Set(data.pairs.map((p) => p.prompt))].slice(0, 2) };

function summary(runtime: string, result: DpoBenchResult): void {
  const p = result.points;
  const first = p.find((x) => x.win_rate >= TARGET);
  console.log(JSON.stringify({
    measure: 'dpo fresh-sample gold win rate over wall clock',
    runtime,
    backend: result.backend,
    status: result.outcome.status,
    train_pairs: result.trainPairs,
    eval_pairs: result.evalPairs,
    steps: result.outcome.step,
    seconds_to_75: first?.seconds ?? null,
    step_at_75: first?.step ?? null,
    best_win_rate: p.length ? Math.max(...p.map((x) => x.win_rate)) : null,
    final: p.at(-1) ?? null,
    last_samples: result.lastSamples.map((s) => ({ prompt: s.prompt, completion: s.completion, gold: Math.round(s.gold_score * 1000) / 1000, reference: s.reference_completion, reference_gold: Math.round(s.reference_gold_score * 1000) / 1000 })),
    config,
  }));
}

async function inNode(d: BenchData): Promise<void> {
  await engine.setBackend('wasm');
  const request: DpoRequest = { config, pairs: d.pairs, from: d.sft, fromLabel: 'the benchmark SFT checkpoint', ...shown };
  const result = await timedDpoRun(engine, request, budget, (point) => console.log(JSON.stringify({ runtime: 'node', ...point })));
  summary('node', result);
}

async function inChromium(d: BenchData): Promise<void> {
  const { runtime, result } = await runInBenchPage<DpoBenchResult>({
    dist: DIST,
    files: { ...checkpointFilesAt('bench-dpo-data/sft', d.sft), 'bench-dpo-data/pairs.jsonl': readFileSync(join(dir, 'pairs.jsonl'), 'utf8') },
    tag: 'dpoBench',
    method: 'trainDpo',
    args: ['./bench-dpo-data/', config, shown, budget],
  });
  summary(runtime, result);
}

/** Every DPO loss type, then KTO, ORPO, CPO and SimPO, a few steps each: does anything go NaN? */
async function allLosses(d: BenchData): Promise<void> {
  await engine.setBackend('wasm');
  const steps = flags.steps !== undefined ? Number(flags.steps) : 20;
  const base: DpoRunConfig = { ...config, max_steps: steps, eval_steps: steps, save_steps: steps, logging_steps: 1, num_eval_prompts: 0 };
  const variants: [string, Partial<DpoRunConfig>][] = [
    ...DPO_LOSS_TYPES.map((t): [string, Partial<DpoRunConfig>] => [`dpo ${t}`, { method: 'dpo', loss_type: [t], loss_weights: null }]),
    ['kto', { method: 'kto' }],
    ['orpo', { method: 'orpo' }],
    ['cpo sigmoid', { method: 'cpo', cpo_loss_type: 'sigmoid' }],
    ['cpo hinge', { method: 'cpo', cpo_loss_type: 'hinge' }],
    ['cpo ipo', { method: 'cpo', cpo_loss_type: 'ipo' }],
    ['simpo', { method: 'cpo', cpo_loss_type: 'simpo', cpo_alpha: 0 }],
  ];
  const report: Record<string, unknown>[] = [];
  for (const [name, over] of variants) {
    const rows: MetricRow[] = [];
    const t0 = performance.now();
    let outcome;
    try {
      outcome = await engine.dpo({ config: { ...base, ...over }, pairs: d.pairs, from: d.sft, fromLabel: 'the benchmark SFT checkpoint', sampling: DEFAULT_SAMPLING, prompts: [] }, (events) => {
        for (const e of events) if (e.type === 'metrics') rows.push(...e.rows);
      });
    } catch (e) {
      outcome = { status: 'error', step: 0, message: (e as Error).message };
    }
    const train = rows.filter((r) => r.loss !== undefined);
    const nonFinite = rows.flatMap((r) => Object.entries(r).filter(([, v]) => typeof v === 'number' && !Number.isFinite(v)).map(([k]) => `${k}@${r.step}`));
    const evalRow = rows.find((r) => r['eval/loss'] !== undefined);
    const line = {
      measure: 'loss trains without NaN',
      variant: name,
      status: outcome.status,
      steps: outcome.step,
      nan: outcome.status !== 'finished' || nonFinite.length > 0,
      non_finite: nonFinite.slice(0, 5),
      message: outcome.message,
      loss_first: train[0]?.loss,
      loss_last: train.at(-1)?.loss,
      'eval/rewards/accuracies': evalRow?.['eval/rewards/accuracies'],
      'eval/rewards/margins': evalRow?.['eval/rewards/margins'],
      seconds: Math.round((performance.now() - t0) / 100) / 10,
    };
    report.push(line);
    console.log(JSON.stringify(line));
  }
  const bad = report.filter((r) => r.nan).map((r) => r.variant);
  console.log(JSON.stringify({ measure: 'all losses', backend: 'wasm (node)', steps, variants: report.length, any_nan: bad.length > 0, nan_variants: bad }));
}

await (flags['all-losses'] ? allLosses(data) : flags.node ? inNode(data) : inChromium(data));
