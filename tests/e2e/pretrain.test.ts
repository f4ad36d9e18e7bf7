/**
 * End-to-end tests of the Pretrain stage in a real Chromium (playwright-core) against `vite preview`.
 * Run `vite build` first; `npm run test:e2e` does both. The tests share one browser profile and
 * run in order: the reload test finds the runs the training tests made.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { chartValues, description, fill, trainTiny } from './actions.ts';
import { launchBrowser, startPreview, type Browser } from './harness.ts';

let server: Awaited<ReturnType<typeof startPreview>>;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
/** Where the exported checkpoint files are saved, to import them again. */
const exported = mkdtempSync(join(tmpdir(), 'rlhf-export-'));

before(async () => {
  server = await startPreview();
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  await page.goto(server.url);
  await page.getByRole('button', { name: 'Train', exact: true }).waitFor();
});

after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(exported, { recursive: true, force: true });
});

test('the page shows the stages and the controls, by role and name', async () => {
  for (const name of ['Pretrain', 'SFT', 'Preferences', 'Reward model', 'Policy optimization']) {
    assert.equal(await page.getByRole('tab', { name: new RegExp(name) }).count(), 1, `tab ${name}`);
  }
  const pretrain = page.getByRole('tab', { name: /Pretrain/ });
  assert.equal(await pretrain.getAttribute('aria-selected'), 'true');
  // Keyboard: the arrow key moves to the next stage, which says what it will do.
  await pretrain.focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.getByRole('tab', { name: /SFT/ }).getAttribute('aria-selected'), 'true');
  assert.match((await page.getByRole('tabpanel').textContent()) ?? '', /fine-tuning/);
  await page.keyboard.press('ArrowLeft');
  assert.equal(await pretrain.getAttribute('aria-selected'), 'true');

  for (const label of ['Learning rate', 'Warmup steps', 'Batch size', 'Training steps', 'Seed', 'Layers', 'Context length']) {
    assert.equal(await page.getByRole('textbox', { name: label, exact: true }).count(), 1, `text box ${label}`);
  }
  for (const label of ['Model size', 'Learning-rate schedule', 'Backend']) {
    assert.equal(await page.getByRole('combobox', { name: label }).count(), 1, `select ${label}`);
  }
  for (const label of [/Built-in stories/, /Upload a \.txt file/, /Byte-level BPE/, /Character-level/, /Scratch/]) {
    assert.equal(await page.getByRole('radio', { name: label }).count(), 1, `radio ${label}`);
  }
  for (const name of ['Train', 'Pause', 'Resume', 'Stop', 'Sample now']) {
    assert.equal(await page.getByRole('button', { name, exact: true }).count(), 1, `button ${name}`);
  }
  for (const name of ['Temperature', 'Top-k', 'Top-p']) {
    assert.equal(await page.getByRole('slider', { name: new RegExp(name) }).count(), 1, `slider ${name}`);
  }
  assert.equal(await page.getByRole('button', { name: 'Train', exact: true }).isEnabled(), true);
  assert.equal(await page.getByRole('button', { name: 'Pause' }).isEnabled(), false);
  assert.match((await page.getByText(/parameters/).first().textContent()) ?? '', /approximate/);
});

test('bad input shows a message next to the field and blocks training', async () => {
  const train = page.getByRole('button', { name: 'Train', exact: true });
  await fill(page, 'Learning rate', '-1');
  assert.match(await description(page, 'Learning rate'), /must be above 0/i);
  assert.equal(await train.isEnabled(), false, 'Train is disabled for a negative learning rate');
  await fill(page, 'Learning rate', 'abc');
  assert.match(await description(page, 'Learning rate'), /must be a number/i);
  assert.equal(await train.isEnabled(), false, 'Train is disabled for a learning rate that is not a number');
  await fill(page, 'Learning rate', '0.003');
  assert.doesNotMatch(await description(page, 'Learning rate'), /must/i);
  assert.equal(await train.isEnabled(), true);

  await page.getByRole('radio', { name: /Upload a \.txt file/ }).check();
  await page.getByLabel(/Text file/).setInputFiles({ name: 'empty.txt', mimeType: 'text/plain', buffer: Buffer.alloc(0) });
  await page.getByText(/empty\.txt is empty/).waitFor();
  assert.equal(await train.isEnabled(), false, 'Train is disabled without usable text');
  await page.getByLabel(/Text file/).setInputFiles({ name: 'blob.txt', mimeType: 'text/plain', buffer: Buffer.from([0x41, 0, 0x42, 0]) });
  await page.getByText(/blob\.txt looks binary/).waitFor();
  await page.getByRole('radio', { name: /Built-in stories/ }).check();
  assert.equal(await train.isEnabled(), true);
});

test('a tiny model trains on wasm: the loss falls, the charts and samples update', { timeout: 180_000 }, async () => {
  await trainTiny(page, { backend: 'wasm', steps: 30, batch: 4, model: { layers: 2, width: 48, heads: 4, context: 64 }, logEvery: 2, evalEvery: 10, sampleLength: 24 });
  const losses = await chartValues(page, 'loss');
  assert.ok(losses.length >= 10, `the loss chart has points (${losses.length})`);
  assert.ok(losses.at(-1)! < losses[0], `the loss fell: first ${losses[0]}, last ${losses.at(-1)}`);
  assert.ok((await chartValues(page, 'perplexity')).length >= 10, 'the perplexity chart has points');
  assert.equal(await page.getByTestId('active-backend').textContent(), 'wasm');
  assert.match((await page.getByTestId('stat-step').textContent()) ?? '', /^30/);
  assert.notEqual(await page.getByTestId('stat-tokens-per-second').textContent(), '–');
  assert.match((await page.getByTestId('samples-step').textContent()) ?? '', /step 30/);
  const samples = await page.getByTestId('samples').locator('li').allTextContents();
  assert.ok(samples.length > 0 && samples.every((s) => s.length > 0), 'the samples panel shows generations');
  assert.match((await page.getByTestId('checkpoint-status').textContent()) ?? '', /step 30/);
});

test('pause, resume and stop a run; the stopped run keeps its checkpoint', { timeout: 120_000 }, async () => {
  // The tiny wasm settings of the previous test, with room to stop early.
  await fill(page, 'Training steps', '5000');
  const button = (name: string) => page.getByRole('button', { name, exact: true });
  const phase = page.getByTestId('run-phase');
  const step = async () => Number(((await page.getByTestId('stat-step').textContent()) ?? '0').split('/')[0].replace(/,/g, ''));
  await button('Train').click();
  await button('Pause').and(page.locator(':enabled')).waitFor();
  assert.equal(await button('Train').isEnabled(), false, 'Train is disabled while training');
  assert.equal(await button('Resume').isEnabled(), false);
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="stat-step"]')?.textContent?.split('/')[0]) >= 4);

  await button('Pause').click();
  await phase.filter({ hasText: 'Paused' }).waitFor();
  assert.equal(await button('Pause').isEnabled(), false);
  assert.equal(await button('Resume').isEnabled(), true);
  await page.waitForTimeout(500);
  const pausedAt = await step();
  await page.waitForTimeout(1000);
  assert.equal(await step(), pausedAt, 'no steps while paused');

  await button('Resume').click();
  await phase.filter({ hasText: 'Training' }).waitFor();
  await page.waitForFunction((s) => Number(document.querySelector('[data-testid="stat-step"]')?.textContent?.split('/')[0]) > s, pausedAt);
  await button('Stop').click();
  await phase.filter({ hasText: 'Stopped' }).waitFor({ timeout: 60_000 });
  assert.match((await page.getByTestId('checkpoint-status').textContent()) ?? '', /checkpoint at step \d+/);
  assert.equal(await button('Train').isEnabled(), true);
});

test('a tiny model trains on webgpu (SwiftShader)', { timeout: 180_000 }, async () => {
  await trainTiny(page, { backend: 'webgpu', steps: 8, batch: 2, model: { layers: 1, width: 32, heads: 2, context: 32 }, logEvery: 1, evalEvery: 4, sampleLength: 8 });
  const losses = await chartValues(page, 'loss');
  assert.equal(losses.length, 8, 'one loss point per step');
  assert.ok(losses.every(Number.isFinite));
  assert.ok(losses.at(-1)! < losses[0], `the loss fell: first ${losses[0]}, last ${losses.at(-1)}`);
  assert.equal(await page.getByTestId('active-backend').textContent(), 'webgpu');
  assert.match((await page.getByTestId('samples-step').textContent()) ?? '', /step 8/);
});

test('after a reload the runs are in the history, with charts and checkpoints', { timeout: 120_000 }, async () => {
  await page.reload();
  const rows = page.getByTestId('history-row');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 3, 'all three runs are listed');
  assert.equal(await rows.filter({ hasText: 'stopped' }).count(), 1);
  assert.equal(await rows.filter({ hasText: 'webgpu' }).filter({ hasText: 'finished' }).count(), 1);
  const wasmRow = rows.filter({ hasText: 'wasm' }).filter({ hasText: 'finished' });
  assert.equal(await wasmRow.count(), 1);

  await wasmRow.getByRole('button', { name: /^Open run/ }).click();
  await page.getByTestId('checkpoint-status').filter({ hasText: /step 30/ }).waitFor();
  await page.waitForFunction(() => ((document.querySelector('[data-chart="loss"]') as HTMLElement & { data?: { x: number[] }[] })?.data?.[0]?.x.length ?? 0) >= 10);
  assert.ok((await chartValues(page, 'loss')).length >= 10, 'the loss chart is redrawn from storage');
  assert.ok((await page.getByTestId('samples').locator('li').count()) > 0, 'the stored samples are shown');

  // Export: one download per file, named as Hugging Face names them.
  for (const name of ['model.safetensors', 'config.json', 'tokenizer.json']) {
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: `Download ${name}` }).click();
    assert.equal((await download).suggestedFilename(), name);
    await (await download).saveAs(join(exported, name));
  }

  // Its checkpoint can continue training.
  await wasmRow.getByRole('button', { name: /^Continue training run/ }).click();
  assert.equal(await page.getByRole('radio', { name: /A previous run/ }).isChecked(), true);
  assert.match((await page.getByRole('combobox', { name: 'Run to continue' }).locator('option:checked').textContent()) ?? '', /step 30/);

  // Samples can be regenerated from the stored checkpoint.
  await page.getByRole('combobox', { name: 'Backend' }).selectOption('wasm');
  const before = await page.getByTestId('samples').textContent();
  await page.getByRole('button', { name: 'Sample now' }).click();
  await page.waitForFunction(
    (old) => document.querySelector('[data-testid="samples"]')?.textContent !== old || !!document.querySelector('.alert'),
    before,
    { timeout: 60_000 },
  );
  assert.deepEqual(await page.locator('.alert').allTextContents(), [], 'no failure message');
});

test('importing model files: all three become a run; a missing file is named', async () => {
  const input = page.getByLabel('Model files (choose all three together)');
  await input.setInputFiles([join(exported, 'config.json'), join(exported, 'tokenizer.json')]);
  await page.getByText('Missing model.safetensors').waitFor();
  // Files from a newer playground are refused whole, with the reason, and nothing is stored.
  const newer = join(exported, 'newer');
  mkdirSync(newer, { recursive: true });
  const config = JSON.parse(readFileSync(join(exported, 'config.json'), 'utf8'));
  config.rlhf_playground.format_version = 99;
  writeFileSync(join(newer, 'config.json'), JSON.stringify(config));
  const rowsBefore = await page.getByTestId('history-row').count();
  await input.setInputFiles([join(exported, 'model.safetensors'), join(newer, 'config.json'), join(exported, 'tokenizer.json')]);
  await page.getByText(/cannot be used as a checkpoint: these files were written by a newer version of the playground \(checkpoint format 99\).*Nothing was imported/).waitFor();
  assert.equal(await page.getByTestId('history-row').count(), rowsBefore, 'a refused import stores no run');
  await input.setInputFiles(['model.safetensors', 'config.json', 'tokenizer.json'].map((f) => join(exported, f)));
  await page.getByText(/Imported “/).waitFor();
  const imported = page.getByTestId('history-row').filter({ hasText: 'imported' });
  assert.equal(await imported.count(), 1);
  assert.match((await imported.textContent()) ?? '', /30/, 'the imported checkpoint keeps its step');
});

test('deleting a run asks first, then removes it', async () => {
  const rows = page.getByTestId('history-row');
  const count = await rows.count();
  const imported = rows.filter({ hasText: 'imported' });
  await imported.getByRole('button', { name: /^Delete run/ }).click();
  await imported.getByRole('button', { name: 'Keep it' }).click();
  assert.equal(await rows.count(), count, 'keeping it keeps it');
  await imported.getByRole('button', { name: /^Delete run/ }).click();
  await imported.getByRole('button', { name: 'Yes, delete' }).click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="history-row"]').length === n, count - 1);
});

test('a stored checkpoint continues training where it stopped', { timeout: 120_000 }, async () => {
  // After the reload the settings are the defaults; keep this run short.
  await fill(page, 'Number of stories', '300');
  await fill(page, 'Training steps', '6');
  await page.getByRole('combobox', { name: 'Backend' }).selectOption('wasm');
  assert.equal(await page.getByRole('radio', { name: /A previous run/ }).isChecked(), true);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await page.getByTestId('run-phase').filter({ hasText: /Finished|Failed|Stopped/ }).waitFor({ timeout: 90_000 });
  assert.match((await page.getByTestId('run-phase').textContent()) ?? '', /Finished/, (await page.locator('.alert').allTextContents()).join(' '));
  assert.match((await page.getByTestId('stat-step').textContent()) ?? '', /^36/, 'steps continue from the checkpoint (30 + 6)');
  assert.equal(await page.getByTestId('history-row').count(), 4);
});

test('the shipped base checkpoint trains further, when this build has one', { timeout: 120_000 }, async (t) => {
  const base = page.getByRole('radio', { name: /Base checkpoint/ });
  if (await base.isDisabled()) return t.skip('public/base/ is not in this build');
  await base.check();
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await page.getByTestId('run-phase').filter({ hasText: /Finished|Failed|Stopped/ }).waitFor({ timeout: 90_000 });
  assert.match((await page.getByTestId('run-phase').textContent()) ?? '', /Finished/, (await page.locator('.alert').allTextContents()).join(' '));
});

test('a context longer than the uploaded text: a message next to Context length, no run kept', { timeout: 60_000 }, async () => {
  const runsBefore = await page.getByTestId('history-row').count();
  await page.getByRole('radio', { name: /Scratch/ }).check();
  await page.getByRole('radio', { name: /Character-level/ }).check();
  await page.getByRole('combobox', { name: 'Model size' }).selectOption('tiny');
  await page.getByRole('radio', { name: /Upload a \.txt file/ }).check();
  await page.getByLabel(/Text file/).setInputFiles({ name: 'short.txt', mimeType: 'text/plain', buffer: Buffer.from('A very short text.\n\nAnd one more line.') });
  await page.getByText(/Using short\.txt/).waitFor();
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await page.waitForFunction(() => /longer than the corpus/.test(document.body.textContent ?? ''), undefined, { timeout: 30_000 });
  assert.match(await description(page, 'Context length'), /longer than the corpus/);
  assert.equal(await page.getByRole('button', { name: 'Train', exact: true }).isEnabled(), false);
  assert.equal(await page.getByTestId('history-row').count(), runsBefore, 'a refused run is not kept');
  await fill(page, 'Context length', '16');
  assert.doesNotMatch(await description(page, 'Context length'), /longer/);
  await page.getByRole('radio', { name: /Built-in stories/ }).check();
});

test('a full disk: training goes on and the page says what could not be saved', { timeout: 120_000 }, async () => {
  await page.evaluate(() => {
    IDBObjectStore.prototype.put = () => {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
  });
  await page.getByRole('radio', { name: /Scratch/ }).check();
  await page.getByRole('radio', { name: /Character-level/ }).check();
  await page.getByRole('combobox', { name: 'Model size' }).selectOption('tiny');
  await fill(page, 'Training steps', '4');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await page.getByTestId('run-phase').filter({ hasText: /Finished|Failed|Stopped/ }).waitFor({ timeout: 90_000 });
  assert.match((await page.getByTestId('run-phase').textContent()) ?? '', /Finished/);
  const alerts = await page.getByRole('alert').allTextContents();
  assert.ok(alerts.some((a) => /storage is full: could not save/i.test(a)), `a storage message (${alerts.join(' | ')})`);
  await page.reload();
});

test('no errors in the page', () => {
  assert.deepEqual(pageErrors, []);
});
