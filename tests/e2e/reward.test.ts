/**
 * End-to-end test of the Reward model stage in a real Chromium: import a small labeled preference
 * file through the Preferences stage, train a reward model from the shipped base for a few steps
 * on wasm, see the charts, score a typed answer, see the histograms and the most-wrong pairs, then
 * reload and find the run again.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { fill, happyPairsJsonl, importPairs, waitForPoints } from './actions.ts';
import { closeApp, openApp, type App } from './harness.ts';

let server: App['server'];
let browser: App['browser'];
let page: Page;
const pageErrors: string[] = [];
const button = (name: string) => page.getByRole('button', { name, exact: true });

/** 24 TRL pairs: the happy ending chosen, the sad one rejected; one prompt holds markup that must show as text. */
async function openReward(): Promise<void> {
  await page.getByRole('tab', { name: /Reward model/ }).click();
  await page.getByRole('heading', { name: /Reward model: score answers/ }).waitFor();
}

before(async () => {
  ({ server, browser, page } = await openApp(pageErrors));
});

after(() => closeApp({ browser, server }));

test('import labeled pairs, then train a reward model on wasm', { timeout: 120_000 }, async () => {
  await importPairs(page, 'happy.jsonl', happyPairsJsonl(true));

  await openReward();
  const dataset = page.getByRole('combobox', { name: 'Preference dataset' });
  assert.match((await dataset.locator('option:checked').textContent()) ?? '', /happy\.jsonl/);
  await page.getByTestId('reward-pair-count').filter({ hasText: '24 labeled pairs' }).waitFor();
  assert.equal(await page.getByRole('combobox', { name: 'Start from' }).inputValue(), 'base');

  await fill(page, 'Training steps', '6');
  await fill(page, 'Batch size', '4');
  await fill(page, 'Validation fraction', '0.25');
  await page.locator('details.advanced', { hasText: 'Center rewards coefficient' }).locator('summary').click();
  await fill(page, 'Log every (steps)', '2');
  await fill(page, 'Evaluate every (steps)', '3');
  // A bad value names its field and blocks training.
  await fill(page, 'Learning rate', '-1');
  assert.equal(await button('Train').isEnabled(), false);
  assert.match((await page.locator('.blockers').textContent()) ?? '', /Learning rate: must be above 0/);
  await fill(page, 'Learning rate', '0.001');

  await button('Train').click();
  await page.getByTestId('reward-phase').filter({ hasText: /Finished|Failed|Stopped/ }).waitFor({ timeout: 90_000 });
  const alert = await page.locator('.alert').allTextContents();
  assert.match((await page.getByTestId('reward-phase').textContent()) ?? '', /Finished/, alert.join(' '));
  assert.match((await page.locator('.controls').textContent()) ?? '', /18 training pairs, 6 held out/);
});

test('charts, scoring, histograms and the most-wrong pairs', { timeout: 60_000 }, async () => {
  // Training metrics at steps 2, 4, 6; held-out ones at 0 (before training), 3 and 6, against the labels and the gold.
  await waitForPoints(page, 'reward-loss', [3, 3]);
  await waitForPoints(page, 'reward-accuracy', [3, 3, 3]);
  await waitForPoints(page, 'reward-margin', [3, 3]);

  await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill('Write a story about a cat.\n');
  await page.getByRole('textbox', { name: 'Completion', exact: true }).fill('The cat found the ball and was happy.');
  await button('Score').click();
  const score = page.getByTestId('reward-score');
  await score.filter({ hasText: /Reward: -?\d+\.\d{4}/ }).waitFor();

  await waitForPoints(page, 'reward-histogram', [20, 20]);
  assert.match((await page.getByTestId('histogram-summary').textContent()) ?? '', /step 6: 6 held-out pairs/);
  // The histogram saves the raw rewards, one row per held-out pair.
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download Rewards of chosen and rejected answers data as CSV' }).click();
  const csv = readFileSync((await (await download).path())!, 'utf8').trim().split('\r\n');
  assert.equal(csv[0], 'pair,chosen reward,rejected reward');
  assert.equal(csv.length, 7, 'a header and 6 held-out pairs');
  assert.ok(csv.slice(1).every((line) => /^\d+,-?[\d.e-]+,-?[\d.e-]+$/.test(line)), csv.join(' | '));
  const wrong = page.getByTestId('most-wrong').locator('li');
  assert.equal(await wrong.count(), 6);
  assert.match((await wrong.first().textContent()) ?? '', /Ranked (wrong|right),\s+margin -?\d/);
  assert.equal(await page.getByTestId('most-wrong').locator('b').count(), 0, 'imported markup is shown as text');
  assert.deepEqual(pageErrors, []);
});

test('after a reload the run, its charts and its histograms come back', { timeout: 60_000 }, async () => {
  await page.reload();
  await page.getByRole('tab', { name: /Pretrain/ }).click();
  await page.getByRole('combobox', { name: 'Backend' }).selectOption('wasm');
  await openReward();
  const row = page.getByTestId('reward-history-row').first();
  await row.waitFor();
  assert.match((await row.textContent()) ?? '', /happy\.jsonl · all annotators · 24 pairs.*finished/);
  await page.getByTestId('reward-phase').filter({ hasText: 'Finished.' }).waitFor();
  await waitForPoints(page, 'reward-accuracy', [3, 3, 3]);
  await page.getByTestId('histogram-summary').waitFor();
  await button('Score').click();
  await page.getByTestId('reward-score').filter({ hasText: /Reward: -?\d+\.\d{4}/ }).waitFor();
  assert.deepEqual(pageErrors, []);
});

test('the trained reward model can suggest the better answer while labeling (off by default)', { timeout: 60_000 }, async () => {
  await page.getByRole('tab', { name: /Preferences/ }).click();
  await page.getByRole('textbox', { name: 'Annotator name' }).fill('Grace');
  await page.getByTestId('label-prompt').waitFor();
  const toggle = page.getByRole('checkbox', { name: /Show the reward model’s preference as a hint/ });
  await page.getByText('Suggestion from a reward model (optional)').click();
  assert.equal(await toggle.isChecked(), false, 'the hint is off by default');
  assert.equal(await page.getByTestId('hint').count(), 0);
  await toggle.check();
  const picker = page.getByRole('combobox', { name: 'Reward model' });
  const runs = await picker.locator('option').evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value).filter((v) => v.startsWith('run:')));
  assert.equal(runs.length, 1, 'the reward run is offered, and no language model is');
  await picker.selectOption(runs[0]);
  await page.getByTestId('hint').filter({ hasText: /The reward model prefers [AB] \(A: -?\d+\.\d\d, B: -?\d+\.\d\d\)/ }).waitFor();
  assert.deepEqual(pageErrors, []);
});
