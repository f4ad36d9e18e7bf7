/**
 * `npm run bench:live [-- --labels 20]`: the live loop's latency in the real app in Chromium, on
 * wasm, from the shipped base (the default model size): start the loop on the Direct preference
 * tab, let the simulated annotator label pairs ten at a time, and read, for every label, the time
 * from the click to its new samples on screen (as the page measures and shows it). Prints one
 * JSON line with every latency, their median and the labels learned.
 */
import { execSync } from 'node:child_process';
import { parseFlags } from '../src/cli/args.ts';
import { launchBrowser, startPreview } from '../tests/e2e/harness.ts';

const flags = parseFlags(process.argv.slice(2), { labels: 'number' });
const want = Number(flags.labels ?? 20);
const DIST = 'dist-live-bench';

execSync(`npx vite build --outDir ${DIST} --emptyOutDir`, { stdio: 'ignore' });
process.env.E2E_DIST = DIST;
const server = await startPreview();
const browser = await launchBrowser();
try {
  const page = await browser.context.newPage();
  const version = /Chrome\/([\d.]+)/.exec(await page.evaluate(() => navigator.userAgent))?.[1] ?? 'unknown';
  await page.goto(server.url);
  await page.getByRole('combobox', { name: 'Backend' }).selectOption('wasm');
  await page.getByRole('tab', { name: /Direct preference/ }).click();
  await page.getByRole('radio', { name: /Live loop/ }).check();
  await page.getByRole('button', { name: 'Start the live loop' }).click();
  const simulate = page.getByRole('button', { name: 'Let the simulated annotator label 10' });
  await simulate.waitFor({ timeout: 120_000 });
  const status = page.getByTestId('live-status');
  const latencies = async (): Promise<number[]> => JSON.parse((await status.getAttribute('data-latencies')) ?? '[]');
  // Skipped pairs (the annotator calls a tie) learn nothing, so a round of 10 may add fewer labels.
  for (let round = 0; round < 20 && (await latencies()).length < want; round++) {
    await simulate.click();
    await page.waitForTimeout(500);
    await page.waitForFunction(() => {
      const b = [...document.querySelectorAll('button')].find((x) => x.textContent?.includes('Let the simulated annotator label 10'));
      return !!b && !(b as HTMLButtonElement).disabled;
    }, undefined, { timeout: 300_000 });
  }
  const all = (await latencies()).slice(0, want);
  const sorted = [...all].sort((a, b) => a - b);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  const round3 = (x: number) => Math.round(x * 1000) / 1000;
  console.log(JSON.stringify({
    measure: 'live loop: seconds from a label to its new samples on screen',
    runtime: `chromium ${version}`,
    backend: 'wasm',
    model: 'shipped base',
    labels: all.length,
    median_seconds: round3(median),
    min_seconds: round3(sorted[0]),
    max_seconds: round3(sorted.at(-1)!),
    latencies: all.map(round3),
  }));
} finally {
  await browser.close();
  await server.close();
}
