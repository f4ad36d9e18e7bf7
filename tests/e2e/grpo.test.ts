/**
 * End-to-end test of the GRPO & RLOO stage in a real Chromium: the tab by keyboard after Policy
 * optimization, bad values named next to their fields, RLOO's own settings, "Try it on examples"
 * (scores, a failure with its line, a syntax error with its line), a tiny GRPO run from the shipped
 * base on wasm with the gold score, a built-in and a JavaScript function that fails on some
 * completions (charts get points, the sample table shows each function's score, the failures
 * panel shows the line, step and completion), "Use its settings", then a reload that finds the run.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { description, fill, waitForPoints } from './actions.ts';
import { closeApp, openApp, type App } from './harness.ts';

let server: App['server'];
let browser: App['browser'];
let page: Page;
const pageErrors: string[] = [];
const button = (name: string) => page.getByRole('button', { name, exact: true });
const textbox = (name: string) => page.getByRole('textbox', { name, exact: true });
const code = () => textbox('Reward function code');

/** Fails on completions of even length (about half), with the throw on line 3. */
const FLAKY = `(prompt, completion) => {
  // Half the completions fail: the run must go on.
  if (completion.length % 2 === 0) throw new Error('even length');
  return completion.length;
}`;

async function openGrpo(): Promise<void> {
  await page.getByRole('tab', { name: /GRPO & RLOO/ }).click();
  await page.getByRole('heading', { name: 'Group-relative policy optimization: GRPO and RLOO' }).waitFor();
}

async function addReward(label: string): Promise<void> {
  await page.getByRole('combobox', { name: 'Add a reward function' }).selectOption({ label });
  await button('Add').click();
}

before(async () => {
  ({ server, browser, page } = await openApp(pageErrors));
});

after(() => closeApp({ browser, server }));

test('the tab follows Policy optimization, by keyboard too', async () => {
  const policy = page.getByRole('tab', { name: /Policy optimization/ });
  await policy.click();
  await policy.focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.getByRole('tab', { name: /GRPO & RLOO/ }).getAttribute('aria-selected'), 'true');
  await page.getByRole('heading', { name: 'Group-relative policy optimization: GRPO and RLOO' }).waitFor();
  assert.deepEqual(pageErrors, []);
});

test('settings: bad values are named next to their fields; RLOO has its own', { timeout: 30_000 }, async () => {
  await openGrpo();
  assert.equal(await page.getByRole('combobox', { name: 'Policy checkpoint' }).inputValue(), 'base');
  assert.equal(await page.getByRole('radio', { name: /^GRPO/ }).isChecked(), true);
  assert.match(await description(page, 'Completions per prompt'), /TRL: num_generations/);
  assert.equal(await page.getByRole('heading', { name: /Gold score: gold/ }).count(), 1);
  const train = button('Train');
  assert.equal(await train.isEnabled(), true);

  await fill(page, 'Completions per prompt', '1');
  assert.match(await description(page, 'Completions per prompt'), /Must be/);
  assert.equal(await train.isEnabled(), false);
  assert.match((await page.locator('.blockers').textContent()) ?? '', /Completions per prompt: must be/);
  await fill(page, 'Completions per prompt', '8');
  await fill(page, 'Completions per step', '12');
  assert.match(await description(page, 'Completions per step'), /multiple of num_generations \(8\)/);
  await fill(page, 'Completions per step', '64');
  // The upper clip range may be empty (the same as the clip range), not junk.
  await fill(page, 'Upper clip range', 'abc');
  assert.match(await description(page, 'Upper clip range'), /Must be a number, or empty/);
  await fill(page, 'Upper clip range', '');
  assert.doesNotMatch(await description(page, 'Upper clip range'), /Must be/);
  await fill(page, 'Weight of gold', 'x');
  assert.match(await description(page, 'Weight of gold'), /Must be a number/);
  assert.match((await page.locator('.blockers').textContent()) ?? '', /Weight of gold: must be a number/);
  await fill(page, 'Weight of gold', '1');
  assert.equal(await train.isEnabled(), true);

  // A built-in shows what it rewards and its options, at their defaults.
  await addReward('Built-in: length');
  assert.equal(await textbox('target_words of length').inputValue(), '40');
  await fill(page, 'target_words of length', '0');
  assert.match((await page.locator('.blockers').textContent()) ?? '', /Options of length: length: target_words must be at least 1/);
  await button('Remove length').click();
  assert.equal(await train.isEnabled(), true);

  // RLOO: its KL weight default, normalize_advantages, and no GRPO-only settings.
  await page.getByRole('radio', { name: /^RLOO/ }).check();
  assert.equal(await textbox('KL weight').inputValue(), '0.05');
  await page.getByRole('checkbox', { name: 'Normalize advantages' }).waitFor();
  assert.equal(await page.getByRole('combobox', { name: 'Loss type' }).count(), 0);
  await page.getByRole('radio', { name: /^GRPO/ }).check();
  assert.equal(await textbox('KL weight').inputValue(), '0');
  await page.getByRole('combobox', { name: 'Loss type' }).waitFor();
  assert.deepEqual(pageErrors, []);
});

test('"Try it on examples" scores the built-in examples; failures and syntax errors say their line', { timeout: 60_000 }, async () => {
  await openGrpo();
  await addReward('JavaScript function');
  assert.match(await code().inputValue(), /sun/);
  assert.equal(await textbox('Name of the function').inputValue(), 'my_reward');
  await button('Try it on examples').click();
  const rows = page.getByTestId('reward-try-results').locator('tbody tr');
  await rows.first().waitFor({ timeout: 30_000 });
  assert.equal(await rows.count(), 6);
  const scores = (await rows.locator('td:last-child').allTextContents()).map((t) => t.trim());
  assert.ok(scores.every((s) => s === '0.000' || s === '1.000'), scores.join(', '));
  assert.ok(scores.includes('1.000'), 'one example mentions a sunny day');

  // Throws for the sad stories: those rows fail with the line, the others keep their scores.
  await code().fill("(prompt, completion) => {\n  if (prompt.includes('sad')) throw new Error('no sad stories');\n  return completion.length;\n}");
  assert.equal(await rows.count(), 0, 'results of the old code are hidden');
  await button('Try it on examples').click();
  await rows.first().waitFor({ timeout: 30_000 });
  const cells = (await rows.locator('td:last-child').allTextContents()).map((t) => t.trim());
  assert.ok(cells.some((t) => /^Failed \(line 2\): Error: no sad stories$/.test(t)), cells.join(' | '));
  assert.ok(cells.some((t) => /^\d+\.000$/.test(t)), cells.join(' | '));

  // A syntax error is shown with its line as the user types, and Try waits for a fix.
  await code().fill('(prompt, completion) => {\n  const x = ;\n  return 1;\n}');
  await page.getByTestId('reward-code-error').filter({ hasText: /^Line 2: syntax error/ }).waitFor();
  assert.equal(await button('Try it on examples').isEnabled(), false);
  assert.match((await page.locator('.blockers').textContent()) ?? '', /Code of my_reward: line 2: syntax error/);

  // Tab indents inside the box.
  await code().fill('');
  await code().press('Tab');
  assert.equal(await code().inputValue(), '  ');
  await button('Remove my_reward').click();
  assert.equal(await code().count(), 0);
  assert.deepEqual(pageErrors, []);
});

test('GRPO from the base with the gold score, a built-in and a JavaScript function', { timeout: 180_000 }, async () => {
  await openGrpo();
  await fill(page, 'Steps', '2');
  await fill(page, 'Completions per prompt', '4');
  await fill(page, 'Completions per step', '8');
  await fill(page, 'Completion length', '12');
  await addReward('Built-in: happy_words');
  await page.getByRole('heading', { name: /Built-in: happy_words/ }).waitFor();
  await addReward('JavaScript function');
  await fill(page, 'Name of the function', 'flaky');
  await code().fill(FLAKY);
  await fill(page, 'Weight of flaky', '0.5');
  assert.equal(await button('Train').isEnabled(), true);

  await button('Train').click();
  await page.getByTestId('grpo-phase').filter({ hasText: /Finished|Failed|Stopped/ }).waitFor({ timeout: 150_000 });
  const alert = await page.locator('.alert').allTextContents();
  assert.match((await page.getByTestId('grpo-phase').textContent()) ?? '', /Finished/, alert.join(' '));
  assert.match((await page.locator('.showing').textContent()) ?? '', /GRPO from the base checkpoint · gold \+ happy_words \+ flaky/);

  await waitForPoints(page, 'grpo-reward', [2, 2]);
  await waitForPoints(page, 'grpo-functions', [2, 2, 2]);
  await waitForPoints(page, 'grpo-kl', [2, 0]); // objective/kl; kl only with beta above 0
  await waitForPoints(page, 'grpo-entropy', [2]);
  await waitForPoints(page, 'grpo-clip', [2, 2, 2]);
  await waitForPoints(page, 'grpo-length', [2]);
  await waitForPoints(page, 'grpo-flat', [2, 2]);
  await waitForPoints(page, 'grpo-loss', [2]);
  await waitForPoints(page, 'grpo-failures', [2]); // rewards/flaky/failures: only JavaScript functions log them

  const table = page.getByTestId('grpo-samples');
  const headers = (await table.locator('thead th').allTextContents()).map((t) => t.trim());
  assert.deepEqual(headers, ['Completion', 'Reward', 'gold', 'happy_words', 'flaky', 'Advantage', 'Gold score']);
  const rows = table.locator('tbody tr');
  assert.equal(await rows.count(), 4);
  for (const row of await rows.all()) {
    const cells = (await row.locator('td').allTextContents()).map((t) => t.trim());
    assert.match(cells[2], /^-?\d+\.\d{3}$/, `gold: ${cells.join(' | ')}`);
    assert.match(cells[3], /^\d+\.000$/, `happy_words: ${cells.join(' | ')}`);
    assert.match(cells[4], /^(\d+\.000|–)$/, `flaky: ${cells.join(' | ')}`);
    assert.match(cells[5], /^([+−]\d+\.\d{3}|0\.000|–)$/, `advantage: ${cells.join(' | ')}`);
  }

  // The JavaScript function failed on even-length completions; the run went on, and says where.
  const count = (await page.getByTestId('reward-failure-count').textContent()) ?? '';
  assert.match(count, /\d+ failed calls? of flaky so far/);
  const first = (await page.locator('.failure-list li').first().textContent()) ?? '';
  assert.match(first, /Line 3 · step [12] · completion \d+: Error: even length/);
  assert.match(first, /Prompt: Write/);
  assert.deepEqual(pageErrors, []);
});

test('the overoptimization chart plots the run against sqrt(KL), and best-of-n joins it', { timeout: 120_000 }, async () => {
  // Gold and proxy, each as dots and a smoothed line, one point per step.
  await waitForPoints(page, 'overoptimization', [2, 2, 2, 2]);
  assert.match((await page.getByTestId('overoptimization-summary').textContent()) ?? '', /Gold is at -?\d\.\d\d|Gold peaked/);
  await button('Add the best-of-n baseline').click();
  await button('Measure best-of-n again').waitFor({ timeout: 100_000 });
  assert.equal(await page.getByRole('alert').filter({ hasText: /best-of-n/ }).count(), 0);
  // n = 1, 2, 4, 8, 16, 32 for gold and for the proxy.
  await waitForPoints(page, 'overoptimization', [2, 2, 2, 2, 6, 6]);
  assert.match((await page.locator('[data-chart="overoptimization"]').getAttribute('aria-label')) ?? '', /Best-of-n up to n = 32: gold (-?\d\.\d\d, ){5}-?\d\.\d\d\./);
  // The CSV: the 2 training steps, then n = 1 ... 32 of best-of-n.
  const download = page.waitForEvent('download');
  await button('Download Gold versus proxy: overoptimization data as CSV').click();
  const csv = readFileSync((await (await download).path())!, 'utf8').trim().split('\r\n');
  assert.equal(csv[0], 'kind,step or n,sqrt_kl,proxy reward,gold/score_mean');
  assert.deepEqual(csv.slice(1).map((line) => line.split(',').slice(0, 2).join(',')), ['training step,1', 'training step,2', 'best-of-n,1', 'best-of-n,2', 'best-of-n,4', 'best-of-n,8', 'best-of-n,16', 'best-of-n,32']);
  assert.deepEqual(pageErrors, []);
});

test('"Use its settings" puts the run\'s settings and reward functions back on the form', { timeout: 30_000 }, async () => {
  await fill(page, 'Steps', '9');
  await button('Remove happy_words').click();
  await button('Use its settings').click();
  assert.equal(await textbox('Steps').inputValue(), '2');
  assert.equal(await textbox('Completion length').inputValue(), '12');
  assert.equal(await textbox('Weight of flaky').inputValue(), '0.5');
  assert.equal(await page.getByRole('heading', { name: /Built-in: happy_words/ }).count(), 1);
  assert.equal(await code().inputValue(), FLAKY);
  assert.deepEqual(pageErrors, []);
});

test('after a reload the run, its charts and its samples come back', { timeout: 60_000 }, async () => {
  await page.reload();
  await page.getByRole('tab', { name: /Pretrain/ }).click();
  await page.getByRole('combobox', { name: 'Backend' }).selectOption('wasm');
  await openGrpo();
  const row = page.getByTestId('grpo-history-row').first();
  await row.waitFor();
  assert.match((await row.textContent()) ?? '', /GRPO from the base checkpoint · gold \+ happy_words \+ flaky.*finished/);
  await page.getByTestId('grpo-phase').filter({ hasText: 'Finished.' }).waitFor();
  await waitForPoints(page, 'grpo-reward', [2, 2]);
  await waitForPoints(page, 'grpo-functions', [2, 2, 2]);
  assert.equal(await page.getByTestId('grpo-samples').locator('tbody tr').count(), 4);
  // The best-of-n baseline was stored with the run.
  await waitForPoints(page, 'overoptimization', [2, 2, 2, 2, 6, 6]);
  assert.deepEqual(pageErrors, []);
});

test('the reward-hacking lesson sets the form and trains; its rerun adds the KL penalty', { timeout: 90_000 }, async () => {
  await button('Run: reward happy words, beta 0').click();
  await page.getByTestId('grpo-phase').filter({ hasText: /Running|Training|step/i }).first().waitFor({ timeout: 30_000 });
  assert.equal(await textbox('Steps').inputValue(), '40');
  assert.equal(await textbox('KL weight').inputValue(), '0');
  assert.equal(await textbox('Weight of happy_words').inputValue(), '1');
  assert.equal(await textbox('Weight of repetition').inputValue(), '0');
  assert.equal(await page.getByRole('heading', { name: /Gold score: gold/ }).count(), 0);
  await button('Stop').click();
  await page.getByTestId('grpo-phase').filter({ hasText: /Stopped|Finished/ }).waitFor({ timeout: 60_000 });
  assert.match((await page.locator('.showing').textContent()) ?? '', /happy_words \+ repetition/);

  await button('Again with a KL penalty (beta 0.1)').click();
  await page.getByTestId('grpo-phase').filter({ hasText: /Running|Training|step/i }).first().waitFor({ timeout: 30_000 });
  assert.equal(await textbox('KL weight').inputValue(), '0.1');
  await button('Stop').click();
  await page.getByTestId('grpo-phase').filter({ hasText: /Stopped|Finished/ }).waitFor({ timeout: 60_000 });
  assert.deepEqual(pageErrors, []);
});
