/**
 * End-to-end test of the guided lessons in a real Chromium: the Lessons button opens the list;
 * "Why the KL penalty" opens on its tab with its formula typeset by KaTeX (MathML keeping the TeX
 * source); Next and Back move through the steps, outlining the step's tab; the link holds the
 * lesson and step and a reload keeps them; a cheap "Do this step" (show the tab) works; another
 * lesson's Next switches the tab; a link to an unknown lesson or step says what it ignored; closing
 * the panel takes the lesson out of the link. No training runs here: each step's training is the
 * tab's own button, tested by that tab's e2e script.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { lessonById } from '../../src/lib/lessons.ts';
import { closeApp, openApp, type App } from './harness.ts';

let server: App['server'];
let browser: App['browser'];
let page: Page;
const pageErrors: string[] = [];
const button = (name: string) => page.getByRole('button', { name, exact: true });
const tab = (name: RegExp) => page.getByRole('tab', { name });

const KL = lessonById('kl-penalty')!;

async function selected(name: RegExp): Promise<void> {
  await page.waitForFunction((n) => document.querySelector('[role="tab"][aria-selected="true"]')?.textContent?.includes(n), name.source);
}

async function searchHas(part: string): Promise<string> {
  await page.waitForFunction((p) => location.search.includes(p), part);
  return page.evaluate(() => location.search);
}

before(async () => {
  ({ server, browser, page } = await openApp(pageErrors));
});

after(() => closeApp({ browser, server }));

test('a lesson opens on its tab with its formula typeset, and Next / Back move through its steps', { timeout: 60_000 }, async () => {
  await tab(/Pretrain/).click();
  const lessonsButton = button('Lessons');
  assert.equal(await lessonsButton.getAttribute('aria-expanded'), 'false');
  // By keyboard: the button opens the list.
  await lessonsButton.focus();
  await page.keyboard.press('Enter');
  assert.equal(await lessonsButton.getAttribute('aria-expanded'), 'true');
  for (const title of ['Your first RLHF run', 'Why the KL penalty', 'DPO without a reward model', 'Reward hacking', 'Noisy labels', 'Overoptimization']) {
    await button(title).waitFor();
  }
  await button('Why the KL penalty').click();

  await page.getByRole('heading', { name: 'Lesson: Why the KL penalty' }).waitFor();
  await page.getByRole('heading', { name: KL.steps[0].title }).waitFor();
  await page.getByText(`Step 1 of ${KL.steps.length}`).waitFor();
  await selected(/Policy optimization/);
  assert.match((await page.locator('#tab-policy').getAttribute('class')) ?? '', /lesson-target/);

  // The formula: KaTeX's HTML, and its MathML whose annotation holds the TeX.
  assert.ok((await page.locator('.lesson-panel .katex').count()) >= 1);
  const sources = await page.locator('.lesson-panel annotation[encoding="application/x-tex"]').allTextContents();
  assert.deepEqual(sources, KL.steps[0].formulas!.map((f) => f.tex));
  assert.equal(await page.locator('.lesson-panel .katex-error').count(), 0);

  assert.match(await searchHas('step=1'), /lesson=kl-penalty&step=1/);
  assert.equal(await button('Back').isDisabled(), true);
  await button('Next').click();
  await page.getByRole('heading', { name: KL.steps[1].title }).waitFor();
  await page.getByText(`Step 2 of ${KL.steps.length}`).waitFor();
  await button('Next').click();
  await page.getByRole('heading', { name: KL.steps[2].title }).waitFor();
  assert.match(await searchHas('step=3'), /lesson=kl-penalty&step=3/);
  await button('Back').click();
  await page.getByRole('heading', { name: KL.steps[1].title }).waitFor();
  await button('Next').click();
  await searchHas('step=3');
});

test('a reload keeps the lesson and its step', { timeout: 60_000 }, async () => {
  await page.reload();
  await page.getByRole('heading', { name: 'Lesson: Why the KL penalty' }).waitFor();
  await page.getByRole('heading', { name: KL.steps[2].title }).waitFor();
  await page.getByText(`Step 3 of ${KL.steps.length}`).waitFor();
  await selected(/Policy optimization/);
  // The step that trains offers its button; no PPO run exists, so it is not pressed here.
  await button(KL.steps[2].doLabel!).waitFor();
});

test('"Do this step" on a step that shows a tab brings that tab back', { timeout: 60_000 }, async () => {
  await button('Next').click();
  await page.getByRole('heading', { name: KL.steps[3].title }).waitFor();
  assert.equal(await button('Next').isDisabled(), true);
  await tab(/SFT/).click();
  await selected(/SFT/);
  await button('Show the Policy optimization tab').click();
  await selected(/Policy optimization/);
  assert.match(await searchHas('step=4'), /lesson=kl-penalty&step=4/);
});

test("another lesson's Next switches to the tab its step is about", { timeout: 60_000 }, async () => {
  const dpo = lessonById('dpo')!;
  await button('All lessons').click();
  await button('DPO without a reward model').click();
  await page.getByRole('heading', { name: dpo.steps[0].title }).waitFor();
  await selected(/Preferences/);
  await button('Next').click();
  await page.getByRole('heading', { name: dpo.steps[1].title }).waitFor();
  await selected(/Direct preference/);
  assert.match((await page.locator('#tab-dpo').getAttribute('class')) ?? '', /lesson-target/);
  assert.doesNotMatch((await page.locator('#tab-preferences').getAttribute('class')) ?? '', /lesson-target/);
  assert.match(await searchHas('lesson=dpo'), /lesson=dpo&step=2/);
});

test('closing the panel takes the lesson out of the link', { timeout: 60_000 }, async () => {
  await button('Close lessons').click();
  await page.waitForFunction(() => !location.search.includes('lesson='));
  assert.equal(await page.locator('#tab-dpo.lesson-target').count(), 0);
  assert.equal(await button('Lessons').getAttribute('aria-expanded'), 'false');
});

test('a link to an unknown lesson or a step it lacks says what it ignored', { timeout: 60_000 }, async () => {
  await page.goto(`${server.url}?stage=grpo&lesson=reward-hacking&step=9`);
  await page.getByRole('heading', { name: 'Lesson: Reward hacking' }).waitFor();
  await page.getByText('Step 1 of 3').waitFor();
  await page.getByText(/Some settings in the link were ignored.*step \(must be a whole number from 1 to 3\)/).waitFor();

  await page.goto(`${server.url}?stage=grpo&lesson=nope`);
  await page.getByText(/Some settings in the link were ignored.*lesson \(no lesson called "nope"\)/).waitFor();
  assert.equal(await button('Lessons').getAttribute('aria-expanded'), 'false');
  assert.deepEqual(pageErrors, []);
});
