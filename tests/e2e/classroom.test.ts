/**
 * End-to-end test of a class without a server, in a real Chromium: two students label the same
 * comparisons under their names and export their labels through the page; the teacher imports
 * every student's file at once (one written by an older playground, one broken, one from a newer
 * version, one a copy), sees per-annotator counts and agreement for the pool, and trains a tiny
 * reward model on everyone's labels. Each dataset keeps its own student's name (two students on one
 * laptop, each with a dataset); a database left by the previous version opens with every run,
 * checkpoint, dataset and label kept, the browser's old name on each dataset.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { fill, happyPairsJsonl, importPairs } from './actions.ts';
import { closeApp, openApp, type App } from './harness.ts';
import { readStore, seedOldDatabase, type StoreSchema } from './seed.ts';

let server: App['server'];
let browser: App['browser'];
let page: Page;
const pageErrors: string[] = [];
const button = (name: string) => page.getByRole('button', { name, exact: true });
const progress = () => page.getByTestId('label-progress');
const stories = happyPairsJsonl(false).trim().split('\n').map((l) => JSON.parse(l) as { prompt: string; chosen: string; rejected: string });
/** The students' files as the browser saved them. */
const exported: Record<string, string> = {};

before(async () => {
  ({ server, browser, page } = await openApp(pageErrors));
});

after(() => closeApp({ browser, server }));

/** Labels the next `n` comparisons with the given button, as the annotator on screen. */
async function label(choice: string, from: number, n: number): Promise<void> {
  for (let i = from + 1; i <= from + n; i++) {
    await button(choice).click();
    await progress().filter({ hasText: `${i} of 24 labeled` }).waitFor();
  }
}

/** Presses "Export my labels" and returns the saved file's name and rows. */
async function exportMine(): Promise<{ name: string; text: string; rows: Record<string, unknown>[] }> {
  const [download] = await Promise.all([page.waitForEvent('download'), button('Export my labels').click()]);
  const text = readFileSync(await download.path(), 'utf8');
  return { name: download.suggestedFilename(), text, rows: text.trim().split('\n').map((l) => JSON.parse(l)) };
}

test('students label under their names and export their labels', { timeout: 60_000 }, async () => {
  await importPairs(page, 'stories.jsonl', happyPairsJsonl(false));

  await fill(page, 'Annotator name', 'Ada');
  await label('A is better', 0, 4);
  const ada = await exportMine();
  assert.equal(ada.name, 'Ada-labels.jsonl');
  assert.equal(ada.rows.length, 4);
  for (const row of ada.rows) {
    assert.deepEqual(Object.keys(row), ['prompt', 'chosen', 'rejected', 'annotator', 'playground_version']);
    assert.equal(row.annotator, 'Ada');
    assert.equal(row.playground_version, 2);
  }
  exported.ada = ada.text;

  // Without a name, the export asks for one.
  await fill(page, 'Annotator name', '');
  await button('Export my labels').click();
  assert.match((await page.getByTestId('class-export-status').textContent()) ?? '', /Type your name first/);
  await fill(page, 'Your name (on your labels)', 'Bob');
  assert.equal(await page.getByRole('textbox', { name: 'Annotator name', exact: true }).inputValue(), 'Bob');
  await label('B is better', 0, 3);
  await label('Tie', 3, 1);
  const bob = await exportMine();
  assert.equal(bob.name, 'Bob-labels.jsonl');
  // The tie gives no pair.
  assert.equal(bob.rows.length, 3);
  assert.ok(bob.rows.every((r) => r.annotator === 'Bob'));
  assert.equal(await page.getByRole('textbox', { name: 'Your name (on your labels)' }).count(), 0, 'the name field goes once the export is done');
  exported.bob = bob.text;
});

test('the teacher imports every file at once into the class pool', { timeout: 60_000 }, async () => {
  // Carl's file comes from the earlier playground: plain TRL JSONL, no annotator, no version.
  const carl = stories.slice(0, 5).map((s) => JSON.stringify(s)).join('\n') + '\n';
  // Dan's file breaks on line 3: refused whole, though its first two rows are fine.
  const dan = stories.slice(0, 2).map((s) => JSON.stringify({ ...s, annotator: 'Dan', playground_version: 2 })).join('\n') + '\n{"prompt": "Write", "chosen": \n';
  const future = JSON.stringify({ ...stories[0], annotator: 'Eve', playground_version: 7 }) + '\n';
  const files = [
    ['Ada-labels.jsonl', exported.ada],
    ['Bob-labels.jsonl', exported.bob],
    ['Carl.jsonl', carl],
    ['Dan-labels.jsonl', dan],
    ['Eve-labels.jsonl', future],
    ['Ada-labels copy.jsonl', exported.ada],
  ].map(([name, text]) => ({ name, mimeType: 'application/jsonl', buffer: Buffer.from(text) }));
  await page.getByLabel("Import students' label files").setInputFiles(files);

  const status = page.getByTestId('class-import-status');
  await status.getByText('Imported 4 files into "Class pool": 12 new labels.').waitFor();
  const text = (await status.textContent()) ?? '';
  assert.match(text, /Ada-labels\.jsonl: 4 new labels\./);
  assert.match(text, /Bob-labels\.jsonl: 3 new labels\./);
  assert.match(text, /Carl\.jsonl \(version 1: read as plain TRL JSONL\): 5 new labels\./);
  assert.match(text, /Ada-labels copy\.jsonl: 0 new labels, 4 duplicates skipped\./);
  const refused = await status.getByRole('alert').allTextContents();
  assert.equal(refused.length, 2);
  assert.match(refused[0], /^Dan-labels\.jsonl, line 3: not valid JSON .*Nothing was imported from Dan-labels\.jsonl\.$/);
  assert.match(refused[1], /^Eve-labels\.jsonl is a labels file of version 7, from a newer version of the playground; this version reads labels files of version 1 and 2/);

  // The pool is open, with each annotator's labels and their agreement.
  const dataset = page.getByRole('combobox', { name: 'Preference dataset' }).first();
  assert.match((await dataset.locator('option:checked').textContent()) ?? '', /Class pool/);
  const counts = await page.getByTestId('annotator-counts').locator('tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent?.trim())));
  assert.deepEqual(counts, [
    ['Ada', '4', '0', '0'],
    ['Bob', '3', '0', '0'],
    ['Carl', '5', '0', '0'],
  ]);
  const kappas = await page.getByTestId('kappa-table').locator('tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent?.trim())));
  assert.deepEqual(kappas.map((k) => [k[0], k[1], k[2]]), [
    ['Ada', 'Bob', '3'],
    ['Ada', 'Carl', '4'],
    ['Bob', 'Carl', '3'],
  ]);
  assert.match((await page.getByTestId('alpha').textContent()) ?? '', /^(-?\d\.\d{3}|–)$/);

  // Importing a file again adds nothing.
  await page.getByLabel("Import students' label files").setInputFiles([files[1]]);
  await status.getByText('Bob-labels.jsonl: 0 new labels, 3 duplicates skipped.').waitFor();
  assert.equal(await page.getByTestId('annotator-counts').locator('tbody tr').count(), 3);
});

test('a tiny reward model trains on every annotator of the pool', { timeout: 120_000 }, async () => {
  await page.getByRole('tab', { name: /Reward model/ }).click();
  await page.getByRole('heading', { name: /Reward model: score answers/ }).waitFor();
  const dataset = page.getByRole('combobox', { name: 'Preference dataset' });
  const pool = await dataset.locator('option', { hasText: 'Class pool' }).getAttribute('value');
  await dataset.selectOption(pool!);
  assert.equal(await page.getByRole('combobox', { name: 'Whose labels' }).locator('option:checked').textContent(), 'Every annotator');
  await page.getByTestId('reward-pair-count').filter({ hasText: '12 labeled pairs' }).waitFor();

  await fill(page, 'Training steps', '4');
  await fill(page, 'Batch size', '4');
  await fill(page, 'Validation fraction', '0.25');
  await button('Train').click();
  await page.getByTestId('reward-phase').filter({ hasText: /Finished|Failed|Stopped/ }).waitFor({ timeout: 90_000 });
  const alert = await page.locator('.alert').allTextContents();
  assert.match((await page.getByTestId('reward-phase').textContent()) ?? '', /Finished/, alert.join(' '));
  assert.match((await page.locator('.controls').textContent()) ?? '', /9 training pairs, 3 held out/);
  assert.deepEqual(pageErrors, []);
});

/** Waits until the open preference dataset is the one whose name holds `name`. */
async function datasetOpen(name: string): Promise<void> {
  await page.getByRole('combobox', { name: 'Preference dataset' }).first().locator('option:checked', { hasText: name }).waitFor({ state: 'attached' });
}

/** Opens the stored preference dataset whose name holds `name`. */
async function openDataset(name: string): Promise<void> {
  const select = page.getByRole('combobox', { name: 'Preference dataset' }).first();
  await select.selectOption((await select.locator('option', { hasText: name }).getAttribute('value'))!);
}
const nameBox = () => page.getByRole('textbox', { name: 'Annotator name', exact: true });
/** Waits until the annotator name on screen is `value` (a dataset's name arrives with the dataset). */
async function nameBecomes(value: string): Promise<void> {
  const box = await nameBox().elementHandle();
  await page.waitForFunction(([el, v]) => (el as HTMLInputElement).value === v, [box, value] as const);
}

test('two students on one laptop, each with a dataset, export under their own names', { timeout: 90_000 }, async () => {
  await importPairs(page, 'ada-set.jsonl', happyPairsJsonl(false));
  await datasetOpen('ada-set');
  await fill(page, 'Annotator name', 'Ada');
  await label('A is better', 0, 2);
  await importPairs(page, 'bob-set.jsonl', happyPairsJsonl(false));
  await datasetOpen('bob-set');
  // A new dataset does not take another student's name.
  await nameBecomes('');
  await fill(page, 'Annotator name', 'Bob');
  await label('B is better', 0, 3);
  const bob = await exportMine();
  assert.equal(bob.name, 'Bob-labels.jsonl');
  assert.ok(bob.rows.length === 3 && bob.rows.every((r) => r.annotator === 'Bob'));

  await openDataset('ada-set');
  await nameBecomes('Ada');
  const ada = await exportMine();
  assert.equal(ada.name, 'Ada-labels.jsonl');
  assert.ok(ada.rows.length === 2 && ada.rows.every((r) => r.annotator === 'Ada'));

  // A reload keeps each dataset's name.
  await page.reload();
  await page.getByRole('tab', { name: /Preferences/ }).click();
  await openDataset('bob-set');
  await nameBecomes('Bob');
  await openDataset('ada-set');
  await nameBecomes('Ada');
  assert.deepEqual(pageErrors, []);
});

/** The schema of the previous version (dexie version 2, IndexedDB version 20), as dexie made it. */
const VERSION_2: Record<string, StoreSchema> = {
  runs: { keyPath: 'id', autoIncrement: true, indexes: { createdAt: 'createdAt', stage: 'stage' } },
  metrics: { keyPath: ['runId', 'step'], indexes: { runId: 'runId' } },
  samples: { keyPath: ['runId', 'step'], indexes: { runId: 'runId' } },
  checkpoints: { keyPath: 'runId' },
  sftDatasets: { keyPath: 'id', autoIncrement: true, indexes: { createdAt: 'createdAt' } },
  preferenceDatasets: { keyPath: 'id', autoIncrement: true, indexes: { createdAt: 'createdAt' } },
  comparisons: { keyPath: 'id', autoIncrement: true, indexes: { datasetId: 'datasetId' } },
  labels: { keyPath: 'id', autoIncrement: true, indexes: { datasetId: 'datasetId', comparisonId: 'comparisonId', '[datasetId+annotator]': ['datasetId', 'annotator'] } },
};

test('a database of the previous version opens with everything kept, the old name on each dataset', { timeout: 60_000 }, async () => {
  const t = Date.now() - 60_000;
  const records = {
    runs: [{ id: 1, stage: 'sft', name: 'Old SFT run', source: 'train', createdAt: t, updatedAt: t, status: 'finished', step: 4, maxSteps: 4, startedFrom: 'base checkpoint', checkpointStep: 4 }],
    metrics: [1, 2].map((step) => ({ runId: 1, step, loss: 2 / step })),
    samples: [{ runId: 1, step: 4, samples: [] }],
    checkpoints: [{ runId: 1, step: 4, model: 'weights', config: '{}', tokenizer: '{}' }],
    sftDatasets: [{ id: 1, name: 'Old instructions', createdAt: t, updatedAt: t, source: 'manual', rows: [{ prompt: 'Hi', completion: 'Hello' }] }],
    preferenceDatasets: [
      { id: 1, name: 'Old stories', createdAt: t, updatedAt: t, guidelines: '', source: 'old' },
      { id: 2, name: 'Older stories', createdAt: t - 1, updatedAt: t - 1, guidelines: '', source: 'old' },
    ],
    comparisons: [{ id: 1, datasetId: 1, prompt: 'Write a story.', completions: ['A happy one.', 'A sad one.'], order: [1, 0] }],
    labels: [{ id: 1, datasetId: 1, comparisonId: 1, annotator: 'Zoe', simulated: false, ranking: [[0], [1]], createdAt: t }],
  };
  // Off the app (it would hold the database open), at its origin: the previous version's database and name.
  await page.goto(`${server.url}base/config.json`);
  await seedOldDatabase(page, 20, VERSION_2, records);
  await page.evaluate(() => localStorage.setItem('rlhf-playground:annotator', 'Zoe'));

  await page.goto(server.url);
  await page.getByRole('tab', { name: /Preferences/ }).click();
  await nameBecomes('Zoe');
  assert.match((await page.getByRole('combobox', { name: 'Preference dataset' }).first().locator('option:checked').textContent()) ?? '', /Old stories/);
  await page.getByRole('checkbox', { name: /^#1 Old SFT run / }).waitFor();

  for (const [store, list] of Object.entries(records)) {
    const stored = await readStore(page, store);
    assert.equal(stored.version, 30, 'upgraded to version 3');
    const expected = store === 'preferenceDatasets' ? list.map((d) => ({ ...d, annotator: 'Zoe' })) : list;
    assert.deepEqual(stored.records, expected, `${store} kept as it was`);
  }
  assert.deepEqual((await readStore(page, 'pageState')).records, []);
  assert.deepEqual(pageErrors, []);
});
