/**
 * End-to-end test of the reward sandbox in a real Chromium, through bench.html's test hook: a
 * user-written reward function runs in the sandbox worker started from another worker (as the
 * trainer starts it from the engine worker). A good function scores a batch; fetch is refused
 * with a clear error; an endless loop times out and the same sandbox scores the next batch; a
 * throw names its line and its sample.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { SandboxBenchResult } from '../../src/bench/sandboxBench.worker.ts';
import { launchBrowser, startPreview, type Browser } from './harness.ts';

let server: Awaited<ReturnType<typeof startPreview>>;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

const PROMPTS = ['Write a story about a cat.\n', 'Write a story about a dog.\n', 'Write a story about a fox.\n'];
const COMPLETIONS = ['The cat sat.', 'The dog ran and ran.', 'The fox was happy.'];

function scoreInSandbox(source: string, prompts = PROMPTS, completions = COMPLETIONS, timeLimitMs = 200): Promise<SandboxBenchResult> {
  return page.evaluate(
    ([s, p, c, t]) => (window as unknown as { rlhfBench: { scoreInSandbox(...a: unknown[]): Promise<SandboxBenchResult> } }).rlhfBench.scoreInSandbox(s, p, c, t),
    [source, prompts, completions, timeLimitMs] as const,
  );
}

function failureOf(result: SandboxBenchResult) {
  assert.ok('failure' in result, `expected a failure, got ${JSON.stringify(result)}`);
  return result;
}

before(async () => {
  server = await startPreview();
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(server.url + 'bench.html');
  await page.waitForSelector('body[data-ready="true"]');
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('a good function scores a batch in the nested sandbox worker', async () => {
  const result = await scoreInSandbox('(prompt, completion) => completion.split(" ").length + (prompt.includes("dog") ? 10 : 0)');
  assert.deepEqual(result, { scores: [3, 15, 4] });
  // null means "cannot judge" and comes back as NaN.
  const judged = await scoreInSandbox('(p, c) => c.includes("happy") ? 1 : null');
  assert.ok('scores' in judged);
  assert.ok(Number.isNaN(judged.scores[0]) && judged.scores[2] === 1);
});

test('the network and other escape hatches are gone', async () => {
  const fetched = failureOf(await scoreInSandbox("() => fetch('http://example.com')"));
  assert.match(fetched.failure.reason, /fetch is not available in a reward function/);
  assert.equal(fetched.failure.line, 1);
  assert.equal(fetched.failure.index, 0);
  for (const [source, name] of [
    ['() => new XMLHttpRequest()', 'XMLHttpRequest'],
    ['() => { importScripts("http://example.com/x.js"); return 1; }', 'importScripts'],
    ['() => indexedDB.open("x") && 1', 'indexedDB'],
    ['() => new Worker("x.js") && 1', 'Worker'],
    ['() => eval("1")', 'eval'],
    ['() => navigator.storage.getDirectory() && 1', 'storage'],
    ['() => { setTimeout("1"); return 1; }', 'setTimeout with a string'],
  ] as const) {
    const result = failureOf(await scoreInSandbox(source));
    assert.match(result.failure.reason, new RegExp(`${name} is not available`), source);
  }
  // No working fetch anywhere on the global's prototype chain either.
  const hunt = '() => { for (let o = self; o; o = Object.getPrototypeOf(o)) { const d = Object.getOwnPropertyDescriptor(o, "fetch"); if (d && typeof d.value === "function") return 1; } return 0; }';
  assert.deepEqual(await scoreInSandbox(hunt), { scores: [0, 0, 0] });
  // The Function constructor is unreachable through any function.
  const ctor = failureOf(await scoreInSandbox('() => (() => 1).constructor("return 1")()'));
  assert.match(ctor.failure.reason, /TypeError/);
});

test('an endless loop times out, and the same sandbox scores the next batch', async () => {
  const source = '(prompt, completion) => {\n  if (completion.includes("ran")) while (true) {}\n  return completion.length;\n}';
  const stuck = failureOf(await scoreInSandbox(source, PROMPTS, COMPLETIONS, 300));
  assert.deepEqual(stuck.failure, { reason: 'took longer than 300 ms (an endless loop?)', line: null, index: 1, prompt: PROMPTS[1], completion: COMPLETIONS[1] });
  assert.match(stuck.message, /completion 2 of the batch: took longer than 300 ms/);
  assert.deepEqual(await scoreInSandbox(source, [PROMPTS[0], PROMPTS[2]], [COMPLETIONS[0], COMPLETIONS[2]], 300), { scores: [12, 18] });
});

test('a throw names its line and its sample; a non-number is refused', async () => {
  const source = '(prompt, completion) => {\n  const words = completion.split(" ");\n  if (words.length > 4) throw new Error("too long");\n  return words.length;\n}';
  const thrown = failureOf(await scoreInSandbox(source));
  assert.deepEqual(thrown.failure, { reason: 'Error: too long', line: 3, index: 1, prompt: PROMPTS[1], completion: COMPLETIONS[1] });
  assert.match(thrown.message, /\(line 3\): Error: too long\n {2}prompt: "Write a story about a dog.\\n"\n {2}completion: "The dog ran and ran."/);
  const text = failureOf(await scoreInSandbox('(p, c) => "good"'));
  assert.equal(text.failure.reason, 'returned the string "good", not a number');
  const syntax = failureOf(await scoreInSandbox('(p, c) => {\n  return c +;\n}'));
  assert.equal(syntax.failure.line, 2);
  assert.deepEqual(pageErrors, []);
});
