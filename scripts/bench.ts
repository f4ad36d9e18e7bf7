/**
 * `npm run bench [-- --browser] [--steps N] [--presets ref,tiny,...] [--ppo-iterations N] [--torch]`
 * Prints one JSON line per (runtime, backend, preset): median step time and tokens per second, and
 * under `ppo` the median rollout, update and total time of PPO iterations, and under `grpo` the
 * same of GRPO iterations (after one warm-up each; --ppo-iterations N times N of each, 0 skips them).
 * Node: wasm and cpu. With --browser: Chromium, in the app's own training worker, for webgpu,
 * webgl, wasm and cpu, plus the count of main-thread long tasks while training.
 * With --torch (default when /usr/bin/python3 has torch): the PyTorch reference in the same run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createNodeEngine } from '../src/cli/nodeEngine.ts';
import { parseFlags } from '../src/cli/args.ts';
import { REF_BENCH, type BenchSpec } from '../src/core/engine/benchmark.ts';
import type { ModelPresetName } from '../src/core/model/config.ts';


const flags = parseFlags(process.argv.slice(2), { browser: 'boolean', steps: 'number', presets: 'string', torch: 'boolean', 'no-torch': 'boolean', 'node-backends': 'string', 'browser-backends': 'string', 'ppo-iterations': 'number' });
const steps = Number(flags.steps ?? 20);
const ppoIterations = Number(flags['ppo-iterations'] ?? 3);
const presets = String(flags.presets ?? 'ref,tiny,small,medium,large').split(',') as ModelPresetName[];

export function specFor(preset: ModelPresetName): BenchSpec {
  // ref: the PyTorch reference's shape; the others: the default BPE vocabulary and batch size.
  const base = preset === 'ref' ? REF_BENCH : { preset, batch: 8, vocab: 512 };
  const fewer = preset === 'large' || preset === 'medium';
  return { ...base, steps: fewer ? Math.max(3, Math.ceil(steps / 3)) : steps, warmup: 3, ppoIterations: fewer ? Math.min(ppoIterations, 1) : ppoIterations };
}

function torchReference(): void {
  const script = fileURLToPath(new URL('../../shared/bench/torch_reference.py', import.meta.url));
  if (!existsSync(script) || !existsSync('/usr/bin/python3')) return;
  try {
    const out = execFileSync('/usr/bin/python3', [script, 'transformer', String(Math.max(steps, 20))], { env: { ...process.env, OPENBLAS_NUM_THREADS: '1' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const row = JSON.parse(out.trim().split('\n').at(-1)!);
    console.log(JSON.stringify({ runtime: 'pytorch', preset: 'ref', ...row }));
  } catch {
    console.error('PyTorch reference skipped: apt-get install -y python3-torch libopenblas0-pthread to include it');
  }
}

async function nodeBench(): Promise<void> {
  const engine = createNodeEngine();
  for (const backend of String(flags['node-backends'] ?? 'wasm,cpu').split(',')) {
    try {
      await engine.setBackend(backend as 'wasm' | 'cpu');
    } catch (e) {
      console.log(JSON.stringify({ runtime: 'node', backend, error: (e as Error).message }));
      continue;
    }
    for (const preset of presets) {
      // The cpu backend is ~15x slower than wasm: the big presets would take minutes for nothing.
      if (backend === 'cpu' && (preset === 'medium' || preset === 'large')) continue;
      const r = await engine.benchmark(specFor(preset));
      console.log(JSON.stringify({ runtime: 'node', ...r }));
    }
  }
}

if (!flags['no-torch']) torchReference();
await nodeBench();
if (flags.browser) await (await import('./browserBench.ts')).runBrowserBench({ presets, steps, specFor, backends: String(flags['browser-backends'] ?? 'webgpu,webgl,wasm,cpu').split(',') });
