import { describe, expect, it } from 'vitest';
import { nodeReward } from '../../src/cli/nodeReward.ts';
import {
  RewardFunctionError,
  checkRewardSource,
  checkRewardValue,
  describeRewardFailure,
  userLineFromStack,
} from '../../src/core/rewards/userRewardSource.ts';

const PROMPTS = ['Write a story about a cat.\n', 'Write a story about a dog.\n'];
const COMPLETIONS = ['The cat sat.', 'The dog ran and ran.'];

/** The RewardFunctionError a promise rejects with (fails the test when it resolves). */
async function failureOf(promise: Promise<unknown>): Promise<RewardFunctionError> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(RewardFunctionError);
    return e as RewardFunctionError;
  }
  throw new Error('expected a RewardFunctionError');
}

function buildFailure(source: string): RewardFunctionError {
  try {
    nodeReward(source);
  } catch (e) {
    expect(e).toBeInstanceOf(RewardFunctionError);
    return e as RewardFunctionError;
  }
  throw new Error('expected a RewardFunctionError');
}

describe('checking a user reward function\'s source', () => {
  it('accepts function expressions', () => {
    expect(checkRewardSource('(prompt, completion) => completion.length')).toBeNull();
    expect(checkRewardSource('c => 1')).toBeNull();
    expect(checkRewardSource('function (prompt, completion) {\n  return 1;\n}')).toBeNull();
    expect(checkRewardSource('// counts words\n(p, c) => c.split(" ").length')).toBeNull();
  });

  it('names the line of a syntax error', () => {
    const bad = checkRewardSource('(prompt, completion) => {\n  const n = completion.length;\n  return n +* 2;\n}');
    expect(bad?.line).toBe(3);
    expect(bad?.reason).toMatch(/^syntax error: Unexpected token/);
    // An unclosed brace is found at the end.
    expect(checkRewardSource('(p, c) => {\n  return 1;\n')?.line).toBe(3);
    expect(checkRewardSource('(p, c) => 1; 2')?.line).toBe(1);
    // An arrow whose body is on the next line: the error is on that line, not on the arrow's.
    expect(checkRewardSource('(p, c) =>\n  c.length +* 2')?.line).toBe(2);
    // A stray closing brace is the user's own.
    expect(checkRewardSource('(p, c) => 1 }\n')?.line).toBe(1);
  });

  it('refuses an empty source, statements, async functions and import()', () => {
    expect(checkRewardSource('  ')?.reason).toMatch(/empty/);
    expect(checkRewardSource('1 + 2')?.reason).toMatch(/single function expression/);
    expect(checkRewardSource('async (p, c) => 1')?.reason).toMatch(/must not be async/);
    expect(checkRewardSource('(p, c) => import("http://example.com/x.js")')?.reason).toMatch(/import\(\) is not available/);
  });

  it('accepts finite numbers and null, and says what else came back', () => {
    expect(checkRewardValue(0.5)).toEqual({ ok: true, reward: 0.5 });
    expect(checkRewardValue(null)).toEqual({ ok: true, reward: NaN });
    expect(checkRewardValue(NaN)).toEqual({ ok: false, reason: 'returned NaN, not a finite number (return null for "cannot judge")' });
    expect(checkRewardValue('1')).toEqual({ ok: false, reason: 'returned the string "1", not a number' });
    expect(checkRewardValue(undefined)).toMatchObject({ ok: false, reason: expect.stringMatching(/return` missing/) });
    expect(checkRewardValue(Promise.resolve(1))).toMatchObject({ ok: false, reason: expect.stringMatching(/Promise/) });
  });

  it('reads the user\'s line from a stack (script line - 1) and formats a failure', () => {
    expect(userLineFromStack('Error: x\n    at eval (user-reward.js:4:9)\n    at run (sandbox.js:10:2)')).toBe(3);
    expect(userLineFromStack('Error: x\n    at run (sandbox.js:10:2)')).toBeNull();
    expect(describeRewardFailure({ reason: 'Error: boom', line: 2, index: 1, prompt: 'P', completion: 'C' }))
      .toBe('Your reward function failed on completion 2 of the batch (line 2): Error: boom\n  prompt: "P"\n  completion: "C"');
  });
});

describe('nodeReward (node:vm, per-call time limit)', () => {
  it('scores a batch; null is "cannot judge" (NaN)', async () => {
    const reward = nodeReward('(prompt, completion) => completion.split(" ").length', { name: 'words' });
    expect(reward.name).toBe('words');
    expect(await reward.score(PROMPTS, COMPLETIONS)).toEqual([3, 5]);
    expect(await nodeReward('(p, c) => c.includes("dog") ? 1 : null').score(PROMPTS, COMPLETIONS)).toEqual([NaN, 1]);
  });

  it('names the line and the sample of a throw', async () => {
    const reward = nodeReward('(prompt, completion) => {\n  if (completion.includes("dog"))\n    throw new Error("no dogs");\n  return 1;\n}');
    const e = await failureOf(reward.score(PROMPTS, COMPLETIONS));
    expect(e.failure).toEqual({ reason: 'Error: no dogs', line: 3, index: 1, prompt: PROMPTS[1], completion: COMPLETIONS[1] });
    expect(e.message).toMatch(/completion 2 of the batch \(line 3\): Error: no dogs/);
  });

  it('refuses NaN and a string', async () => {
    const nan = await failureOf(nodeReward('(p, c) => 0 / 0').score(PROMPTS, COMPLETIONS));
    expect(nan.failure).toMatchObject({ index: 0, line: null, reason: expect.stringMatching(/returned NaN/) });
    const text = await failureOf(nodeReward('(p, c) => "good"').score(PROMPTS, COMPLETIONS));
    expect(text.reason).toBe('returned the string "good", not a number');
  });

  it('stops an endless loop at the time limit', async () => {
    const e = await failureOf(nodeReward('(p, c) => { while (true) {} }', { timeLimitMs: 50 }).score(PROMPTS, COMPLETIONS));
    expect(e.failure).toMatchObject({ index: 0, completion: COMPLETIONS[0], reason: 'took longer than 50 ms (an endless loop?)' });
  });

  it('has no network: fetch says it is not available', async () => {
    const e = await failureOf(nodeReward('(p, c) => fetch("http://example.com")').score(PROMPTS, COMPLETIONS));
    expect(e.reason).toMatch(/fetch is not available in a reward function/);
    expect(e.line).toBe(1);
  });

  it('refuses a syntax error or a non-function when building', () => {
    expect(buildFailure('(p, c) => {\n  return c +;\n}').failure).toMatchObject({ index: -1, line: 2 });
    expect(buildFailure('(1 + 2)').reason).toBe('the source is a number, not a function');
    expect(buildFailure('(() => { throw new Error("at build") })()').reason).toBe('Error: at build');
  });
});

describe('nodeReward scoreBatch (failures reported, the batch goes on)', () => {
  const prompts = ['Write a story about a cat.\n', 'Write a story about a dog.\n', 'Write a story about a fox.\n', 'Write a story about an owl.\n'];
  const completions = ['The cat sat.', 'The dog ran.', 'The fox hid.', 'The owl flew.'];

  it('a throw on some samples and a non-number on another: those score NaN with their line and sample, the rest are scored', async () => {
    const source = '(prompt, completion) => {\n  if (prompt.includes("dog")) throw new Error("no dogs");\n  if (prompt.includes("owl")) return "owl";\n  return completion.length;\n}';
    const batch = await nodeReward(source).scoreBatch!(prompts, completions);
    expect(batch.scores).toEqual([12, NaN, 12, NaN]);
    expect(batch.failures).toEqual([
      { reason: 'Error: no dogs', line: 2, index: 1, prompt: prompts[1], completion: completions[1] },
      { reason: 'returned the string "owl", not a number', line: null, index: 3, prompt: prompts[3], completion: completions[3] },
    ]);
  });

  it('after a timeout the next completion is scored, in a fresh context', async () => {
    // The counter lives in the context's globals: a fresh context after the timeout starts it again.
    const source = '(prompt, completion) => {\n  globalThis.n = (globalThis.n ?? 0) + 1;\n  if (prompt.includes("dog")) while (true) {}\n  return globalThis.n;\n}';
    const batch = await nodeReward(source, { timeLimitMs: 20 }).scoreBatch!(prompts, completions);
    expect(batch.scores).toEqual([1, NaN, 1, 2]);
    expect(batch.failures).toEqual([{ reason: 'took longer than 20 ms (an endless loop?)', line: null, index: 1, prompt: prompts[1], completion: completions[1] }]);
  });

  it('skips the rest of a batch after 3 timeouts', async () => {
    const source = '(prompt, completion) => {\n  if (!prompt.includes("cat")) while (true) {}\n  return 1;\n}';
    const many = [...prompts, prompts[0]];
    const batch = await nodeReward(source, { timeLimitMs: 10 }).scoreBatch!(many, [...completions, 'The cat again.']);
    expect(batch.scores).toEqual([1, NaN, NaN, NaN, NaN]);
    expect(batch.failures.map((f) => [f.index, f.reason])).toEqual([
      [1, 'took longer than 10 ms (an endless loop?)'],
      [2, 'took longer than 10 ms (an endless loop?)'],
      [3, 'took longer than 10 ms (an endless loop?)'],
      [4, 'skipped: 3 calls timed out in this batch'],
    ]);
    expect(batch.failures[3]).toMatchObject({ prompt: prompts[0], completion: 'The cat again.' });
  });
});
