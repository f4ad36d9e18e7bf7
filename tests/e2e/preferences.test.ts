/**
 * End-to-end tests of the Preferences stage in a real Chromium: generate comparisons from the
 * shipped base checkpoint, label with shortcuts and buttons, undo, reload mid-labeling, run the
 * simulated annotator, see agreement, export TRL JSONL, import a file with a malformed line, and
 * check that imported HTML shows as text. The tests share one browser profile and run in order.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { fill } from './actions.ts';
import { closeApp, openApp, type App } from './harness.ts';

let server: App['server'];
let browser: App['browser'];
let page: Page;
const pageErrors: string[] = [];

const progress = () => page.getByTestId('label-progress');
const button = (name: string) => page.getByRole('button', { name, exact: true });

/** Moves focus out of text fields, so single-key shortcuts reach the labeling view. */
async function pressShortcut(key: string): Promise<void> {
  await page.getByRole('heading', { name: 'Label', exact: true }).click();
  await page.keyboard.press(key);
}

async function openPreferences(): Promise<void> {
  await page.getByRole('tab', { name: /Preferences/ }).click();
  await page.getByRole('heading', { name: /Preferences: pick the better answer/ }).waitFor();
}

before(async () => {
  ({ server, browser, page } = await openApp(pageErrors));
  await openPreferences();
});

after(() => closeApp({ browser, server }));

test('generate comparisons from the base checkpoint', { timeout: 90_000 }, async () => {
  assert.equal(await page.getByRole('combobox', { name: 'Sample from' }).inputValue(), 'base');
  await fill(page, 'Prompts', '3');
  await fill(page, 'Max new tokens', '12');
  await button('Generate comparisons').click();
  await progress().filter({ hasText: '0 of 3 labeled' }).waitFor({ timeout: 60_000 });
  assert.match((await page.getByTestId('label-prompt').textContent()) ?? '', /Write a story about a \w+\./);
  assert.ok(((await page.getByTestId('completion-A').textContent()) ?? '').length > 0, 'completion A is shown');
  assert.equal(await page.getByRole('combobox', { name: 'Preference dataset' }).count(), 1);
});

test('label with shortcuts and buttons, undo, and keep labels across a reload', { timeout: 60_000 }, async () => {
  // Without a name, labeling is refused with a message.
  assert.equal(await button('A is better').isEnabled(), false);
  await fill(page, 'Annotator name', 'Ada');
  assert.equal(await button('A is better').isEnabled(), true);
  for (const name of ['A is better', 'B is better', 'Tie', 'Discard', 'Undo']) assert.equal(await button(name).count(), 1, `button ${name}`);
  assert.match((await page.getByText(/Shortcuts:/).textContent()) ?? '', /1.*A better.*2.*B better.*T.*tie.*D.*discard.*Z/);

  await pressShortcut('1');
  await progress().filter({ hasText: '1 of 3 labeled' }).waitFor();
  await button('B is better').click();
  await progress().filter({ hasText: '2 of 3 labeled' }).waitFor();
  await pressShortcut('z');
  await progress().filter({ hasText: '1 of 3 labeled' }).waitFor();
  await button('Undo').click();
  await progress().filter({ hasText: '0 of 3 labeled' }).waitFor();
  await pressShortcut('2');
  await progress().filter({ hasText: '1 of 3 labeled' }).waitFor();

  await page.reload();
  await openPreferences();
  await progress().filter({ hasText: '1 of 3 labeled' }).waitFor();
  assert.equal(await page.getByRole('textbox', { name: 'Annotator name' }).inputValue(), 'Ada');
  await pressShortcut('t');
  await progress().filter({ hasText: '2 of 3 labeled' }).waitFor();
  await button('A is better').click();
  await page.getByTestId('labeling-done').waitFor();
  assert.match((await progress().textContent()) ?? '', /3 of 3 labeled/);
});

test('the simulated annotator labels in one click; agreement is shown', async () => {
  assert.match((await page.getByRole('heading', { name: /Simulated annotator/ }).textContent()) ?? '', /simulated/);
  await fill(page, 'Records to label', '3');
  await button('Label 3 records').click();
  await page.getByTestId('simulator-message').filter({ hasText: /simulated \(happy ending\) labeled 3 comparisons/ }).waitFor();
  const rows = page.getByTestId('kappa-table').locator('tbody tr');
  assert.equal(await rows.count(), 1);
  const cells = await rows.first().locator('td').allTextContents();
  assert.equal(cells[0], 'Ada');
  assert.match(cells[1], /^simulated \(happy ending\)\s*simulated$/);
  // Ada labeled all 3 (one tie): 3 shared items with the simulator.
  assert.equal(cells[2], '3');
  assert.match(cells[3], /^(-?\d\.\d{3}|–)$/);
  assert.match((await page.getByTestId('alpha').textContent()) ?? '', /^(-?\d\.\d{3}|–)$/);
});

test('export TRL JSONL', async () => {
  await page.getByRole('combobox', { name: 'Annotator to export' }).selectOption('Ada');
  const [download] = await Promise.all([page.waitForEvent('download'), button('Export TRL JSONL').click()]);
  const rows = readFileSync(await download.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  // Ada: two decisive labels and a tie -> 2 pairs.
  assert.equal(rows.length, 2);
  for (const row of rows) {
    assert.deepEqual(Object.keys(row), ['prompt', 'chosen', 'rejected']);
    assert.match(row.prompt, /^Write a story about a \w+\.\n$/);
    assert.notEqual(row.chosen, row.rejected);
  }
});

test('guidelines are markdown rendered as text', async () => {
  await button('Edit guidelines').click();
  await page.getByRole('textbox', { name: 'Guidelines (markdown)' }).fill('# Rules\n\nPrefer **happy** endings. <script>window.hacked = 1</script>');
  await button('Save guidelines').click();
  const guidelines = page.getByTestId('guidelines');
  await guidelines.getByRole('heading', { name: 'Rules' }).waitFor();
  assert.match((await guidelines.textContent()) ?? '', /<script>window\.hacked = 1<\/script>/);
  assert.equal(await guidelines.locator('script').count(), 0);
  assert.equal(await guidelines.locator('strong').textContent(), 'happy');
  assert.equal(await page.evaluate(() => (window as unknown as { hacked?: number }).hacked), undefined);
});

test('import: a malformed line is named; the valid rest imports on request; HTML shows as text', async () => {
  const file = [
    JSON.stringify({ prompt: '<b>x</b>', chosen: 'The cat smiled.', rejected: 'The cat cried.' }),
    '{"prompt": "broken',
    JSON.stringify({ prompt: 'Write a story about a dog.\n', chosen: 'Happy dog.', rejected: 'Sad dog.' }),
  ].join('\n');
  await page.getByRole('combobox', { name: 'Import into' }).selectOption('new');
  await page.getByLabel(/Preference file/).setInputFiles({ name: 'mixed.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(file) });
  const status = page.getByTestId('import-status');
  await status.getByText(/1 malformed line 2/).waitFor();
  assert.match((await status.textContent()) ?? '', /Line 2: not valid JSON/);
  await button('Import the 2 valid records').click();
  await status.getByText(/Imported 2 records from mixed\.jsonl/).waitFor();
  await progress().filter({ hasText: '0 of 2 labeled' }).waitFor();
  assert.equal(await page.getByTestId('label-prompt').textContent(), '<b>x</b>');
  assert.equal(await page.getByTestId('label-prompt').locator('b').count(), 0);

  // Not UTF-8: refused with the line named, nothing imported.
  await page.getByLabel(/Preference file/).setInputFiles({ name: 'latin1.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from([0x7b, 0x7d, 0x0a, 0xe9, 0x0a]) });
  await status.getByText(/latin1\.jsonl is not UTF-8 text: byte 4 \(line 2\)/).waitFor();

  // A labels file from a newer playground: refused whole with the version named, nothing imported.
  const newer = [1, 2].map((i) => JSON.stringify({ prompt: `Write story ${i}.`, chosen: 'Happy.', rejected: 'Sad.', annotator: 'Ada', playground_version: 3 })).join('\n');
  await page.getByLabel(/Preference file/).setInputFiles({ name: 'newer.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(newer) });
  await status.getByText(/Line 1 is marked playground_version 3, from a newer version of the playground.*Nothing was imported/).waitFor();
  assert.equal(await page.getByRole('button', { name: /^Import the/ }).count(), 0, 'no partial import offered');
  await progress().filter({ hasText: '0 of 2 labeled' }).waitFor();
  assert.deepEqual(pageErrors, []);
});
