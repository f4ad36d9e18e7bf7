/**
 * End-to-end test of the label-noise experiment on the Direct preference tab in a real Chromium: a
 * small labeled preference file imported through the Preferences stage, tiny settings, 25% of the
 * training labels flipped, two loss types ticked (sigmoid and robust); the experiment trains them in
 * turn, and the charts then draw the run on screen (robust) beside the first one, named by its variant;
 * then Stop ends a second experiment after its first run.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { description, fill, happyPairsJsonl, importPairs, traceNames } from './actions.ts';
import { closeApp, openApp, type App } from './harness.ts';

let server: App['server'];
let browser: App['browser'];
let page: Page;
const pageErrors: string[] = [];

/** 24 TRL pairs: the happy ending chosen, the sad one rejected. */
before(async () => {
  ({ server, browser, page } = await openApp(pageErrors));
});

after(() => closeApp({ browser, server }));

test('flip 25% of the labels, compare sigmoid and robust on the same charts', { timeout: 120_000 }, async () => {
  await importPairs(page, 'noisy.jsonl', happyPairsJsonl(false));
  await page.getByRole('tab', { name: /Direct preference/ }).click();
  await page.getByTestId('dpo-pair-count').filter({ hasText: '24 labeled pairs' }).waitFor();

  await fill(page, 'Training steps', '3');
  await fill(page, 'Batch size', '4');
  await fill(page, 'Evaluate every (steps)', '3');
  await page.locator('details.advanced', { hasText: 'Held-out fraction' }).locator('summary').click();
  await fill(page, 'Held-out fraction', '0.25');
  await fill(page, 'Prompts sampled at each evaluation', '2');
  await fill(page, 'Log every (steps)', '1');
  await page.getByRole('slider', { name: /Length/ }).fill('8');

  const card = page.getByRole('region', { name: 'Label-noise experiment' });
  const runIt = card.getByRole('button', { name: 'Run the experiment', exact: true });
  // 0.5 would make the labels a coin flip: refused in place, and the button says why it is off.
  await fill(page, 'Flip this fraction of labels', '0.5');
  assert.match(await description(page, 'Flip this fraction of labels'), /below 0\.5/);
  assert.equal(await runIt.isEnabled(), false);
  await fill(page, 'Flip this fraction of labels', '0.25');
  assert.equal(await runIt.isEnabled(), true);

  for (const name of ['Run sigmoid', 'Run robust', 'Run ipo', 'Run label smoothing']) assert.equal(await card.getByRole('checkbox', { name, exact: true }).isChecked(), true);
  await card.getByRole('checkbox', { name: 'Run ipo', exact: true }).uncheck();
  await card.getByRole('checkbox', { name: 'Run label smoothing', exact: true }).uncheck();

  await runIt.click();
  await card.getByTestId('noise-progress').filter({ hasText: /Run 1 of 2: sigmoid · 25% flipped/ }).waitFor({ timeout: 20_000 });
  assert.equal(await runIt.isEnabled(), false, 'locked while the experiment runs');
  await card.getByTestId('noise-progress').filter({ hasText: /Finished|ended/ }).waitFor({ timeout: 100_000 });
  const alert = await page.locator('.alert').allTextContents();
  assert.match((await card.getByTestId('noise-progress').textContent()) ?? '', /Finished: 2 runs with 25% of the training labels flipped/, alert.join(' '));

  // The accuracy chart: the run on screen (robust), then the first run drawn beside it, by its variant.
  await page.waitForFunction(() => ((document.querySelector('[data-chart="dpo-accuracies"]') as HTMLElement & { data?: unknown[] })?.data?.length ?? 0) === 4, null, { timeout: 10_000 });
  assert.deepEqual(await traceNames(page, 'dpo-accuracies'), ['training', 'held-out', 'training · sigmoid · 25% flipped', 'held-out · sigmoid · 25% flipped']);
  assert.match((await card.textContent()) ?? '', /The run on screen: robust · 25% flipped/);

  const rows = page.getByTestId('dpo-history-row');
  assert.equal(await rows.count(), 2);
  const names = (await rows.allTextContents()).join('\n');
  assert.match(names, /robust · 25% flipped · DPO from/);
  assert.match(names, /sigmoid · 25% flipped · DPO from/);

  await card.getByRole('button', { name: "Take the experiment's runs off the charts", exact: true }).click();
  await page.waitForFunction(() => ((document.querySelector('[data-chart="dpo-accuracies"]') as HTMLElement & { data?: unknown[] })?.data?.length ?? 0) === 2, null, { timeout: 10_000 });
  assert.deepEqual(pageErrors, []);
});

test('Stop ends the experiment after the run training now', { timeout: 60_000 }, async () => {
  const card = page.getByRole('region', { name: 'Label-noise experiment' });
  const progress = card.getByTestId('noise-progress');
  await card.getByRole('button', { name: 'Run the experiment', exact: true }).click();
  // Stop appears as the experiment starts: pressed at once, it cannot miss the first run.
  await card.getByRole('button', { name: 'Stop after this run', exact: true }).click();
  await progress.filter({ hasText: /Run 1 of 2: sigmoid.*The experiment ends when this run does/ }).waitFor({ timeout: 20_000 });
  await progress.filter({ hasText: /Stopped after 1 of 2 runs/ }).waitFor({ timeout: 50_000 });
  assert.equal(await page.getByTestId('dpo-history-row').count(), 3, 'only the run in progress was trained');
  assert.equal(await card.getByRole('button', { name: 'Run the experiment', exact: true }).isEnabled(), true);
  assert.deepEqual(pageErrors, []);
});
