/**
 * End-to-end test of the live loop on the Direct preference tab in a real Chromium, on wasm from
 * the shipped base: start it, label a pair by clicking, watch the samples and the charts update,
 * let the simulated annotator label a few more, see each label's per-token implicit rewards, save
 * the policy as a run, and find the labels stored as a preference dataset.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { fill, waitForPoints } from './actions.ts';
import { closeApp, openApp, type App } from './harness.ts';

let server: App['server'];
let browser: App['browser'];
let page: Page;
const pageErrors: string[] = [];
const button = (name: string | RegExp) => page.getByRole('button', { name, exact: typeof name === 'string' });
const status = () => page.getByTestId('live-status');

before(async () => {
  ({ server, browser, page } = await openApp(pageErrors));
});

after(() => closeApp({ browser, server }));

test('the live loop: a label trains the policy and new samples appear beside the old ones', { timeout: 180_000 }, async () => {
  await page.getByRole('tab', { name: /Direct preference/ }).click();
  await page.getByRole('radio', { name: /Live loop/ }).check();
  // A bad setting says so next to its field and blocks the start.
  await fill(page, 'Live beta', '0');
  assert.equal(await button('Start the live loop').isEnabled(), false);
  assert.equal(await page.getByRole('textbox', { name: 'Live beta' }).getAttribute('aria-invalid'), 'true');
  await page.getByText('Must be above 0 and at most 100 (got 0).').waitFor();
  await fill(page, 'Live beta', '0.1');
  await fill(page, 'Steps per label', '2');
  await button('Start the live loop').click();
  await button('A is better').waitFor({ timeout: 60_000 });
  assert.equal(await page.getByTestId('live-answer').count(), 2);
  const watch = page.getByTestId('live-watch').locator('tbody tr');
  assert.equal(await watch.count(), 3);
  const firstNow = (await watch.first().locator('td').nth(2).textContent()) ?? '';

  // One label by click: the model trains on it, then the watched prompts are answered again.
  await button('A is better').click();
  await status().filter({ hasText: /1 label learned\. New samples [\d.]+ s after the click/ }).waitFor({ timeout: 30_000 });
  assert.equal(((await watch.first().locator('td').nth(1).textContent()) ?? '').startsWith(firstNow.replace(/ \(gold .*\)$/, '')), true, 'the previous answer moved to Before');
  await waitForPoints(page, 'live-margin', [1]);
  await waitForPoints(page, 'live-kl', [1]);
  // The labeled pair, token by token, coloured by the implicit reward.
  const chosen = page.getByRole('list', { name: 'The chosen answer, token by token' });
  assert.ok((await chosen.locator('li').count()) > 0);
  assert.match((await chosen.locator('li').first().getAttribute('title')) ?? '', /β·log\(π\/π_ref\) = [+−-]?\d/);

  // The simulated annotator labels a few more in a row.
  await button('Let the simulated annotator label 10').click();
  await status().filter({ hasText: /(\d+) labels learned/ }).waitFor({ timeout: 90_000 });
  await page.waitForFunction(() => /1[01] labels learned|([2-9]|1[01]) labels learned/.test(document.querySelector('[data-testid="live-status"]')?.textContent ?? '') && !document.querySelector('[data-testid="live-status"]')?.textContent?.includes('Learning'), undefined, { timeout: 90_000 });
  const text = (await status().textContent()) ?? '';
  const labels = Number(/(\d+) labels learned/.exec(text)?.[1]);
  assert.ok(labels >= 2, text);

  // Save the policy: it becomes a run of this stage.
  await button('Save the policy as a run').click();
  await page.getByText(/Saved as run #\d+/).waitFor();
  // Every label is stored as a comparison of a "Live labels" dataset.
  const stored = await page.evaluate(async () => {
    const request = indexedDB.open('rlhf-playground');
    const idb = await new Promise<IDBDatabase>((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const tx = idb.transaction(['preferenceDatasets', 'labels']);
    const datasets = tx.objectStore('preferenceDatasets').getAll();
    const labels = tx.objectStore('labels').count();
    await new Promise((resolve) => {
      tx.oncomplete = resolve;
    });
    idb.close();
    return { names: (datasets.result as { name: string }[]).map((d) => d.name), labels: labels.result };
  });
  assert.ok(stored.names.some((n) => n.startsWith('Live labels')), JSON.stringify(stored));
  assert.ok(stored.labels >= labels, JSON.stringify(stored));
  await button('Stop the live loop').click();
  await button('Start the live loop').waitFor();
  assert.deepEqual(pageErrors, []);
});
