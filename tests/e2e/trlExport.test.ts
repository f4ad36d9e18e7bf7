/**
 * "Export to TRL" in the browser: with a fresh profile (no datasets yet) the button still exports
 * the stages that need only prompts (GRPO, PPO), says which it left out, and downloads a zip that
 * holds train.py, ppo.py, accelerate_config.yaml, config.json and README.md; with only data-hungry
 * stages ticked it shows why nothing was exported next to the button; with an SFT dataset built,
 * its rows are in the zip.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { readZip } from '../../src/core/export/zipReader.ts';
import { fill } from './actions.ts';
import { closeApp, openApp, type App } from './harness.ts';

let server: App['server'] | undefined;
let browser: App['browser'] | undefined;
let page: Page;
const pageErrors: string[] = [];

before(async () => {
  ({ server, browser, page } = await openApp(pageErrors));
});

after(() => closeApp({ browser, server }));

test('exports a zip with the defaults', { timeout: 60_000 }, async () => {
  await page.getByRole('heading', { name: 'Take it further: export to TRL' }).waitFor();
  assert.equal(await page.getByLabel('Model to train with TRL').inputValue(), 'HuggingFaceTB/SmolLM2-135M');
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export to TRL (zip)' }).click();
  const file = await download;
  assert.equal(file.suggestedFilename(), 'rlhf-playground-trl.zip');
  const entries = readZip(new Uint8Array(readFileSync(await file.path())));
  const names = entries.map((e) => e.name);
  for (const name of ['train.py', 'ppo.py', 'accelerate_config.yaml', 'config.json', 'README.md', 'rewards.py', 'requirements.txt', 'data/prompts.jsonl', 'data/afinn-165.json']) {
    assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
  }
  const read = (name: string) => new TextDecoder().decode(entries.find((e) => e.name === name)!.data);
  assert.match(read('requirements.txt'), /^trl>=1\.13,<2$/m);
  assert.match(read('accelerate_config.yaml'), /^num_processes: 1$/m);
  const config = JSON.parse(new TextDecoder().decode(entries.find((e) => e.name === 'config.json')!.data));
  assert.equal(config.model_name_or_path, 'HuggingFaceTB/SmolLM2-135M');
  // A fresh profile has no SFT dataset and no preference pairs: those stages are left out, and said so.
  assert.deepEqual(config.stages, ['grpo', 'ppo']);
  assert.equal(config.grpo.trainer, 'GRPOTrainer');
  await page.getByRole('status').filter({ hasText: 'Exported grpo, ppo' }).waitFor();
  assert.match(await page.getByRole('status').filter({ hasText: 'Exported' }).innerText(), /Left out: SFT/);
});

test('says why nothing was exported when the chosen stages have no data', { timeout: 30_000 }, async () => {
  await page.getByRole('checkbox', { name: /GRPO/ }).uncheck();
  await page.getByRole('checkbox', { name: /^PPO/ }).uncheck();
  await page.getByRole('button', { name: 'Export to TRL (zip)' }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'Nothing exported' });
  await alert.waitFor();
  assert.match(await alert.innerText(), /the ticked stages have no data yet/);
  assert.match(await alert.innerText(), /SFT \(no dataset yet/);
  // With nothing ticked, it asks for a stage.
  for (const name of [/Supervised/, /Reward model/, /Direct preference/]) await page.getByRole('checkbox', { name }).uncheck();
  await page.getByRole('button', { name: 'Export to TRL (zip)' }).click();
  await page.getByRole('alert').filter({ hasText: 'choose at least one stage to export' }).waitFor();
  assert.deepEqual(pageErrors, []);
});

test('exports the SFT tab\'s dataset row for row', { timeout: 60_000 }, async () => {
  await page.getByRole('tab', { name: /SFT/ }).click();
  await fill(page, 'Number of rows', '12');
  await page.getByRole('button', { name: 'Build dataset', exact: true }).click();
  await page.getByTestId('dataset-summary').filter({ hasText: '12 rows' }).waitFor();
  await page.getByRole('checkbox', { name: /Supervised fine-tuning/ }).check();
  await page.getByLabel('Model to train with TRL').fill('Qwen/Qwen2.5-0.5B');
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export to TRL (zip)' }).click();
  const entries = readZip(new Uint8Array(readFileSync(await (await download).path())));
  const read = (name: string) => new TextDecoder().decode(entries.find((e) => e.name === name)!.data);
  const config = JSON.parse(read('config.json'));
  assert.equal(config.model_name_or_path, 'Qwen/Qwen2.5-0.5B');
  // Only SFT is ticked now (the test above unticked the others).
  assert.deepEqual(config.stages, ['sft']);
  assert.equal(config.sft.trainer, 'SFTTrainer');
  const rows = read('data/sft.jsonl').trim().split('\n').map((line) => JSON.parse(line));
  assert.equal(rows.length, 12);
  assert.match(rows[0].prompt, /^Write a/);
  assert.equal(await page.getByRole('alert').filter({ hasText: 'Nothing exported' }).count(), 0);
  assert.deepEqual(pageErrors, []);
});
