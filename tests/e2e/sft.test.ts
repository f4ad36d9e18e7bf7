/**
 * End-to-end tests of the SFT stage in a real Chromium against `vite preview`: build a dataset,
 * edit it in the table, import a file with a bad line, fine-tune the shipped base on wasm, and find
 * everything again after a reload. The tests share one browser profile and run in order.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { fill } from './actions.ts';
import { launchBrowser, startPreview, type Browser } from './harness.ts';

let server: Awaited<ReturnType<typeof startPreview>>;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

const textbox = (name: string) => page.getByRole('textbox', { name, exact: true });
const button = (name: string) => page.getByRole('button', { name, exact: true });
const summary = () => page.getByTestId('dataset-summary').textContent();
/** Waits until a chart's first trace has at least n points, as Plotly holds them (charts redraw in their own tasks). */
const chartPoints = (id: string, n: number) =>
  page.waitForFunction(
    ([chart, min]) => ((document.querySelector(`[data-chart="${chart}"]`) as HTMLElement & { data?: { y: number[] }[] })?.data?.[0]?.y.length ?? 0) >= min,
    [id, n] as const,
    { timeout: 10_000 },
  );

async function selectDataset(name: RegExp): Promise<void> {
  const select = page.getByRole('combobox', { name: 'Dataset' });
  const options = await select.locator('option').allTextContents();
  await select.selectOption({ index: options.findIndex((o) => name.test(o)) });
}

before(async () => {
  server = await startPreview();
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  await page.goto(server.url);
  await page.getByRole('tab', { name: /SFT/ }).click();
  await button('Build dataset').waitFor();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('build a built-in instruction set, then edit, add and delete rows in the table', async () => {
  assert.match((await page.getByRole('tabpanel').textContent()) ?? '', /fine-tuning/);
  assert.equal(await button('Train').isEnabled(), false, 'no dataset yet: Train is disabled');
  await page.getByRole('combobox', { name: 'Kind of request' }).selectOption('mood_topic');
  await fill(page, 'Number of rows', '40');
  await fill(page, 'Dataset seed', '1');
  await button('Build dataset').click();
  await page.getByTestId('dataset-summary').filter({ hasText: '40 rows' }).waitFor();
  assert.match(await textbox('Prompt of row 1').inputValue(), /^Write a (happy|sad) story about an? \w+\.\n$/);
  assert.match(await textbox('Completion of row 1').inputValue(), /\w+/);
  assert.equal(await page.getByTestId('dataset-row').count(), 10, 'ten rows a page');

  await textbox('Prompt of row 1').fill('Write a happy story about a lion.\n');
  await button('Add a row').click();
  await textbox('Prompt of row 41').fill('Write a sad story about a pig.\n');
  await textbox('Completion of row 41').fill('Once upon a time, a pig named Tom had a red ball. One day, the ball fell into the pond. Tom cried and went home alone.');
  assert.match(await summary() ?? '', /41 rows/);
  await page.getByTestId('rows-shown').filter({ hasText: 'Rows 41–41 of 41' }).waitFor();
  await button('Previous rows').click();
  await button('Previous rows').click();
  await button('Previous rows').click();
  await button('Previous rows').click();
  const second = await textbox('Prompt of row 2').inputValue();
  await button('Delete row 2').click();
  assert.match(await summary() ?? '', /40 rows/);
  assert.notEqual(await textbox('Prompt of row 2').inputValue(), second, 'row 2 is gone');
  assert.equal(await textbox('Prompt of row 1').inputValue(), 'Write a happy story about a lion.\n');
  assert.equal(await button('Train').isEnabled(), true);

  // An empty completion blocks training and says which row.
  await textbox('Completion of row 3').fill('');
  await page.locator('#sft-blockers').filter({ hasText: /row 3 has an empty completion/ }).waitFor();
  assert.equal(await button('Train').isEnabled(), false);
  await textbox('Completion of row 3').fill('Once upon a time, a cat named Amy had a kite. The kite flew away. Amy smiled and was happy again.');
  assert.equal(await button('Train').isEnabled(), true);
});

test('importing a JSONL file with a malformed line names the line and imports the rest only when asked', async () => {
  const lines = [
    JSON.stringify({ prompt: 'Write a happy story about a dog.\n', completion: 'Once upon a time, a dog named Max had a ball. He smiled and was happy.' }),
    JSON.stringify({ messages: [{ role: 'user', content: 'Write a sad story about a cat.' }, { role: 'assistant', content: 'Once upon a time, a cat named Sue lost her hat. She cried.' }] }),
    '{"prompt": "Write a story about a fox.\\n", "completion": ',
    JSON.stringify({ prompt: '<b>Write</b> a story about a hen.\n', completion: '<img src=x onerror=alert(1)> A hen.' }),
  ];
  await page.getByText('Import a file (JSONL, JSON or CSV)').click();
  await page.getByLabel('Dataset file').setInputFiles({ name: 'mixed.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(lines.join('\n')) });
  const problems = page.getByRole('alert').filter({ hasText: /line 3 cannot be used/ });
  await problems.waitFor();
  assert.match((await problems.textContent()) ?? '', /line 3: not valid JSON/);
  // Chat records: the template is shown and editable, with a preview.
  const template = textbox('Chat template');
  assert.match(await template.inputValue(), /user: \{content\}\\n/);
  await page.getByRole('button', { name: 'User: / Assistant: prefixes' }).click();
  assert.match(await template.inputValue(), /user: User: \{content\}/);
  assert.match((await page.getByTestId('template-preview').textContent()) ?? '', /Write a happy story about a dog/);
  // Nothing is stored until the user agrees.
  assert.match(await summary() ?? '', /40 rows/);
  await button('Import the 3 valid rows').click();
  await page.getByTestId('dataset-summary').filter({ hasText: '3 rows' }).waitFor();
  assert.equal(await textbox('Prompt of row 2').inputValue(), 'User: Write a sad story about a cat.\nAssistant: ');
  // Imported text is text: no element was created from it.
  assert.equal(await textbox('Prompt of row 3').inputValue(), '<b>Write</b> a story about a hen.\n');
  assert.equal(await page.locator('img[src="x"]').count(), 0);

  // Misnamed columns: a message saying which, and which names are accepted; nothing imported.
  await page.getByLabel('Dataset file').setInputFiles({ name: 'qa.csv', mimeType: 'text/csv', buffer: Buffer.from('question,answer\nHi,Hello\n') });
  await page.getByText(/qa\.csv has none of the accepted fields .*rename "question" to "prompt"/).waitFor();
  await page.getByLabel('Dataset file').setInputFiles({ name: 'latin1.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from([0x7b, 0xe9, 0x7d]) });
  await page.getByText(/latin1\.jsonl is not valid UTF-8/).waitFor();
  assert.match(await summary() ?? '', /3 rows/);
});

test('fine-tune the shipped base on wasm: charts update, before and after samples side by side', { timeout: 150_000 }, async () => {
  await selectDataset(/^Built-in/);
  await page.getByTestId('dataset-summary').filter({ hasText: '40 rows' }).waitFor();
  assert.equal(await page.getByRole('combobox', { name: 'Start from' }).inputValue(), 'base');
  assert.equal(await page.getByRole('checkbox', { name: /Loss on the completion only/ }).isChecked(), true);
  await fill(page, 'Training steps', '6');
  await fill(page, 'Batch size', '4');
  const advanced = page.locator('details.advanced', { hasText: 'Log every' });
  await advanced.locator('summary').click();
  await fill(page, 'Log every (steps)', '1');
  await fill(page, 'Evaluate every (steps)', '3');
  await fill(page, 'Sample every (steps)', '3');
  await page.getByRole('slider', { name: /Length/ }).fill('24');
  await page.getByRole('combobox', { name: 'Backend' }).selectOption('wasm');

  const t0 = Date.now();
  await button('Train').click();
  await page.getByTestId('sft-phase').filter({ hasText: /Finished|Failed|Stopped/ }).waitFor({ timeout: 120_000 });
  const phase = await page.getByTestId('sft-phase').textContent();
  assert.match(phase ?? '', /Finished/, `the run finished (${phase} ${(await page.locator('.alert').allTextContents()).join(' ')})`);
  console.log(`# 6 SFT steps from the base on wasm (with eval and samples): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  assert.equal(await page.getByTestId('sft-backend').textContent(), 'wasm');
  assert.match((await page.getByTestId('sft-stat-step').textContent()) ?? '', /^6 \/ 6/);
  await chartPoints('sft-loss', 6); // a point per step
  await chartPoints('sft-accuracy', 6);
  assert.match((await page.getByTestId('sft-stat-accuracy').textContent()) ?? '', /%$/);
  assert.match((await page.getByTestId('sft-samples-step').textContent()) ?? '', /After step 6/);
  const beforeCells = await page.getByTestId('sample-before').allTextContents();
  const afterCells = await page.getByTestId('sample-after').allTextContents();
  assert.equal(beforeCells.length, 4);
  assert.ok(beforeCells.every((t) => t.trim().length > 0) && afterCells.every((t) => t.trim().length > 0 && !/appears while training/.test(t)), 'before and after answers are shown');
});

test('after a reload the run, its charts and samples, and both datasets are still there', { timeout: 60_000 }, async () => {
  await page.reload();
  await page.getByRole('combobox', { name: 'Dataset' }).waitFor();
  const rows = page.getByTestId('sft-history-row');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 1);
  assert.match((await rows.first().textContent()) ?? '', /finished/);
  // The latest run is shown again.
  await chartPoints('sft-loss', 6);
  assert.match((await page.getByTestId('sft-samples-step').textContent()) ?? '', /After step 6/);
  assert.ok((await page.getByTestId('sample-before').allTextContents()).every((t) => t.trim().length > 0));

  // Both datasets, with the edits.
  const options = await page.getByRole('combobox', { name: 'Dataset' }).locator('option').allTextContents();
  assert.ok(options.some((o) => /^Built-in.*\(40 rows\)/.test(o)), options.join(' | '));
  assert.ok(options.some((o) => /^mixed\.jsonl.*\(3 rows\)/.test(o)), options.join(' | '));
  await selectDataset(/^Built-in/);
  assert.equal(await textbox('Prompt of row 1').inputValue(), 'Write a happy story about a lion.\n');

  // The finished run's checkpoint can be started from, here and in later stages.
  const starts = await page.getByRole('combobox', { name: 'Start from' }).locator('option').allTextContents();
  assert.ok(starts.some((o) => /#\d+ sft · .*step 6/.test(o)), starts.join(' | '));
  await rows.first().getByRole('button', { name: /^Fine-tune further/ }).click();
  assert.match(await page.getByRole('combobox', { name: 'Start from' }).inputValue(), /^run:\d+$/);
});

test('pause, resume and stop a fine-tuning run; the stopped run keeps its checkpoint', { timeout: 90_000 }, async () => {
  // After the reload the settings are the defaults again: short samples, a metric row per step.
  await fill(page, 'Training steps', '2000');
  await fill(page, 'Batch size', '2');
  await page.locator('details.advanced', { hasText: 'Log every' }).locator('summary').click();
  await fill(page, 'Log every (steps)', '1');
  await page.getByRole('slider', { name: /Length/ }).fill('8');
  await page.getByRole('combobox', { name: 'Backend' }).selectOption('wasm');
  await button('Train').click();
  const step = async () => Number(((await page.getByTestId('sft-stat-step').textContent()) ?? '0').split('/')[0].replace(/,/g, ''));
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="sft-stat-step"]')?.textContent?.split('/')[0].replace(/,/g, '')) >= 2, undefined, { timeout: 60_000 });
  await button('Pause').click();
  await page.getByTestId('sft-phase').filter({ hasText: 'Paused' }).waitFor();
  await page.waitForTimeout(400);
  const pausedAt = await step();
  await page.waitForTimeout(800);
  assert.equal(await step(), pausedAt, 'no steps while paused');
  await button('Resume').click();
  await page.waitForFunction((s) => Number(document.querySelector('[data-testid="sft-stat-step"]')?.textContent?.split('/')[0].replace(/,/g, '')) > s, pausedAt);
  await button('Stop').click();
  await page.getByTestId('sft-phase').filter({ hasText: 'Stopped' }).waitFor({ timeout: 60_000 });
  const stopped = page.getByTestId('sft-history-row').filter({ hasText: 'stopped' });
  await stopped.waitFor();
  const starts = await page.getByRole('combobox', { name: 'Start from' }).locator('option').allTextContents();
  assert.equal(starts.filter((o) => / sft · /.test(o)).length, 2, `the stopped run's checkpoint is offered too (${starts.join(' | ')})`);
});

test('no errors in the page', () => {
  assert.deepEqual(pageErrors, []);
});
