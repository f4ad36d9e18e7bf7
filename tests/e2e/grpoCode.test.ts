/**
 * End-to-end test of user-written reward functions in a GRPO run, in a real Chromium through
 * bench.html's test hook: the engine worker trains the shipped base model for two tiny steps with
 * the user's function, which runs in the sandbox worker the engine worker starts (a nested
 * worker); a function that throws on some prompts does not end the run: each failure is
 * reported with the function, its line and the sample, and those completions are left out.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { GrpoCodeBenchResult } from '../../src/bench/grpoCodeBenchPage.ts';
import { launchBrowser, startPreview, type Browser } from './harness.ts';

let server: Awaited<ReturnType<typeof startPreview>>;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

function trainWithCode(source: string, name: string, steps: number): Promise<GrpoCodeBenchResult> {
  return page.evaluate(
    ([s, n, k]) => (window as unknown as { rlhfBench: { trainGrpoWithCode(...a: unknown[]): Promise<GrpoCodeBenchResult> } }).rlhfBench.trainGrpoWithCode(s, n, k),
    [source, name, steps] as const,
  );
}

before(async () => {
  server = await startPreview();
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(server.url + 'bench.html');
  await page.waitForSelector('body[data-ready="true"]');
  await page.evaluate(() => (window as unknown as { rlhfBench: { setBackend(b: string): Promise<unknown> } }).rlhfBench.setBackend('wasm'));
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('two GRPO steps in the engine worker optimise a user function run in its sandbox', async () => {
  const result = await trainWithCode('(prompt, completion) => completion.length + (prompt.includes("dog") ? 100 : 0)', 'longer', 2);
  assert.equal(result.outcome.status, 'finished', result.outcome.message ?? '');
  assert.equal(result.rows.length, 2);
  for (const row of result.rows) assert.ok(Number.isFinite(row['rewards/longer/mean']), JSON.stringify(row));
  assert.ok(result.samples.length > 0);
  for (const s of result.samples) assert.equal(s.rewards.longer, s.completion.length + (s.prompt.includes('dog') ? 100 : 0));
});

test('a function that throws on some prompts: the run finishes, its failures name the function, the line and the sample', async () => {
  const source = '(prompt, completion) => {\n  if (prompt.includes("dog")) throw new Error("no dogs");\n  return 1;\n}';
  const result = await trainWithCode(source, 'nodogs', 2);
  assert.equal(result.outcome.status, 'finished', result.outcome.message ?? '');
  assert.equal(result.rows.length, 2);
  // Both prompts come every step: the dog prompt's 2 completions fail each time.
  for (const row of result.rows) assert.equal(row['rewards/nodogs/failures'], 2, JSON.stringify(row));
  assert.equal(result.failures.length, 4);
  for (const f of result.failures) {
    assert.equal(f.function, 'nodogs');
    assert.equal(f.line, 2);
    assert.equal(f.reason, 'Error: no dogs');
    assert.equal(f.prompt, 'Write a story about a dog.\n');
    assert.equal(typeof f.completion, 'string');
  }
  for (const s of result.samples) assert.ok(s.prompt.includes('dog') ? Number.isNaN(s.rewards.nodogs) : s.rewards.nodogs === 1, JSON.stringify(s));
  assert.deepEqual(pageErrors, []);
});
