/**
 * End-to-end test of the Policy optimization stage in a real Chromium: PPO from the shipped base
 * against the gold score for 2 tiny iterations on wasm, see the charts get points and the sample
 * table fill, then reload and find the run again.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { fill, waitForPoints } from './actions.ts';
import { launchBrowser, startPreview, type Browser } from './harness.ts';

let server: Awaited<ReturnType<typeof startPreview>>;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const button = (name: string) => page.getByRole('button', { name, exact: true });

async function openPolicy(): Promise<void> {
  await page.getByRole('tab', { name: /Policy optimization/ }).click();
  await page.getByRole('heading', { name: /Policy optimization: PPO/ }).waitFor();
}

before(async () => {
  server = await startPreview();
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(server.url);
  // wasm straight away: 'auto' would first time every backend (webgpu on SwiftShader is slow).
  await page.getByRole('combobox', { name: 'Backend' }).selectOption('wasm');
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('PPO from the base against the gold score on wasm', { timeout: 120_000 }, async () => {
  await openPolicy();
  assert.equal(await page.getByRole('combobox', { name: 'Policy checkpoint' }).inputValue(), 'base');
  assert.equal(await page.getByRole('radio', { name: /Gold score/ }).isChecked(), true);

  await fill(page, 'Iterations', '2');
  await fill(page, 'Batch size', '2');
  await fill(page, 'Response length', '8');
  // A bad value names its field and blocks training.
  await fill(page, 'KL coefficient', '-1');
  assert.equal(await button('Train').isEnabled(), false);
  assert.match((await page.locator('.blockers').textContent()) ?? '', /KL coefficient: must be at least 0/);
  await fill(page, 'KL coefficient', '0.05');

  await button('Train').click();
  await page.getByTestId('ppo-phase').filter({ hasText: /Finished|Failed|Stopped/ }).waitFor({ timeout: 90_000 });
  const alert = await page.locator('.alert').allTextContents();
  assert.match((await page.getByTestId('ppo-phase').textContent()) ?? '', /Finished/, alert.join(' '));

  await waitForPoints(page, 'ppo-reward', [2, 2]);
  await waitForPoints(page, 'ppo-kl', [2]);
  await waitForPoints(page, 'ppo-entropy', [2]);
  await waitForPoints(page, 'ppo-loss', [2, 2]);
  const rows = page.getByTestId('ppo-samples').locator('tbody tr');
  assert.equal(await rows.count(), 2);
  assert.match((await rows.first().textContent()) ?? '', /-?\d+\.\d{3}\s*-?\d+\.\d{3}/);
  assert.deepEqual(pageErrors, []);
});

test('after a reload the run, its charts and its samples come back', { timeout: 60_000 }, async () => {
  await page.reload();
  await page.getByRole('tab', { name: /Pretrain/ }).click();
  await page.getByRole('combobox', { name: 'Backend' }).selectOption('wasm');
  await openPolicy();
  const row = page.getByTestId('ppo-history-row').first();
  await row.waitFor();
  assert.match((await row.textContent()) ?? '', /PPO from the base checkpoint · gold score.*finished/);
  await page.getByTestId('ppo-phase').filter({ hasText: 'Finished.' }).waitFor();
  await waitForPoints(page, 'ppo-reward', [2, 2]);
  assert.equal(await page.getByTestId('ppo-samples').locator('tbody tr').count(), 2);
  assert.deepEqual(pageErrors, []);
});
