/**
 * sandboxedReward's side of the protocol, against a fake worker: timing each call from its
 * 'progress' message, terminating a stuck worker and starting a fresh one that scores the rest,
 * skipping the rest of a batch after 3 timeouts, reporting failures (scoreBatch) or rejecting
 * with the first (score).
 * The real worker runs in tests/e2e/rewardSandbox.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { SandboxReply, SandboxRequest } from '../../src/core/rewards/sandboxProtocol.ts';
import { sandboxedReward } from '../../src/core/rewards/sandboxedReward.ts';
import { RewardFunctionError, type RewardFailure } from '../../src/core/rewards/userRewardSource.ts';

/** What the fake does with one completion: a score, never answering, or a failure reply. */
type Behaviour = (completion: string) => number | 'hang' | 'fail';

class FakeWorker {
  onmessage: ((event: MessageEvent<SandboxReply>) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  terminated = false;
  constructor(private behaviour: Behaviour, private buildFailure: RewardFailure | null) {
    this.reply({ type: 'ready' });
  }
  private reply(data: SandboxReply): void {
    setTimeout(() => !this.terminated && this.onmessage?.({ data } as MessageEvent<SandboxReply>), 0);
  }
  postMessage(request: SandboxRequest): void {
    if (request.type === 'build') return this.reply({ type: 'built', failure: this.buildFailure });
    const { id, prompts, completions } = request;
    for (let index = request.from; index < completions.length; index++) {
      const completion = completions[index];
      this.reply({ type: 'progress', id, index });
      const result = this.behaviour(completion);
      if (result === 'hang') return;
      this.reply(result === 'fail'
        ? { type: 'result', id, index, score: NaN, failure: { reason: 'Error: no', line: 2, index, prompt: prompts[index], completion } }
        : { type: 'result', id, index, score: result, failure: null });
    }
  }
  terminate(): void {
    this.terminated = true;
  }
}

function withFakes(behaviour: Behaviour, buildFailure: RewardFailure | null = null) {
  const workers: FakeWorker[] = [];
  const createWorker = () => {
    const w = new FakeWorker(behaviour, buildFailure);
    workers.push(w);
    return w as unknown as Worker;
  };
  return { workers, createWorker };
}

const SOURCE = '(prompt, completion) => completion.length';

describe('sandboxedReward', () => {
  it('refuses a source that does not parse before starting any worker', () => {
    const { workers, createWorker } = withFakes(() => 1);
    expect(() => sandboxedReward('(p, c) => {\n  return c +;\n}', { createWorker })).toThrow(RewardFunctionError);
    expect(workers).toHaveLength(0);
  });

  it('scores batches with one worker, built once', async () => {
    const { workers, createWorker } = withFakes((c) => c.length);
    const reward = sandboxedReward(SOURCE, { name: 'chars', createWorker });
    expect(reward.name).toBe('chars');
    await reward.ready();
    expect(await reward.score(['p', 'p'], ['ab', 'abc'])).toEqual([2, 3]);
    expect(await reward.score(['p'], ['abcd'])).toEqual([4]);
    expect(workers).toHaveLength(1);
    reward.dispose!();
    expect(workers[0].terminated).toBe(true);
  });

  it('score() rejects with a stuck call, naming its sample; a fresh worker scores the rest and the next batch', async () => {
    const { workers, createWorker } = withFakes((c) => (c === 'loop' ? 'hang' : c.length));
    const reward = sandboxedReward(SOURCE, { createWorker, timeLimitMs: 20 });
    const stuck = await reward.score(['p0', 'p1', 'p2'], ['ok', 'loop', 'x']).catch((e: unknown) => e);
    expect(stuck).toBeInstanceOf(RewardFunctionError);
    expect((stuck as RewardFunctionError).failure).toEqual({ reason: 'took longer than 20 ms (an endless loop?)', line: null, index: 1, prompt: 'p1', completion: 'loop' });
    expect(workers[0].terminated).toBe(true);
    expect(await reward.score(['p'], ['fine'])).toEqual([4]);
    expect(workers).toHaveLength(2);
  });

  it('passes a failure on as a RewardFunctionError and keeps the worker', async () => {
    const { workers, createWorker } = withFakes((c) => (c === 'bad' ? 'fail' : 1));
    const reward = sandboxedReward(SOURCE, { createWorker });
    await expect(reward.score(['p0', 'p1'], ['good', 'bad'])).rejects.toMatchObject({ line: 2, prompt: 'p1', completion: 'bad', reason: 'Error: no' });
    expect(await reward.score(['p'], ['good'])).toEqual([1]);
    expect(workers).toHaveLength(1);
  });

  it('scoreBatch() reports each failing call, scores it NaN and goes on, in the same worker', async () => {
    const { workers, createWorker } = withFakes((c) => (c.startsWith('bad') ? 'fail' : c.length));
    const reward = sandboxedReward(SOURCE, { createWorker });
    const batch = await reward.scoreBatch!(['p0', 'p1', 'p2', 'p3'], ['bad1', 'ok', 'bad2', 'fine']);
    expect(batch.scores).toEqual([NaN, 2, NaN, 4]);
    expect(batch.failures).toEqual([
      { reason: 'Error: no', line: 2, index: 0, prompt: 'p0', completion: 'bad1' },
      { reason: 'Error: no', line: 2, index: 2, prompt: 'p2', completion: 'bad2' },
    ]);
    expect(workers).toHaveLength(1);
  });

  it('scoreBatch() after a timeout: the stuck worker is ended and a fresh one scores the next completion', async () => {
    const { workers, createWorker } = withFakes((c) => (c === 'loop' ? 'hang' : c.length));
    const reward = sandboxedReward(SOURCE, { createWorker, timeLimitMs: 20 });
    const batch = await reward.scoreBatch!(['p0', 'p1', 'p2'], ['ok', 'loop', 'abc']);
    expect(batch.scores).toEqual([2, NaN, 3]);
    expect(batch.failures).toEqual([{ reason: 'took longer than 20 ms (an endless loop?)', line: null, index: 1, prompt: 'p1', completion: 'loop' }]);
    expect(workers).toHaveLength(2);
    expect(workers[0].terminated).toBe(true);
    expect(workers[1].terminated).toBe(false);
  });

  it('scoreBatch() skips the rest of a batch after 3 timeouts, and the next batch starts afresh', async () => {
    const { workers, createWorker } = withFakes((c) => (c.startsWith('loop') ? 'hang' : c.length));
    const reward = sandboxedReward(SOURCE, { createWorker, timeLimitMs: 10 });
    const completions = ['loop', 'loop', 'ok', 'loop', 'a', 'bb'];
    const batch = await reward.scoreBatch!(completions.map((_, i) => `p${i}`), completions);
    expect(batch.scores).toEqual([NaN, NaN, 2, NaN, NaN, NaN]);
    expect(batch.failures.map((f) => [f.index, f.reason])).toEqual([
      [0, 'took longer than 10 ms (an endless loop?)'],
      [1, 'took longer than 10 ms (an endless loop?)'],
      [3, 'took longer than 10 ms (an endless loop?)'],
      [4, 'skipped: 3 calls timed out in this batch'],
      [5, 'skipped: 3 calls timed out in this batch'],
    ]);
    expect(batch.failures[4]).toMatchObject({ prompt: 'p5', completion: 'bb', line: null });
    // The first worker, and a fresh one after each of the first two timeouts; none after the third.
    expect(workers).toHaveLength(3);
    expect(workers.every((w) => w.terminated)).toBe(true);
    expect(await reward.scoreBatch!(['p'], ['abcd'])).toEqual({ scores: [4], failures: [] });
    expect(workers).toHaveLength(4);
  });

  it('scoreBatch() rejects when the function cannot be built (the whole function fails)', async () => {
    const { createWorker } = withFakes(() => 1, { reason: 'Error: at build', line: 1, index: -1, prompt: '', completion: '' });
    const reward = sandboxedReward(SOURCE, { createWorker });
    await expect(reward.scoreBatch!(['p'], ['c'])).rejects.toMatchObject({ name: 'RewardFunctionError', reason: 'Error: at build', line: 1 });
  });
});
