/**
 * End-to-end test of the settings in the URL, in a real Chromium: a link opens its tab with its
 * settings; editing a field rewrites the address and a reload keeps it; hide= leaves a control
 * out; "Copy link to these settings" copies the address (or shows it selected); an old #stage link still works; a hostile
 * link (unknown stage, wrong types, out-of-range values, 100 KB of text, __proto__ keys) opens
 * with the defaults for those fields and a notice naming what was ignored, without page errors.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { fill } from './actions.ts';
import { closeApp, openApp, type App } from './harness.ts';

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
