/**
 * End-to-end test of the KL lesson on the Policy tab in a real Chromium: a tiny PPO run with
 * kl_coef 0.05 (and the default adaptive KL), then "Rerun with KL coefficient 0" (fixed) in one
 * click; the charts then draw the new run and, beside it, the first one, labelled by its KL
 * setting; unticking it takes it off the charts.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { fill, traceNames, waitForPoints } from './actions.ts';
import { closeApp, openApp, type App } from './harness.ts';

let server: App['server'];
let browser: App['browser'];
let page: Page;
const pageErrors: string[] = [];
const button = (name: string) => page.getByRole('button', { name, exact: true });

async function waitForFinished(runId: number): Promise<void> {
  await page.getByTestId('ppo-rerun-current').filter({ hasText: `#${runId}` }).waitFor({ timeout: 30_000 });
  await page.getByTestId('ppo-phase').filter({ hasText: /Finished|Failed|Stopped/ }).waitFor({ timeout: 90_000 });
  const alert = await page.locator('.alert').allTextContents();
  assert.match((await page.getByTestId('ppo-phase').textContent()) ?? '', /Finished/, alert.join(' '));
}

before(async () => {
  ({ server, browser, page } = await openApp(pageErrors));
});

after(() => closeApp({ browser, server }));

test('rerun with KL coefficient 0 in one click; the first run overlays the charts', { timeout: 240_000 }, async () => {
  await page.getByRole('tab', { name: /Policy optimization/ }).click();
  await page.getByRole('heading', { name: /Policy optimization: PPO/ }).waitFor();
  // Nothing to rerun yet: the button says why it is off.
  assert.equal(await page.getByRole('button', { name: /^Rerun with KL/ }).isEnabled(), false);

  await fill(page, 'Iterations', '2');
  await fill(page, 'Batch size', '2');
  await fill(page, 'Response length', '8');
  await fill(page, 'KL coefficient', '0.05');
  const adaptiveKl = page.getByRole('checkbox', { name: 'Adaptive KL' });
  await adaptiveKl.check();
  await fill(page, 'KL target', '3');
  await button('Train').click();
  await waitForFinished(1);
  await waitForPoints(page, 'ppo-kl', [2, 2]); // the KL and the adaptive controller's target
  assert.match((await page.getByTestId('ppo-rerun-current').textContent()) ?? '', /kl_coef=0\.05, target=3/);

  // After an adaptive run the control offers its KL target first; a fixed coefficient on request.
  assert.equal(await button('Rerun with KL target 3').isEnabled(), true);
  await page.getByRole('radio', { name: /KL coefficient, fixed/ }).check();
  // The box offers 0 after a penalised run; typed here anyway, as a teacher would.
  await fill(page, 'New KL coefficient', '0');
  await button('Rerun with KL coefficient 0').click();
  await waitForFinished(2);
  // The form shows what trained.
  assert.equal(await page.getByRole('textbox', { name: 'KL coefficient', exact: true }).inputValue(), '0');
  assert.equal(await adaptiveKl.isChecked(), false);
  assert.match((await page.getByTestId('ppo-rerun-current').textContent()) ?? '', /used kl_coef=0\./);

  // The new run's curve first, then the first run's beside it, named by its kl_coef.
  await waitForPoints(page, 'ppo-kl', [2, 2]);
  const names = await traceNames(page, 'ppo-kl');
  assert.equal(names[0], 'KL');
  assert.match(names[1], /^KL · #1 kl_coef=0\.05, target=3$/);
  await waitForPoints(page, 'ppo-reward', [2, 2, 2, 2]);
  assert.match((await page.locator('[data-chart="ppo-kl"]').getAttribute('aria-label')) ?? '', /Earlier runs.*kl_coef=0\.05/);
  assert.match((await page.locator('figure', { has: page.locator('[data-chart="ppo-kl"]') }).locator('.chart-legend').textContent()) ?? '', /KL · #1 kl_coef=0\.05/);

  // Untick the first run: it leaves the charts; tick it again: it comes back.
  const first = page.getByRole('checkbox', { name: /Show run #1 on the charts/ });
  assert.equal(await first.isChecked(), true);
  assert.equal(await page.getByRole('checkbox', { name: /Show run #2 on the charts/ }).isDisabled(), true, 'the run on screen is always drawn');
  await first.uncheck();
  await waitForPoints(page, 'ppo-kl', [2]);
  assert.deepEqual(await traceNames(page, 'ppo-kl'), ['KL']);
  await first.check();
  await waitForPoints(page, 'ppo-kl', [2, 2]);
  assert.deepEqual(pageErrors, []);
});
