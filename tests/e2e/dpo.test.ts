/**
 * End-to-end test of the Direct preference stage in a real Chromium: the tab by keyboard, a small
 * labeled preference file imported through the Preferences stage, a bad beta named next to Beta,
 * ORPO without the reference settings, a too-long max length refused by the engine next to its
 * field, a tiny DPO run from the shipped base on wasm (charts get points, the before/after samples
 * fill), "Use its settings", then a reload that finds the run again.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { description, fill, happyPairsJsonl, importPairs } from './actions.ts';
import { closeApp, openApp, type App } from './harness.ts';

let server: App['server'];
let browser: App['browser'];
let page: Page;
const pageErrors: string[] = [];
const button = (name: string) => page.getByRole('button', { name, exact: true });
const textbox = (name: string) => page.getByRole('textbox', { name, exact: true });

/** 24 TRL pairs: the happy ending chosen, the sad one rejected; the first prompt holds markup that must show as text. */
/** Points in each trace of a chart, as Plotly holds them. */
function points(chart: string): Promise<number[]> {
  return page.evaluate((id) => {
    const el = document.querySelector(`[data-chart="${id}"]`) as (HTMLElement & { data?: { y: number[] }[] }) | null;
    return (el?.data ?? []).map((t) => t.y.length);
  }, chart);
}

/** Waits until the first trace of each chart holds at least one point (charts redraw lazily). */
async function waitForCurves(charts: string[]): Promise<void> {
  await page.waitForFunction(
    (ids) =>
      ids.every((id) => {
        const el = document.querySelector(`[data-chart="${id}"]`) as (HTMLElement & { data?: { y: number[] }[] }) | null;
        return (el?.data?.[0]?.y.length ?? 0) > 0;
      }),
    charts,
    { timeout: 10_000 },
  );
}

async function openDpo(): Promise<void> {
  await page.getByRole('tab', { name: /Direct preference/ }).click();
  await page.getByRole('heading', { name: /Direct preference: learn straight from the pairs/ }).waitFor();
}

before(async () => {
  ({ server, browser, page } = await openApp(pageErrors));
});

after(() => closeApp({ browser, server }));

test('the tab is reachable by keyboard, after GRPO & RLOO', async () => {
  const grpo = page.getByRole('tab', { name: /GRPO & RLOO/ });
  await grpo.click();
  await grpo.focus();
  await page.keyboard.press('ArrowRight');
  const dpo = page.getByRole('tab', { name: /Direct preference/ });
  assert.equal(await dpo.getAttribute('aria-selected'), 'true');
  assert.equal(await dpo.evaluate((el) => el === document.activeElement), true, 'focus moved to the new tab');
  await page.getByRole('heading', { name: /Direct preference: learn straight from the pairs/ }).waitFor();
  await page.keyboard.press('Home');
  assert.equal(await page.getByRole('tab', { name: /Pretrain/ }).getAttribute('aria-selected'), 'true');
  await page.keyboard.press('End');
  assert.equal(await dpo.getAttribute('aria-selected'), 'true');
  assert.deepEqual(pageErrors, []);
});

test('settings: a bad beta is named next to Beta; ORPO hides the reference', { timeout: 30_000 }, async () => {
  await importPairs(page, 'happy.jsonl', happyPairsJsonl(true));

  await openDpo();
  assert.match((await page.getByRole('combobox', { name: 'Preference dataset' }).locator('option:checked').textContent()) ?? '', /happy\.jsonl/);
  await page.getByTestId('dpo-pair-count').filter({ hasText: '24 labeled pairs' }).waitFor();
  assert.equal(await page.getByRole('combobox', { name: 'Policy checkpoint' }).inputValue(), 'base');
  assert.equal(await page.getByRole('radio', { name: /^DPO/ }).isChecked(), true);
  assert.match(await description(page, 'Beta'), /TRL: beta/);
  assert.equal(await button('Train').isEnabled(), true);

  await fill(page, 'Beta', '0');
  assert.match(await description(page, 'Beta'), /Must be above 0/);
  assert.equal(await button('Train').isEnabled(), false);
  assert.match((await page.locator('.blockers').textContent()) ?? '', /Beta: must be above 0/);
  await fill(page, 'Beta', '0.1');
  assert.equal(await button('Train').isEnabled(), true);

  // Two loss types: a weight box each (TRL's loss_weights); the folded list's summary says what is ticked.
  const lossTypes = page.locator('details.loss-types');
  assert.match((await lossTypes.locator('summary').textContent()) ?? '', /Loss type: sigmoid/);
  await lossTypes.locator('summary').click();
  assert.equal(await page.getByRole('checkbox', { name: /^sigmoid/ }).isChecked(), true);
  assert.equal(await textbox('Weight of sigmoid').count(), 0);
  await page.getByRole('checkbox', { name: /^ipo/ }).check();
  assert.equal(await textbox('Weight of sigmoid').count(), 1);
  assert.equal(await textbox('Weight of ipo').count(), 1);
  await fill(page, 'Weight of ipo', '0.5');
  assert.match((await lossTypes.locator('summary').textContent()) ?? '', /Loss types: sigmoid × 1, ipo × 0\.5/);
  await page.getByRole('checkbox', { name: /^ipo/ }).uncheck();
  assert.equal(await textbox('Weight of sigmoid').count(), 0);

  assert.equal(await page.getByRole('combobox', { name: 'Reference checkpoint' }).count(), 1);
  await page.getByRole('radio', { name: /^ORPO/ }).check();
  assert.equal(await page.getByRole('combobox', { name: 'Reference checkpoint' }).count(), 0, 'ORPO has no reference model');
  assert.equal(await page.getByRole('checkbox', { name: 'No reference model' }).count(), 0);
  assert.equal(await page.getByRole('checkbox', { name: /Compute reference scores/ }).count(), 0);
  assert.equal(await page.getByRole('checkbox', { name: /^sigmoid/ }).count(), 0, 'the DPO loss types are hidden');
  assert.match(await description(page, 'Beta'), /λ/);
  await page.getByRole('radio', { name: /^DPO/ }).check();
  assert.equal(await page.getByRole('combobox', { name: 'Reference checkpoint' }).count(), 1);
  assert.deepEqual(pageErrors, []);
});

test('a tiny DPO run on wasm: curves, before/after samples, "Use its settings"', { timeout: 90_000 }, async () => {
  await fill(page, 'Training steps', '4');
  await fill(page, 'Batch size', '4');
  await fill(page, 'Evaluate every (steps)', '2');
  await page.locator('details.advanced', { hasText: 'Held-out fraction' }).locator('summary').click();
  await fill(page, 'Held-out fraction', '0.25');
  await fill(page, 'Prompts sampled at each evaluation', '4');
  await fill(page, 'Log every (steps)', '1');
  await page.getByRole('slider', { name: /Length/ }).fill('12');

  // Longer than the model's context: the engine refuses, and says so next to Max length; no run is kept.
  await fill(page, 'Max length (tokens)', '100');
  await button('Train').click();
  await page.getByText(/Must be at most the model's context, 64 tokens/).waitFor({ timeout: 20_000 });
  assert.match(await description(page, 'Max length (tokens)'), /Must be at most the model's context/);
  assert.equal(await page.getByTestId('dpo-history-row').count(), 0);
  await fill(page, 'Max length (tokens)', '64');
  assert.doesNotMatch(await description(page, 'Max length (tokens)'), /Must be/);

  await button('Train').click();
  await page.getByTestId('dpo-phase').filter({ hasText: /Finished|Failed|Stopped/ }).waitFor({ timeout: 75_000 });
  const alert = await page.locator('.alert').allTextContents();
  assert.match((await page.getByTestId('dpo-phase').textContent()) ?? '', /Finished/, alert.join(' '));
  assert.match((await page.locator('.controls').textContent()) ?? '', /\d+ training pairs, \d+ held out/);

  await waitForCurves(['dpo-loss', 'dpo-margins', 'dpo-accuracies', 'dpo-rewards', 'dpo-win-rate']);
  const loss = await points('dpo-loss');
  assert.ok(loss[0] >= 4 && loss[1] >= 1, `training and held-out loss have points (${loss})`);
  const win = await points('dpo-win-rate');
  assert.equal(win[1], win[0], 'the 0.5 line spans the win-rate points');

  const rows = page.getByTestId('dpo-samples').locator('tbody tr');
  assert.equal(await rows.count(), 4);
  assert.match((await rows.first().locator('th').textContent()) ?? '', /<b>cat<\/b>/, 'markup in a prompt is shown as text');
  assert.equal(await page.getByTestId('dpo-samples').locator('b').count(), 0);
  assert.match((await rows.first().getByTestId('dpo-sample-before').textContent()) ?? '', /gold score -?\d+\.\d\d/);
  assert.match((await rows.first().getByTestId('dpo-sample-after').textContent()) ?? '', /gold score -?\d+\.\d\d/);

  await fill(page, 'Training steps', '9');
  await fill(page, 'Beta', '0.3');
  await button('Use its settings').click();
  assert.equal(await textbox('Training steps').inputValue(), '4');
  assert.equal(await textbox('Beta').inputValue(), '0.1');
  assert.deepEqual(pageErrors, []);
});

test('after a reload the run, its curves and its samples come back', { timeout: 30_000 }, async () => {
  await page.reload();
  await openDpo();
  const row = page.getByTestId('dpo-history-row').first();
  await row.waitFor();
  assert.match((await row.textContent()) ?? '', /DPO from the base checkpoint · happy\.jsonl · all annotators · 24 pairs.*finished/);
  await page.getByTestId('dpo-phase').filter({ hasText: 'Finished.' }).waitFor();
  await waitForCurves(['dpo-loss', 'dpo-win-rate']);
  assert.equal(await page.getByTestId('dpo-samples').locator('tbody tr').count(), 4);
  assert.deepEqual(pageErrors, []);
});
