/**
 * Saves a full-page screenshot of the built app, optionally after a short wasm run:
 * `npx tsx tests/e2e/screenshot.ts [out.png] [width] [--train]`.
 */
import { trainTiny } from './actions.ts';
import { launchBrowser, startPreview } from './harness.ts';

const args = process.argv.slice(2);
const train = args.includes('--train');
const [out = 'tmp/playground.png', width = '1600'] = args.filter((a) => !a.startsWith('--'));
const server = await startPreview();
const browser = await launchBrowser();
try {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: Number(width), height: 1000 });
  page.on('pageerror', (e) => console.error('[pageerror]', e.message));
  await page.goto(server.url);
  await page.getByRole('button', { name: 'Train', exact: true }).waitFor();
  if (train) {
    await trainTiny(page, { backend: 'wasm', steps: 150, batch: 8, model: { layers: 2, width: 64, heads: 4, context: 64 }, logEvery: 5, evalEvery: 25, sampleLength: 60 });
  }
  await page.waitForTimeout(1500);
  await page.screenshot({ path: out, fullPage: true });
  console.log(`saved ${out}`);
} finally {
  await browser.close();
  await server.close();
}
