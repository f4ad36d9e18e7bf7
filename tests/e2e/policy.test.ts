/**
 * End-to-end test of the Policy optimization stage in a real Chromium: the advanced settings and
 * their messages, PPO from the shipped base against the gold score for 2 tiny iterations on wasm
 * (charts get points, the sample table fills, a sample opens token by token), "Use its settings",
 * then reload and find the run again; a response too long for the model's context is refused
 * next to Response length.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { description, fill, waitForPoints } from './actions.ts';
import { closeApp, openApp, type App } from './harness.ts';

let server: App['server'];
let browser: App['browser'];
let page: Page;
const pageErrors: string[] = [];
const button = (name: string) => page.getByRole('button', { name, exact: true });

async function openPolicy(): Promise<void> {
  await page.getByRole('tab', { name: /Policy optimization/ }).click();
  await page.getByRole('heading', { name: /Policy optimization: PPO/ }).waitFor();
}

/** Unfolds "Advanced (TRL PPOConfig)" if it is folded. */
async function openAdvanced(): Promise<void> {
  const advanced = page.locator('details', { has: page.getByText('Advanced (TRL PPOConfig)') });
  if (!(await advanced.evaluate((d) => (d as HTMLDetailsElement).open))) await page.getByText('Advanced (TRL PPOConfig)').click();
}

const value = (label: string) => page.getByRole('textbox', { name: label, exact: true }).inputValue();

test('the advanced settings are on the form, and a bad value says what is wrong next to it', { timeout: 30_000 }, async () => {
  await openPolicy();
  await openAdvanced();
  for (const label of ['PPO epochs', 'Mini-batches', 'Policy clip range', 'Value clip range', 'Value loss weight', 'Discount', 'GAE lambda', 'KL horizon', 'Gradient clipping', 'Weight decay', 'Checkpoint every (iterations)', 'Number of prompts', 'Penalty for no end']) {
    await page.getByRole('textbox', { name: label, exact: true }).waitFor();
  }
  await page.getByRole('combobox', { name: 'Learning-rate schedule' }).waitFor();
  assert.equal(await page.getByRole('checkbox', { name: 'Whiten rewards' }).isChecked(), false);
  assert.match(await description(page, 'Policy clip range'), /TRL: cliprange\./);

  // The horizon only matters with the adaptive controller; the penalty only when ticked.
  const adaptive = page.getByRole('checkbox', { name: 'Adaptive KL' });
  const wasAdaptive = await adaptive.isChecked();
  await adaptive.uncheck();
  assert.equal(await page.getByRole('textbox', { name: 'KL horizon', exact: true }).isDisabled(), true);
  await adaptive.check();
  assert.equal(await page.getByRole('textbox', { name: 'KL horizon', exact: true }).isEnabled(), true);
  await adaptive.setChecked(wasAdaptive);
  assert.equal(await page.getByRole('textbox', { name: 'Penalty for no end', exact: true }).isDisabled(), true);
  await page.getByRole('checkbox', { name: 'Penalise responses without an end' }).check();
  assert.equal(await page.getByRole('textbox', { name: 'Penalty for no end', exact: true }).isEnabled(), true);
  assert.equal(await value('Penalty for no end'), '1');
  await page.getByRole('checkbox', { name: 'Penalise responses without an end' }).uncheck();

  const train = button('Train');
  assert.equal(await train.isEnabled(), true);
  await fill(page, 'Policy clip range', '0');
  assert.match(await description(page, 'Policy clip range'), /Must be above 0 and at most 10 \(got 0\)/);
  assert.equal(await train.isEnabled(), false);
  assert.match((await page.locator('.blockers').textContent()) ?? '', /Policy clip range: must be above 0/);
  await fill(page, 'Policy clip range', '0.2');
  // Junk and an empty box are not numbers: said so, not silently replaced.
  await fill(page, 'Discount', 'abc');
  assert.match(await description(page, 'Discount'), /Must be a number/);
  await fill(page, 'Mini-batches', '');
  assert.match(await description(page, 'Mini-batches'), /Must be a whole number/);
  assert.equal(await train.isEnabled(), false);
  await fill(page, 'Discount', '1');
  await fill(page, 'Mini-batches', '1');
  assert.equal(await train.isEnabled(), true);
  assert.deepEqual(pageErrors, []);
});

before(async () => {
  ({ server, browser, page } = await openApp(pageErrors));
});

after(() => closeApp({ browser, server }));

test('PPO from the base against the gold score on wasm', { timeout: 120_000 }, async () => {
  await openPolicy();
  assert.equal(await page.getByRole('combobox', { name: 'Policy checkpoint' }).inputValue(), 'base');
  assert.equal(await page.getByRole('radio', { name: /Gold score/ }).isChecked(), true);

  await fill(page, 'Iterations', '2');
  await fill(page, 'Batch size', '2');
  await fill(page, 'Response length', '8');
  await openAdvanced();
  await fill(page, 'PPO epochs', '1');
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
  await waitForPoints(page, 'ppo-kl', [2, 2]); // the KL and the adaptive controller's target (on by default)
  await waitForPoints(page, 'ppo-entropy', [2]);
  await waitForPoints(page, 'ppo-loss', [2, 2]);
  const rows = page.getByTestId('ppo-samples').locator('tbody tr');
  assert.equal(await rows.count(), 2);
  assert.match((await rows.first().textContent()) ?? '', /-?\d+\.\d{3}\s*-?\d+\.\d{3}/);

  // Token by token: each token tinted by log(pi/pi_ref), its number readable as text.
  const open = button('Tokens of sample 2');
  assert.equal(await open.getAttribute('aria-expanded'), 'false');
  await open.click();
  assert.equal(await open.getAttribute('aria-expanded'), 'true');
  const tokens = page.getByRole('list', { name: 'Sample 2, token by token' }).getByRole('listitem');
  const count = await tokens.count();
  assert.ok(count >= 1 && count <= 8, `1 to 8 tokens (got ${count})`);
  for (const text of await tokens.allTextContents()) assert.match(text, /([+-]\d+\.\d{3}|0\.000)$/, `a number after the token: ${JSON.stringify(text)}`);
  assert.match((await tokens.first().getAttribute('title')) ?? '', /^log\(π\/π_ref\) = ([+-]\d+\.\d{3}|0\.000)$/);
  assert.match((await tokens.first().getAttribute('style')) ?? '', /background-color: rgb\(/);
  await page.getByRole('checkbox', { name: 'Show the numbers' }).check();
  assert.equal(await tokens.first().locator('.value').isVisible(), true);
  await button('Tokens of sample 2').click();
  assert.equal(await page.getByRole('list', { name: 'Sample 2, token by token' }).count(), 0);
  assert.deepEqual(pageErrors, []);
});

test('"Use its settings" puts the run\'s settings back on the form', { timeout: 30_000 }, async () => {
  await fill(page, 'Iterations', '7');
  await fill(page, 'KL coefficient', '0.5');
  await openAdvanced();
  await fill(page, 'PPO epochs', '3');
  // Start from the run's own checkpoint instead of the base (options: choose, base, the run).
  const policy = page.getByRole('combobox', { name: 'Policy checkpoint' });
  await policy.selectOption({ index: 2 });
  assert.match(await policy.inputValue(), /^run:\d+$/);
  await button('Use its settings').click();
  assert.equal(await value('Iterations'), '2');
  assert.equal(await value('KL coefficient'), '0.05');
  assert.equal(await value('PPO epochs'), '1');
  assert.equal(await value('Response length'), '8');
  assert.equal(await policy.inputValue(), 'base');
  assert.equal(await page.getByRole('radio', { name: /Gold score/ }).isChecked(), true);
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

test('a response longer than the model\'s context is refused next to Response length', { timeout: 60_000 }, async () => {
  await openPolicy();
  await fill(page, 'Iterations', '1');
  await fill(page, 'Batch size', '1');
  // The shipped base reads 64 tokens at most: prompt + 70 response tokens cannot fit.
  await fill(page, 'Response length', '70');
  await button('Train').click();
  await page.getByRole('textbox', { name: 'Response length', exact: true }).and(page.locator('[aria-invalid="true"]')).waitFor({ timeout: 30_000 });
  assert.match(await description(page, 'Response length'), /exceeds the model's context of 64 tokens/);
  assert.match((await page.getByTestId('ppo-phase').textContent()) ?? '', /Ready to train|Finished/);
  // Changing the field clears the refusal; the refused run was not kept.
  await fill(page, 'Response length', '8');
  assert.doesNotMatch(await description(page, 'Response length'), /exceeds/);
  assert.equal(await page.getByTestId('ppo-history-row').count(), 1);
  assert.deepEqual(pageErrors, []);
});

test('a stored run that failed shows why and keeps its checkpoint; samples stored without tokens offer no token view', { timeout: 60_000 }, async () => {
  // As an older version of the app stored it: a PPO run that failed at iteration 2 (NaN reward)
  // after its checkpoint at iteration 1, with samples that have no per-token values.
  await page.evaluate(async () => {
    const request = indexedDB.open('rlhf-playground');
    const idb = await new Promise<IDBDatabase>((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const tx = idb.transaction(['runs', 'samples', 'checkpoints'], 'readwrite');
    const now = Date.now();
    const add = tx.objectStore('runs').add({
      stage: 'ppo', name: 'PPO that failed', source: 'train', createdAt: now, updatedAt: now, status: 'failed', step: 2, maxSteps: 5,
      startedFrom: 'the base checkpoint', checkpointStep: 1, stageConfig: { kl_coef: 0.05 },
      message: 'the reward became NaN at iteration 2; training stopped. Try a lower learning_rate.',
    });
    add.onsuccess = () => {
      tx.objectStore('samples').add({ runId: add.result, step: 1, samples: [{ prompt: 'Write a story.', completion: 'Once upon a time.', score: 0.5, kl: 0.1 }] });
      tx.objectStore('checkpoints').add({ runId: add.result, step: 1, model: new ArrayBuffer(8), config: '{}', tokenizer: '{}' });
    };
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
    idb.close();
  });
  await page.reload();
  await openPolicy();
  await page.getByTestId('ppo-phase').filter({ hasText: 'Failed.' }).waitFor();
  const alert = (await page.getByRole('alert').textContent()) ?? '';
  assert.match(alert, /The run failed: the reward became NaN at iteration 2/);
  assert.match(alert, /The last good checkpoint \(step 1\) is kept/);
  const rows = page.getByTestId('ppo-samples').locator('tbody tr');
  assert.equal(await rows.count(), 1);
  assert.equal(await page.getByTestId('ppo-samples').getByRole('button').count(), 0);
  assert.equal(await page.getByRole('columnheader', { name: 'Tokens' }).count(), 0);
  assert.deepEqual(pageErrors, []);
});
