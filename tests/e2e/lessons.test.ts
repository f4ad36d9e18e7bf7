/**
 * End-to-end test of the guided lessons in a real Chromium: the Lessons button opens the list;
 * "Why the KL penalty" opens on its tab with the step's control outlined and its formula typeset by
 * KaTeX (MathML keeping the TeX source) in a callout right after that control; Next and Back move
 * through the steps, moving the outline and the callout; the link holds the lesson and step and a
 * reload keeps them; a cheap "Do this step" (show the tab) works; another lesson's Next switches
 * the tab; a link to an unknown lesson or step says what it ignored; closing the panel takes the
 * lesson out of the link and the callout off the page. A link to a step whose control is on
 * another tab, hidden by the link, or folded away shows the formula in the panel, at the next
 * control, or unfolds it. The one training here is the KL lesson's rerun coming back to a page
 * with no run on screen: two tiny PPO runs of 2 iterations each.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { lessonById, type LessonStep } from '../../src/lib/lessons.ts';
import { closeApp, openApp, type App } from './harness.ts';

let server: App['server'];
let browser: App['browser'];
let page: Page;
const pageErrors: string[] = [];
const button = (name: string) => page.getByRole('button', { name, exact: true });
const tab = (name: RegExp) => page.getByRole('tab', { name });

const KL = lessonById('kl-penalty')!;

/** The element a lesson points at (its data-setting or data-lesson-target) around a control found by role and name. */
const targetOf = (control: Locator) => control.locator('xpath=ancestor-or-self::*[@data-setting or @data-lesson-target][1]');

/** Asserts the control is outlined and that the step's callout, with its formulas, is the element right after it. */
async function assertCalloutAt(control: Locator, step: LessonStep): Promise<void> {
  const target = targetOf(control);
  await target.and(page.locator('.lesson-target')).waitFor();
  const note = target.locator('xpath=following-sibling::*[1]').getByRole('note', { name: `Lesson: ${step.title}` });
  await note.waitFor();
  assert.equal(await page.getByRole('note', { name: /^Lesson: / }).count(), 1);
  assert.equal(await note.getByRole('math').count(), step.formulas!.length);
  for (const formula of step.formulas!) await note.getByRole('figure', { name: formula.label }).waitFor();
  assert.deepEqual(await note.locator('annotation[encoding="application/x-tex"]').allTextContents(), step.formulas!.map((f) => f.tex));
  assert.equal(await note.locator('.katex-error').count(), 0);
  // The panel says where the formulas went instead of repeating them.
  assert.equal(await page.locator('.lesson-panel .katex').count(), 0);
}

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

  // The formulas beside the KL coefficient (KaTeX's HTML, and MathML whose annotation holds the TeX); Adaptive KL outlined too.
  const klCoef = page.getByRole('textbox', { name: 'KL coefficient', exact: true });
  await assertCalloutAt(klCoef, KL.steps[0]);
  await targetOf(page.getByRole('checkbox', { name: 'Adaptive KL' })).and(page.locator('.lesson-target')).waitFor();
  await page.getByText('The formulas are shown next to the KL coefficient, outlined below.').waitFor();
  // "Go to" puts the keyboard on the control.
  await button('Go to the KL coefficient').click();
  assert.equal(await klCoef.evaluate((el) => el === document.activeElement), true);

  assert.match(await searchHas('step=1'), /lesson=kl-penalty&step=1/);
  assert.equal(await button('Back').isDisabled(), true);
  await button('Next').click();
  await page.getByRole('heading', { name: KL.steps[1].title }).waitFor();
  await page.getByText(`Step 2 of ${KL.steps.length}`).waitFor();
  // Next moves the outline and the callout: now at the Train button.
  await assertCalloutAt(button('Train'), KL.steps[1]);
  assert.equal(await targetOf(klCoef).and(page.locator('.lesson-target')).count(), 0);
  assert.equal(await page.getByRole('note', { name: `Lesson: ${KL.steps[0].title}` }).count(), 0);
  await button('Next').click();
  await page.getByRole('heading', { name: KL.steps[2].title }).waitFor();
  const rerunCard = page.getByRole('region', { name: 'Rerun with another KL setting' });
  await assertCalloutAt(rerunCard, KL.steps[2]);
  // Folding the panel away takes the callout with it; opening it again brings it back.
  await button('Lessons: Why the KL penalty').click();
  await page.getByRole('note', { name: /^Lesson: / }).waitFor({ state: 'detached' });
  assert.equal(await page.locator('.lesson-callout-host').count(), 0);
  await button('Lessons: Why the KL penalty').click();
  await assertCalloutAt(rerunCard, KL.steps[2]);
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
  await assertCalloutAt(page.getByRole('textbox', { name: 'Beta', exact: true }), lessonById('dpo')!.steps[1]);
  await button('Close lessons').click();
  await page.waitForFunction(() => !location.search.includes('lesson='));
  assert.equal(await page.locator('#tab-dpo.lesson-target').count(), 0);
  // The outline and the callout go with the lesson.
  assert.equal(await page.locator('.lesson-target').count(), 0);
  assert.equal(await page.getByRole('note', { name: /^Lesson: / }).count(), 0);
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

test('a link to a step whose control is on another tab shows the formula in the panel until the tab opens', { timeout: 60_000 }, async () => {
  await page.goto(`${server.url}?stage=sft&lesson=kl-penalty&step=4`);
  await page.getByRole('heading', { name: KL.steps[3].title }).waitFor();
  await selected(/SFT/);
  await page.getByText('The formula is shown beside the KL chart once the Policy optimization tab is open; meanwhile here:').waitFor();
  assert.deepEqual(await page.locator('.lesson-panel annotation[encoding="application/x-tex"]').allTextContents(), KL.steps[3].formulas!.map((f) => f.tex));
  await button('Open the Policy optimization tab').click();
  await selected(/Policy optimization/);
  await assertCalloutAt(page.getByRole('figure', { name: 'KL from the start' }), KL.steps[3]);
});

test('a control the link hides passes the callout to the next one; a folded card is unfolded', { timeout: 60_000 }, async () => {
  await page.goto(`${server.url}?stage=policy&lesson=kl-penalty&step=1&hide=ppo.kl_coef`);
  await page.getByRole('heading', { name: KL.steps[0].title }).waitFor();
  assert.equal(await page.getByRole('textbox', { name: 'KL coefficient', exact: true }).count(), 0);
  await assertCalloutAt(page.getByRole('checkbox', { name: 'Adaptive KL' }), KL.steps[0]);

  await page.goto(`${server.url}?stage=policy&lesson=kl-penalty&step=1&hide=ppo.kl_coef,ppo.adap_kl_ctrl`);
  await page.getByText('The link that opened this page hides the KL coefficient, so the formulas are here:').waitFor();
  assert.equal(await page.locator('.lesson-panel .katex').count() > 0, true);
  assert.equal(await page.getByRole('note', { name: /^Lesson: / }).count(), 0);

  // The loss types are folded under a summary: the step about IPO unfolds them.
  const noisy = lessonById('noisy-labels')!;
  await page.goto(`${server.url}?stage=dpo&lesson=noisy-labels&step=3`);
  await page.getByRole('heading', { name: noisy.steps[2].title }).waitFor();
  const lossTypes = page.getByRole('group', { name: 'Loss types', exact: true });
  await assertCalloutAt(lossTypes, noisy.steps[2]);
  assert.equal(await page.locator('details[data-lesson-target="dpo-loss-types"]').evaluate((d) => (d as HTMLDetailsElement).open), true);
  assert.deepEqual(pageErrors, []);
});

test('coming back later, the KL rerun reopens the newest finished PPO run and reruns it without the penalty', { timeout: 240_000 }, async () => {
  // Tiny settings in the link: 2 iterations of 2 responses of 8 tokens, one PPO epoch.
  const tiny = 'ppo.max_steps=2&ppo.per_device_train_batch_size=2&ppo.response_length=8&ppo.num_ppo_epochs=1';
  await page.goto(`${server.url}?stage=policy&${tiny}`);
  await button('Train').click();
  await page.getByTestId('ppo-phase').filter({ hasText: /Finished|Failed|Stopped/ }).waitFor({ timeout: 100_000 });
  assert.equal(await page.getByTestId('ppo-phase').textContent(), 'Finished.');

  // A fresh page on another tab: no PPO run on screen until the step reopens one.
  await page.goto(`${server.url}?stage=sft&lesson=kl-penalty&step=3`);
  await page.getByRole('heading', { name: KL.steps[2].title }).waitFor();
  await button(KL.steps[2].doLabel!).click();
  await page.getByText('This step has run: its tab shows the charts and samples. Go on with Next.').waitFor({ timeout: 100_000 });
  await selected(/Policy optimization/);
  assert.match((await page.getByTestId('ppo-rerun-current').textContent()) ?? '', /used kl_coef=0\./);
  assert.deepEqual(pageErrors, []);
});
