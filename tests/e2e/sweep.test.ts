/**
 * End-to-end test of the sweep runner and the KL-reward frontier in a real Chromium: a bad list of
 * values is refused next to its box; a PPO sweep of kl_coef over two values with tiny settings
 * trains two runs one after another, both land in the PPO history under the sweep's names, and
 * the frontier chart draws them as two PPO points (hover text: the run names); the same with two
 * runs at once trains both together (a second training worker, gone when the sweep ends); a
 * one-value DPO sweep of beta adds a DPO point beside them (DPO logs objective/kl on its
 * evaluation samples).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { description, fill, happyPairsJsonl, importPairs } from './actions.ts';
import { closeApp, openApp, type App } from './harness.ts';

let server: App['server'];
let browser: App['browser'];
let page: Page;
const pageErrors: string[] = [];

before(async () => {
  ({ server, browser, page } = await openApp(pageErrors));
});

after(() => closeApp({ browser, server }));

const VALUES = 'Values, one run each';

test('a bad list of values is refused next to the box', { timeout: 30_000 }, async () => {
  const card = page.getByRole('region', { name: 'Run a sweep' });
  assert.equal(await card.getByRole('radio', { name: 'Policy optimization: PPO' }).isChecked(), true);
  assert.equal(await card.getByRole('combobox', { name: 'Setting to sweep' }).inputValue(), 'kl_coef');
  await fill(page, VALUES, '0.1, abc');
  assert.match(await description(page, VALUES), /“abc” is not a number/);
  assert.equal(await card.getByRole('textbox', { name: VALUES, exact: true }).getAttribute('aria-invalid'), 'true');
  assert.equal(await card.getByRole('button', { name: 'Run the sweep', exact: true }).isEnabled(), false);
  await fill(page, VALUES, '0.1, -2');
  assert.match(await description(page, VALUES), /kl_coef = -2: must be at least 0/);
  // DPO's default setting is beta.
  await card.getByRole('radio', { name: /^Direct preference/ }).check();
  assert.equal(await card.getByRole('combobox', { name: 'Setting to sweep' }).inputValue(), 'beta');
  await card.getByRole('radio', { name: 'Policy optimization: PPO' }).check();
  assert.deepEqual(pageErrors, []);
});

test('a PPO sweep of kl_coef trains two runs and the frontier draws two PPO points', { timeout: 200_000 }, async () => {
  // Tiny PPO settings on the Policy tab: every run of the sweep uses them.
  await page.getByRole('tab', { name: /Policy optimization/ }).click();
  await page.getByRole('heading', { name: /Policy optimization: PPO/ }).waitFor();
  await fill(page, 'Iterations', '2');
  await fill(page, 'Batch size', '2');
  await fill(page, 'Response length', '8');
  await page.getByText('Advanced (TRL PPOConfig)').click();
  await fill(page, 'PPO epochs', '1');
  await fill(page, 'KL coefficient', '0.3');

  const card = page.getByRole('region', { name: 'Run a sweep' });
  await fill(page, VALUES, '0, 0.1');
  assert.doesNotMatch(await description(page, VALUES), /not a number|must be/);
  const runIt = card.getByRole('button', { name: 'Run the sweep', exact: true });
  assert.equal(await runIt.isEnabled(), true);
  await runIt.click();
  const progress = card.getByTestId('sweep-progress');
  await progress.filter({ hasText: /Run 1 of 2: kl_coef = 0…/ }).waitFor({ timeout: 20_000 });
  await progress.filter({ hasText: /Finished|ended/ }).waitFor({ timeout: 180_000 });
  const alert = await page.locator('.alert').allTextContents();
  assert.match((await progress.textContent()) ?? '', /Finished: 2 PPO runs, kl_coef = 0, 0\.1\./, alert.join(' '));
  // The form's own value is back once the sweep ends.
  assert.equal(await page.getByRole('textbox', { name: 'KL coefficient', exact: true }).inputValue(), '0.3');

  const rows = page.getByTestId('ppo-history-row');
  assert.equal(await rows.count(), 2);
  const names = (await rows.allTextContents()).join('\n');
  assert.match(names, /Sweep kl_coef = 0 · PPO from/);
  assert.match(names, /Sweep kl_coef = 0\.1 · PPO from/);

  // The frontier: one PPO series with a point per run, hover text the run names.
  await page.waitForFunction(() => ((document.querySelector('[data-chart="kl-frontier"]') as HTMLElement & { data?: { x: number[] }[] })?.data?.[0]?.x.length ?? 0) === 2, null, { timeout: 20_000 });
  const traces = await page.evaluate(() => (document.querySelector('[data-chart="kl-frontier"]') as HTMLElement & { data: { name: string; x: number[]; y: number[]; text: string[] }[] }).data);
  assert.deepEqual(traces.map((t) => t.name), ['PPO']);
  for (const v of [...traces[0].x, ...traces[0].y]) assert.ok(Number.isFinite(v), `finite ${v}`);
  assert.ok(traces[0].text.some((t) => /Sweep kl_coef = 0\.1 · /.test(t)));
  assert.match((await page.getByTestId('frontier-summary').textContent()) ?? '', /2 PPO/);

  // The frontier saves its points as CSV: one row per run, as drawn.
  const frontier = page.getByRole('figure', { name: 'KL-reward frontier' });
  const download = page.waitForEvent('download');
  await frontier.getByRole('button', { name: 'Download KL-reward frontier data as CSV' }).click();
  const csv = readFileSync((await (await download).path())!, 'utf8').trim().split('\r\n');
  assert.equal(csv[0], 'run,method,objective/kl,gold/score_mean');
  assert.equal(csv.length, 3, csv.join(' | '));
  assert.ok(csv.some((line) => /Sweep kl_coef = 0\.1 · .*,PPO,-?[\d.e-]+,-?[\d.e-]+$/.test(line)), csv.join(' | '));

  // Unticking PPO takes its points off.
  await frontier.getByRole('checkbox', { name: 'Draw PPO runs' }).uncheck();
  await page.waitForFunction(() => ((document.querySelector('[data-chart="kl-frontier"]') as HTMLElement & { data?: unknown[] })?.data?.length ?? -1) === 0, null, { timeout: 10_000 });
  await frontier.getByRole('checkbox', { name: 'Draw PPO runs' }).check();
  assert.deepEqual(pageErrors, []);
});

test('two runs at once train together in two workers and both land in the history', { timeout: 200_000 }, async (t) => {
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  if (cores < 2) return t.skip('this machine has one core: the field allows one run at once');
  const card = page.getByRole('region', { name: 'Run a sweep' });
  const RUNS = 'Runs at once';
  await fill(page, VALUES, '0.02, 0.05');
  // The suggestion on wasm (the harness's backend): about half the cores, at most 4, one per value.
  assert.equal(await card.getByRole('textbox', { name: RUNS, exact: true }).inputValue(), String(Math.max(1, Math.min(4, Math.floor(cores / 2), 2))));
  assert.match(await description(page, RUNS), /own background worker.*This device has \d+ cores and trains on WebAssembly \(wasm\)/);
  const runIt = card.getByRole('button', { name: 'Run the sweep', exact: true });
  await fill(page, RUNS, '0');
  assert.match(await description(page, RUNS), /Must be at least 1\./);
  assert.equal(await runIt.isEnabled(), false);
  if (cores < 8) {
    await fill(page, RUNS, String(cores + 1));
    assert.match(await description(page, RUNS), new RegExp(`At most ${cores} on this device`));
  }
  await fill(page, RUNS, '2');
  assert.doesNotMatch(await description(page, RUNS), /Must|At most/);

  const workersBefore = page.workers().length;
  await runIt.click();
  const progress = card.getByTestId('sweep-progress');
  // Both lanes live at the same moment: the status line and both rows say so.
  await progress.filter({ hasText: /2 runs training at once \(kl_coef = 0\.02, 0\.05\)/ }).waitFor({ timeout: 60_000 });
  assert.ok(page.workers().length > workersBefore, 'an extra worker trains the second lane');
  const lanes = card.getByTestId('sweep-lane');
  assert.equal(await lanes.count(), 2);
  await progress.filter({ hasText: /Finished|ended/ }).waitFor({ timeout: 180_000 });
  const alert = await page.locator('.alert').allTextContents();
  assert.match((await progress.textContent()) ?? '', /Finished: 2 PPO runs, kl_coef = 0\.02, 0\.05\./, alert.join(' '));
  const laneText = await lanes.allTextContents();
  assert.ok(laneText.every((row) => /2 of 2/.test(row) && /finished/.test(row)), laneText.join(' | '));

  const names = (await page.getByTestId('ppo-history-row').allTextContents()).join('\n');
  assert.match(names, /Sweep kl_coef = 0\.02 · PPO from/);
  assert.match(names, /Sweep kl_coef = 0\.05 · PPO from/);
  await page.waitForFunction(() => ((document.querySelector('[data-chart="kl-frontier"]') as HTMLElement & { data?: { x: number[] }[] })?.data?.[0]?.x.length ?? 0) === 4, null, { timeout: 20_000 });
  // The extra worker is terminated when the sweep ends.
  for (let i = 0; i < 50 && page.workers().length > workersBefore; i++) await page.waitForTimeout(100);
  assert.equal(page.workers().length, workersBefore);
  assert.deepEqual(pageErrors, []);
});

test('a DPO sweep of beta adds a DPO point to the frontier', { timeout: 120_000 }, async () => {
  await importPairs(page, 'sweep.jsonl', happyPairsJsonl(false));
  await page.getByRole('tab', { name: /Direct preference/ }).click();
  await page.getByTestId('dpo-pair-count').filter({ hasText: '24 labeled pairs' }).waitFor();
  await fill(page, 'Training steps', '2');
  await fill(page, 'Batch size', '4');
  await fill(page, 'Evaluate every (steps)', '1');
  await page.locator('details.advanced', { hasText: 'Held-out fraction' }).locator('summary').click();
  await fill(page, 'Prompts sampled at each evaluation', '2');
  await page.getByRole('slider', { name: /Length/ }).fill('8');

  const card = page.getByRole('region', { name: 'Run a sweep' });
  await card.getByRole('radio', { name: /^Direct preference/ }).check();
  await fill(page, VALUES, '0.2');
  await card.getByRole('button', { name: 'Run the sweep', exact: true }).click();
  const progress = card.getByTestId('sweep-progress');
  await progress.filter({ hasText: /Finished|ended/ }).waitFor({ timeout: 100_000 });
  const alert = await page.locator('.alert').allTextContents();
  assert.match((await progress.textContent()) ?? '', /Finished: 1 DPO run, beta = 0\.2\./, alert.join(' '));
  assert.match((await page.getByTestId('dpo-history-row').first().textContent()) ?? '', /Sweep beta = 0\.2 · DPO from/);

  await page.waitForFunction(() => ((document.querySelector('[data-chart="kl-frontier"]') as HTMLElement & { data?: unknown[] })?.data?.length ?? 0) === 2, null, { timeout: 20_000 });
  const traces = await page.evaluate(() => (document.querySelector('[data-chart="kl-frontier"]') as HTMLElement & { data: { name: string; x: number[]; y: number[] }[] }).data);
  assert.deepEqual(traces.map((t) => [t.name, t.x.length]), [['PPO', 4], ['DPO', 1]]);
  for (const v of [...traces[1].x, ...traces[1].y]) assert.ok(Number.isFinite(v), `finite ${v}`);
  assert.deepEqual(pageErrors, []);
});

test('a lane whose worker fails ends its run as failed, the sweep goes on and the worker is gone', { timeout: 200_000 }, async (t) => {
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  if (cores < 2) return t.skip('this machine has one core: the field allows one run at once');
  await page.getByRole('tab', { name: /Policy optimization/ }).click();
  // Runs long enough that the second lane is still training when its worker fails.
  await fill(page, 'Iterations', '8');
  const card = page.getByRole('region', { name: 'Run a sweep' });
  await card.getByRole('radio', { name: 'Policy optimization: PPO' }).check();
  await fill(page, VALUES, '0.3, 0.4, 0.5');
  await fill(page, 'Runs at once', '2');
  const workersBefore = page.workers();
  await card.getByRole('button', { name: 'Run the sweep', exact: true }).click();
  const progress = card.getByTestId('sweep-progress');
  await progress.filter({ hasText: /2 runs training at once/ }).waitFor({ timeout: 60_000 });
  const extra = page.workers().find((w) => !workersBefore.includes(w));
  assert.ok(extra, 'the second lane has a worker of its own');
  // An error nothing catches: the page gets the worker's "error" event.
  await extra.evaluate(() => void setTimeout(() => { throw new Error('lane worker broke'); }, 0));
  await progress.filter({ hasText: /Finished|ended/ }).waitFor({ timeout: 180_000 });
  const text = (await progress.textContent()) ?? '';
  assert.match(text, /The sweep ended: 2 of 3 runs finished\. Failed: kl_coef = 0\.\d \(lane 2's training worker stopped: .*lane worker broke\)\./);
  assert.match(await card.getByTestId('sweep-lane').nth(1).textContent() ?? '', /its worker stopped/);
  const failed = page.getByTestId('ppo-history-row').filter({ hasText: /failed/ });
  assert.equal(await failed.count(), 1);
  for (let i = 0; i < 50 && page.workers().length > workersBefore.length; i++) await page.waitForTimeout(100);
  assert.equal(page.workers().length, workersBefore.length);
  // The worker's error reaches the page's error log too; nothing else may.
  assert.deepEqual(pageErrors.filter((e) => !/lane worker broke/.test(e)), []);
});
