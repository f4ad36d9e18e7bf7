/**
 * The browser half of `npm run bench -- --browser`: step timings (and PPO iterations, when the spec
 * asks) in Chromium, inside the app's own training worker (bench.html wraps it), for each backend;
 * then a real training run in the app itself while a PerformanceObserver counts main-thread long
 * tasks (> 50 ms).
 */
import { execSync } from 'node:child_process';
import type { Page } from 'playwright-core';
import type { BenchSpec } from '../src/core/engine/benchmark.ts';
import type { ModelPresetName } from '../src/core/model/config.ts';
import { launchBrowser, startPreview } from '../tests/e2e/harness.ts';
import { countLongTasksWhileTraining } from './longTasks.ts';

export interface BrowserBenchOptions {
  presets: ModelPresetName[];
  steps: number;
  backends: string[];
  specFor: (preset: ModelPresetName) => BenchSpec;
}

/** Software WebGPU (SwiftShader) and the plain-JS cpu backend take seconds a step: time them briefly. */
const SLOW_BACKENDS = new Set(['webgpu', 'cpu', 'webgl']);

async function benchInPage(page: Page, backend: string, spec: BenchSpec): Promise<unknown> {
  return page.evaluate(
    async ([b, s]) => {
      const api = (window as unknown as { rlhfBench: { setBackend(b: string): Promise<unknown>; benchmark(s: unknown): Promise<unknown> } }).rlhfBench;
      await api.setBackend(b);
      return api.benchmark(s);
    },
    [backend, spec] as const,
  );
}

export async function runBrowserBench(options: BrowserBenchOptions): Promise<void> {
  // Always rebuild: a stale dist/ would time old code. E2E_DIST (as for the e2e tests) builds and serves another folder.
  const outDir = process.env.E2E_DIST;
  execSync(outDir ? `npx vite build --outDir ${JSON.stringify(outDir)} --emptyOutDir` : 'npx vite build', { stdio: 'ignore' });
  const server = await startPreview();
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    await page.goto(server.url + 'bench.html');
    await page.waitForSelector('body[data-ready="true"]');
    const ua = await page.evaluate(() => navigator.userAgent);
    const version = /Chrome\/([\d.]+)/.exec(ua)?.[1] ?? 'unknown';
    for (const backend of options.backends) {
      for (const preset of options.presets) {
        const slow = SLOW_BACKENDS.has(backend);
        if (slow && preset !== 'ref' && preset !== 'tiny') continue;
        const spec = options.specFor(preset);
        const tuned = slow ? { ...spec, steps: 3, warmup: 1, ppoIterations: Math.min(spec.ppoIterations ?? 0, 1) } : spec;
        try {
          const result = await benchInPage(page, backend, tuned);
          console.log(JSON.stringify({ runtime: `chromium ${version} worker`, ...(result as object) }));
        } catch (e) {
          console.log(JSON.stringify({ runtime: `chromium ${version} worker`, backend, preset, error: (e as Error).message.split('\n')[0] }));
          break;
        }
      }
    }
    await page.close();
    console.log(JSON.stringify({ runtime: `chromium ${version}`, ...(await countLongTasksWhileTraining(browser.context, server.url)) }));
  } finally {
    await browser.close();
    await server.close();
  }
}
