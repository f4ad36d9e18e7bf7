/**
 * End-to-end test of the settings in the URL, in a real Chromium: a link opens its tab with its
 * settings; editing a field rewrites the address and a reload keeps it; hide= leaves a control
 * out; "Copy link to these settings" copies the address (or shows it selected); an old #stage link still works; a hostile
 * link (unknown stage, wrong types, out-of-range values, 100 KB of text, __proto__ keys) opens
 * with the defaults for those fields and a notice naming what was ignored, without page errors.
 * The starting checkpoints, the Policy tab's reward and the GRPO tab's reward functions travel
 * too, runs named by stage and name: found in this browser's history, or reported missing; a
 * JavaScript reward brought by a link is shown in its editor, with a notice.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { fill } from './actions.ts';
import { closeApp, openApp, type App } from './harness.ts';
import { addRecords } from './seed.ts';

let server: App['server'];
let browser: App['browser'];
let page: Page;
const pageErrors: string[] = [];
const textbox = (name: string) => page.getByRole('textbox', { name, exact: true });
const tab = (name: RegExp) => page.getByRole('tab', { name });

/** Opens the app at a query (or hash) and waits for the tab it should land on. */
async function openAt(suffix: string, landsOn: RegExp): Promise<void> {
  await page.goto(server.url + suffix);
  await page.waitForFunction((name) => document.querySelector('[role="tab"][aria-selected="true"]')?.textContent?.includes(name), landsOn.source);
  assert.equal(await tab(landsOn).getAttribute('aria-selected'), 'true');
}

/** Waits until the address bar's query holds `part` (the page writes it 300 ms after the last change). */
async function searchHas(part: string): Promise<string> {
  await page.waitForFunction((p) => location.search.includes(p), part);
  return page.evaluate(() => location.search);
}

before(async () => {
  ({ server, browser, page } = await openApp(pageErrors));
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(server.url).origin });
});

after(() => closeApp({ browser, server }));

test('a link opens its stage with its settings', { timeout: 30_000 }, async () => {
  await openAt('?stage=grpo&grpo.beta=0.1&grpo.max_steps=7', /GRPO & RLOO/);
  assert.equal(await textbox('KL weight').inputValue(), '0.1');
  assert.equal(await textbox('Steps').inputValue(), '7');
  assert.equal(await page.getByText(/ignored/).count(), 0);
  assert.deepEqual(pageErrors, []);
});

test('editing a field rewrites the address; a reload keeps it', { timeout: 30_000 }, async () => {
  await fill(page, 'Steps', '9');
  const search = await searchHas('grpo.max_steps=9');
  assert.match(search, /grpo\.beta=0\.1/);
  assert.match(search, /stage=grpo/);
  await page.reload();
  await textbox('Steps').waitFor();
  assert.equal(await textbox('Steps').inputValue(), '9');
  assert.equal(await textbox('KL weight').inputValue(), '0.1');
  // Another tab's settings travel in the same link.
  await tab(/Policy optimization/).click();
  await fill(page, 'KL coefficient', '0.2');
  const both = await searchHas('ppo.kl_coef=0.2');
  assert.match(both, /stage=policy/);
  assert.match(both, /grpo\.max_steps=9/);
  assert.deepEqual(pageErrors, []);
});

test('"Copy link to these settings" copies the address', { timeout: 30_000 }, async () => {
  await page.getByRole('button', { name: 'Copy link to these settings' }).click();
  await page.getByText('Link copied').waitFor();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(copied, await page.evaluate(() => location.href));
  assert.match(copied, /ppo\.kl_coef=0\.2/);
  // Without a clipboard the link is shown, selected, to copy by hand.
  await page.evaluate(() => Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true }));
  await page.getByRole('button', { name: 'Copy link to these settings' }).click();
  const box = textbox('Link to these settings');
  assert.equal(await box.inputValue(), await page.evaluate(() => location.href));
  assert.equal(await box.evaluate((el: HTMLInputElement) => el.selectionEnd! - el.selectionStart!), copied.length);
  await page.getByText('Copy the link from the box').waitFor();
});

test('hide= leaves the named controls out; their values still apply and stay in the link', { timeout: 30_000 }, async () => {
  await openAt('?stage=grpo&grpo.beta=0.2&hide=grpo.beta,grpo.advanced', /GRPO & RLOO/);
  await textbox('Steps').waitFor();
  assert.equal(await textbox('KL weight').count(), 0);
  assert.equal(await page.getByText('Advanced (TRL GRPOConfig)').count(), 0);
  await fill(page, 'Steps', '11');
  const search = await searchHas('grpo.max_steps=11');
  assert.match(search, /hide=grpo\.beta,grpo\.advanced/);
  assert.match(search, /grpo\.beta=0\.2/);
  assert.deepEqual(pageErrors, []);
});

test('hide= works on the Pretrain, SFT and Reward model tabs too', { timeout: 30_000 }, async () => {
  await openAt('?stage=sft&hide=sft.learning_rate,pretrain.model.n_layer,reward.max_length', /SFT/);
  await textbox('Training steps').waitFor();
  assert.equal(await textbox('Learning rate').count(), 0);
  await tab(/Pretrain/).click();
  await textbox('Width (n_embd)').waitFor();
  assert.equal(await textbox('Layers').count(), 0);
  await tab(/Reward model/).click();
  await textbox('Epochs').waitFor();
  assert.equal(await textbox('Max length (tokens)').count(), 0);
  assert.deepEqual(pageErrors, []);
});

test('an old #stage link still opens its tab', { timeout: 30_000 }, async () => {
  await openAt('#dpo', /Direct preference/);
  assert.equal(await page.evaluate(() => location.search), '');
});

test('a hostile link opens with defaults for the bad fields and says what it ignored', { timeout: 60_000 }, async () => {
  const hostile = `?stage=nope&grpo.beta=abc&ppo.kl_coef=-5&x=${'a'.repeat(100_000)}&__proto__[x]=1`;
  // The preview server refuses a 100 KB request line (Node's header limit): the page itself is
  // served from the plain address while the browser keeps the long one.
  await page.route((url) => url.search.length > 10_000, async (route) => route.fulfill({ response: await route.fetch({ url: server.url }) }));
  await openAt(hostile, /Pretrain/);
  await page.unroute((url) => url.search.length > 10_000);
  const notice = page.getByText(/Some settings in the link were ignored/);
  await notice.waitFor();
  const text = await notice.innerText();
  assert.match(text, /stage \(no stage called "nope"\)/);
  assert.match(text, /grpo\.beta \(not a number\)/);
  assert.match(text, /ppo\.kl_coef \(must be at least 0/);
  assert.match(text, /the link \(too long/);
  await tab(/GRPO & RLOO/).click();
  assert.equal(await textbox('KL weight').inputValue(), '0');
  await tab(/Policy optimization/).click();
  assert.equal(await textbox('KL coefficient').inputValue(), '0.05');
  // The ignored text does not stay in the address.
  await page.waitForFunction(() => location.search.length < 100);
  assert.deepEqual(pageErrors, []);
});

test('__proto__ and constructor keys reach no prototype', { timeout: 30_000 }, async () => {
  await openAt('?stage=grpo&__proto__[x]=1&__proto__.x=1&constructor.prototype.x=1&grpo.__proto__=1&grpo.constructor=1&grpo.seed=3', /GRPO & RLOO/);
  assert.equal(await textbox('Seed').inputValue(), '3');
  assert.equal(await page.evaluate(() => 'x' in {} || 'x' in Object.prototype), false);
  assert.match(await page.getByText(/Some settings in the link were ignored/).innerText(), /grpo\.constructor \(unknown setting\)/);
  assert.deepEqual(pageErrors, []);
});

/** The query of a link with these entries (spaces and colons as a browser writes them). */
const linkTo = (entries: Record<string, string>) => `?${new URLSearchParams(entries)}`;
const combobox = (name: string) => page.getByRole('combobox', { name, exact: true });
/** Stored runs with a checkpoint, as training leaves them: an SFT run and two reward models of one name. */
let tuned = 0;
let newerRm = 0;

test('a link carries the GRPO reward functions and the PPO reward choice, runs named by stage and name', { timeout: 60_000 }, async () => {
  const now = Date.now();
  const run = (name: string, stage: string, age: number) => ({ name, stage, source: 'train', createdAt: now - age, updatedAt: now - age, status: 'finished', step: 4, maxSteps: 4, startedFrom: 'base checkpoint', checkpointStep: 4 });
  [tuned, , newerRm] = await addRecords(page, 'runs', [run('Tuned stories', 'sft', 3000), run('Story RM', 'reward', 2000), run('Story RM', 'reward', 1000)]);
  await openAt(
    linkTo({
      stage: 'grpo',
      'grpo.from': 'sft:Tuned stories',
      'grpo.reward.1': 'length',
      'grpo.reward.1.target_words': '30',
      'grpo.reward.1.weight': '0.5',
      'grpo.reward.2': 'reward_model',
      'grpo.reward.2.model': 'Story RM',
      'ppo.reward': 'model',
      'ppo.reward_model': 'Story RM',
    }),
    /GRPO & RLOO/,
  );
  await textbox('Weight of length').waitFor();
  assert.equal(await combobox('Policy checkpoint').inputValue(), `run:${tuned}`);
  assert.equal(await textbox('target_words of length').inputValue(), '30');
  assert.equal(await textbox('Weight of length').inputValue(), '0.5');
  // The newest reward model of that name.
  assert.equal(await combobox('Reward model for reward_model').inputValue(), `run:${newerRm}`);
  assert.equal(await textbox('Weight of gold').count(), 0, 'the list replaces the default gold score');
  assert.equal(await page.getByText(/ignored/).count(), 0);

  await tab(/Policy optimization/).click();
  assert.equal(await page.getByRole('radio', { name: 'A reward model' }).isChecked(), true);
  assert.equal(await combobox('Reward model').inputValue(), `run:${newerRm}`);

  // Editing the list rewrites the link; a reload keeps it all.
  await tab(/GRPO & RLOO/).click();
  await fill(page, 'Weight of length', '2');
  const search = await searchHas('grpo.reward.1.weight=2');
  for (const part of ['grpo.from=sft:Tuned+stories', 'grpo.reward.2=reward_model', 'grpo.reward.2.model=Story+RM', 'ppo.reward=model', 'ppo.reward_model=Story+RM']) assert.ok(search.includes(part), `${part} in ${search}`);
  await page.reload();
  await textbox('Weight of length').waitFor();
  assert.equal(await textbox('Weight of length').inputValue(), '2');
  assert.equal(await combobox('Reward model for reward_model').inputValue(), `run:${newerRm}`);

  // The DPO tab's reference model travels too; choosing the policy's frozen copy again takes it out.
  await openAt(linkTo({ stage: 'dpo', 'dpo.ref': 'sft:Tuned stories' }), /Direct preference/);
  // The choice lands once the page has read its stored runs.
  await page.waitForFunction((want) => [...document.querySelectorAll('select')].some((s) => s.value === want && s.labels?.[0]?.textContent?.trim() === 'Reference checkpoint'), `run:${tuned}`, { timeout: 10_000 }).catch(() => undefined);
  assert.equal(await combobox('Reference checkpoint').inputValue(), `run:${tuned}`);
  await combobox('Reference checkpoint').selectOption('base');
  await searchHas('dpo.ref=base');
  await combobox('Reference checkpoint').selectOption('same');
  await page.waitForFunction(() => !location.search.includes('dpo.ref'));
  assert.deepEqual(pageErrors, []);
});

test('runs a browser does not have leave its own choices, and the notice names them', { timeout: 30_000 }, async () => {
  await openAt(linkTo({ stage: 'policy', 'ppo.from': 'sft:Not here', 'ppo.reward': 'model', 'ppo.reward_model': 'Gone RM' }), /Policy optimization/);
  const notice = page.getByText(/Some settings in the link were ignored/);
  await notice.waitFor();
  const text = await notice.innerText();
  assert.match(text, /ppo\.from \(checkpoint ‘Not here’ is not in this browser's history\)/);
  assert.match(text, /ppo\.reward_model \(reward model ‘Gone RM’ is not in this browser's history\)/);
  // The form's own start (the newest SFT run, once the run list has loaded), not another run; the reward model is asked for.
  assert.equal(await combobox('Policy checkpoint').inputValue(), `run:${tuned}`);
  assert.equal(await combobox('Reward model').inputValue(), '');
  await page.getByText(/choose a reward model/i).first().waitFor();
  assert.deepEqual(pageErrors, []);
});

test('a JavaScript reward from a link is shown in its editor, with a notice, and never runs on opening', { timeout: 30_000 }, async () => {
  const code = '(prompt, completion) => {\n  window.__ran = true;\n  return completion.length / 100;\n}';
  await openAt(linkTo({ stage: 'grpo', 'grpo.reward.1': 'gold', 'grpo.reward.2': 'code', 'grpo.reward.2.name': 'long_ones', 'grpo.reward.2.code': code }), /GRPO & RLOO/);
  await page.getByText(/This link brought JavaScript reward code \(“long_ones”\)/).waitFor();
  assert.equal(await textbox('Reward function code').inputValue(), code);
  assert.equal(await textbox('Name of the function').inputValue(), 'long_ones');
  assert.equal(await page.evaluate(() => '__ran' in window), false);
  // Code that is not one function is refused, with its reason.
  await openAt(linkTo({ stage: 'grpo', 'grpo.reward.1': 'code', 'grpo.reward.1.name': 'x', 'grpo.reward.1.code': 'window.__ran = true' }), /GRPO & RLOO/);
  assert.match(await page.getByText(/Some settings in the link were ignored/).innerText(), /grpo\.reward\.1\.code \(line 1: the source must be a single function expression/);
  assert.equal(await page.getByText(/This link brought JavaScript/).count(), 0);
  assert.equal(await textbox('Weight of gold').count(), 1, 'the default list stays');
  assert.equal(await page.evaluate(() => '__ran' in window), false);
  assert.deepEqual(pageErrors, []);
});
