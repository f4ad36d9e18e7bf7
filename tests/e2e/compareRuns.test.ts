/**
 * End-to-end test of Compare runs and the charts' toolbar in a real Chromium: two tiny pretraining
 * runs that differ in learning rate, ticked in Compare runs, overlaid on one loss chart, their
 * settings table marking learning_rate as differing; the chart saves as CSV, PNG and SVG, and its
 * smoothing changes the drawn values but not how many there are. The ticked runs and the metric
 * are kept: a reload shows the same comparison, without the runs deleted since.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { fill, trainTiny, waitForPoints } from './actions.ts';
import { closeApp, openApp, type App } from './harness.ts';
import { addRecords, readStore } from './seed.ts';

let server: App['server'];
let browser: App['browser'];
let page: Page;
const pageErrors: string[] = [];
const STEPS = 8;

/** The y values of every trace of a chart, as Plotly holds them. */
function drawn(chart: string): Promise<number[][]> {
  return page.evaluate((id) => {
    const el = document.querySelector(`[data-chart="${id}"]`) as (HTMLElement & { data?: { y: number[] }[] }) | null;
    return (el?.data ?? []).map((t) => [...t.y]);
  }, chart);
}

before(async () => {
  ({ server, browser, page } = await openApp(pageErrors));
  await page.getByRole('button', { name: 'Train', exact: true }).waitFor();
});

after(() => closeApp({ browser, server }));

test('two runs with different learning rates, compared on one chart and in tables', { timeout: 300_000 }, async () => {
  await trainTiny(page, { backend: 'wasm', steps: STEPS, batch: 2, model: { layers: 1, width: 32, heads: 2, context: 32 }, logEvery: 1, evalEvery: 4, sampleLength: 8 });
  // The same settings but the learning rate.
  await fill(page, 'Learning rate', '0.003');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const second = page.getByRole('checkbox', { name: /^#2 .*finished/ });
  await second.waitFor({ timeout: 150_000 });
  await page.getByRole('checkbox', { name: /^#1 .*finished/ }).check();
  await second.check();
  const metric = page.getByRole('combobox', { name: 'Metric to compare' });
  await metric.waitFor();
  await metric.selectOption('loss');
  await waitForPoints(page, 'compare-runs', [STEPS, STEPS]);
  const legend = (await page.locator('figure', { has: page.locator('[data-chart="compare-runs"]') }).locator('.chart-legend').textContent()) ?? '';
  assert.match(legend, /#1 .*#2 /s, 'one series per run, named "#id name"');

  // The settings table: learning_rate differs (marked for the eye and for screen readers), the seed does not.
  const settings = page.getByTestId('compare-settings');
  const lr = settings.locator('tbody tr', { has: page.getByRole('rowheader', { name: /^learning_rate/ }) });
  assert.equal(await lr.count(), 1);
  assert.match((await lr.getAttribute('class')) ?? '', /differs/);
  assert.match((await lr.textContent()) ?? '', /differs/);
  assert.deepEqual(await lr.locator('td').allTextContents(), ['0.01', '0.003']);
  const seed = settings.locator('tbody tr', { has: page.getByRole('rowheader', { name: /^seed/ }) });
  assert.doesNotMatch((await seed.getAttribute('class')) ?? '', /differs/);
  // The final figures: each run's last loss.
  const loss = page.getByTestId('compare-figures').locator('tbody tr', { has: page.getByRole('rowheader', { name: /^loss/ }) });
  assert.equal(await loss.locator('td').count(), 2);
  assert.ok((await loss.locator('td').allTextContents()).every((t) => Number.isFinite(Number(t))), 'a number per run');
});

test('the chart saves its data as CSV and its picture as PNG and SVG', { timeout: 60_000 }, async () => {
  const csvDownload = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download Compared: loss data as CSV' }).click();
  const csv = await csvDownload;
  assert.equal(csv.suggestedFilename(), 'compare-runs.csv');
  const lines = (await readFile((await csv.path())!, 'utf8')).trim().split(/\r\n/);
  assert.match(lines[0], /^step,#1 .*,#2 /, `a header row: ${lines[0]}`);
  assert.equal(lines.length, 1 + STEPS, 'one row per step');
  assert.ok(lines.slice(1).every((line) => line.split(',').length === 3 && line.split(',').every((cell) => Number.isFinite(Number(cell)) && cell !== '')));

  for (const format of ['PNG', 'SVG']) {
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: `Download Compared: loss as ${format}` }).click();
    const file = await download;
    assert.equal(file.suggestedFilename(), `compare-runs.${format.toLowerCase()}`);
    const bytes = await readFile((await file.path())!);
    if (format === 'PNG') assert.deepEqual([...bytes.subarray(1, 4)], [...Buffer.from('PNG')]);
    else assert.match(bytes.toString('utf8'), /<svg/);
  }
});

test('smoothing changes the drawn values, not their number', async () => {
  const raw = await drawn('compare-runs');
  await page.getByRole('slider', { name: 'Smoothing of Compared: loss' }).fill('0.9');
  await page.waitForFunction(
    ([id, before]) => {
      const el = document.querySelector(`[data-chart="${id}"]`) as (HTMLElement & { data?: { y: number[] }[] }) | null;
      return JSON.stringify((el?.data ?? []).map((t) => [...t.y])) !== before;
    },
    ['compare-runs', JSON.stringify(raw)] as const,
    { timeout: 10_000 },
  );
  const smooth = await drawn('compare-runs');
  assert.deepEqual(smooth.map((y) => y.length), raw.map((y) => y.length), 'the same number of points');
  for (let i = 0; i < raw.length; i++) {
    assert.equal(smooth[i][0], raw[i][0], 'the first point is its own average');
    assert.notDeepEqual(smooth[i], raw[i]);
  }
  // Back to 0: the raw values again.
  await page.getByRole('slider', { name: 'Smoothing of Compared: loss' }).fill('0');
  await page.waitForFunction(
    ([id, want]) => JSON.stringify(((document.querySelector(`[data-chart="${id}"]`) as HTMLElement & { data?: { y: number[] }[] })?.data ?? []).map((t) => [...t.y])) === want,
    ['compare-runs', JSON.stringify(raw)] as const,
    { timeout: 10_000 },
  );
  assert.deepEqual(pageErrors, []);
});

test('the ticked runs and the metric are kept through a reload; a deleted run is dropped', { timeout: 60_000 }, async () => {
  // Three stored runs with a few metric rows each, written as a finished run leaves them.
  const now = Date.now();
  const run = (name: string, i: number) => ({ name, stage: 'pretrain', source: 'train', createdAt: now + i, updatedAt: now + i, status: 'finished', step: 3, maxSteps: 3, startedFrom: 'scratch' });
  const ids = await addRecords(page, 'runs', [run('Kept A', 0), run('Kept B', 1), run('Deleted C', 2)]);
  await addRecords(page, 'metrics', ids.flatMap((runId, r) => [1, 2, 3].map((step) => ({ runId, step, loss: 3 - step / (r + 2), 'train/accuracy': step / 10 }))));
  await page.reload();
  const box = (name: string) => page.getByRole('checkbox', { name: new RegExp(`^#\\d+ ${name} `) });
  for (const name of ['Kept A', 'Kept B', 'Deleted C']) await box(name).check();
  const metric = page.getByRole('combobox', { name: 'Metric to compare' });
  await metric.selectOption('train/accuracy');
  await page.getByText('Compared: train/accuracy').waitFor();

  // Deleted while the page is closed (another tab, say): the next visit leaves it out.
  await page.evaluate(async ([name, id]) => {
    const db = await new Promise<IDBDatabase>((resolve) => {
      const open = indexedDB.open(name);
      open.onsuccess = () => resolve(open.result);
    });
    await new Promise((resolve) => {
      const tx = db.transaction('runs', 'readwrite');
      tx.objectStore('runs').delete(id);
      tx.oncomplete = resolve;
    });
    db.close();
  }, ['rlhf-playground', ids[2]] as const);
  await page.reload();
  await box('Kept A').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-chart="compare-runs"]') !== null);
  assert.equal(await box('Kept A').isChecked(), true);
  assert.equal(await box('Kept B').isChecked(), true);
  assert.equal(await box('Deleted C').count(), 0);
  assert.equal(await metric.inputValue(), 'train/accuracy');
  const headers = await page.getByTestId('compare-figures').locator('thead th').allTextContents();
  assert.deepEqual(headers.slice(-2), [`#${ids[0]} Kept A`, `#${ids[1]} Kept B`]);
  const kept = (await readStore(page, 'pageState')).records.find((r) => r.key === 'compareRuns')?.value as { ids: number[]; metric: string };
  assert.ok(!kept.ids.includes(ids[2]), 'the deleted run is dropped from the kept selection');
  assert.equal(kept.metric, 'train/accuracy');

  // Unticking is kept too.
  await box('Kept B').uncheck();
  await page.reload();
  await box('Kept A').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-chart="compare-runs"]') !== null);
  assert.equal(await box('Kept A').isChecked(), true);
  assert.equal(await box('Kept B').isChecked(), false);
  assert.deepEqual(pageErrors, []);
});
