/**
 * The Chromium half shared by the stage benchmarks (bench:reward, bench:ppo): build the app into its
 * own folder, put the benchmark's files next to bench.html (the page fetches them as the app
 * fetches the base model), open the page, stream its `<tag> {json}` console lines as JSON lines
 * with the runtime added, and call one of `window.rlhfBench`'s methods on the wasm backend.
 */
import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CheckpointFiles } from '../src/core/train/pretrainConfig.ts';
import { launchBrowser, startPreview } from '../tests/e2e/harness.ts';

export interface BenchPageRun {
  /** Build folder (gitignored dist-*). */
  dist: string;
  /** Files to place under dist, by path relative to it. */
  files: Record<string, string | Uint8Array>;
  /** Console lines starting with `${tag} ` are printed as JSON lines. */
  tag: string;
  /** The rlhfBench method to call, with its arguments. */
  method: string;
  args: unknown[];
}

/** The three files of a checkpoint, under `folder`, for BenchPageRun.files. */
export function checkpointFilesAt(folder: string, files: CheckpointFiles): Record<string, string | Uint8Array> {
  return { [`${folder}/model.safetensors`]: new Uint8Array(files.model), [`${folder}/config.json`]: files.config, [`${folder}/tokenizer.json`]: files.tokenizer };
}

/** Runs the method in the page; resolves with its result and the runtime's name ("chromium 156 worker"). */
export async function runInBenchPage<T>(run: BenchPageRun): Promise<{ runtime: string; result: T }> {
  execSync(`npx vite build --outDir ${run.dist} --emptyOutDir`, { stdio: 'ignore' });
  for (const [path, content] of Object.entries(run.files)) {
    mkdirSync(dirname(join(run.dist, path)), { recursive: true });
    writeFileSync(join(run.dist, path), content);
  }
  process.env.E2E_DIST = run.dist;
  const server = await startPreview();
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    const version = /Chrome\/([\d.]+)/.exec(await page.evaluate(() => navigator.userAgent))?.[1] ?? 'unknown';
    const runtime = `chromium ${version} worker`;
    page.on('console', (msg) => {
      const text = msg.text();
      if (text.startsWith(run.tag + ' ')) console.log(JSON.stringify({ runtime, ...JSON.parse(text.slice(run.tag.length + 1)) }));
    });
    await page.goto(server.url + 'bench.html');
    await page.waitForSelector('body[data-ready="true"]');
    const result = await page.evaluate(
      async ([method, args]) => {
        const api = (window as unknown as { rlhfBench: Record<string, (...a: unknown[]) => Promise<unknown>> }).rlhfBench;
        await api.setBackend('wasm');
        return api[method](...args);
      },
      [run.method, run.args] as const,
    );
    return { runtime, result: result as T };
  } finally {
    await browser.close();
    await server.close();
  }
}
