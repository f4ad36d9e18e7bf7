/**
 * sandboxedReward's side of the protocol, against a fake worker: timing each call from its
 * 'progress' message, terminating a stuck worker and starting a fresh one, passing failures on.
 * The real worker runs in tests/e2e/rewardSandbox.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { SandboxReply, SandboxRequest } from '../../src/core/rewards/sandboxProtocol.ts';
import { sandboxedReward } from '../../src/core/rewards/sandboxedReward.ts';
import { RewardFunctionError } from '../../src/core/rewards/userRewardSource.ts';

/** What the fake does with one completion: a score, never answering, or a failure reply. */
type Behaviour = (completion: string) => number | 'hang' | 'fail';

class FakeWorker {
  onmessage: ((event: MessageEvent<SandboxReply>) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  terminated = false;
  constructor(private behaviour: Behaviour) {
    this.reply({ type: 'ready' });
  }
  private reply(data: SandboxReply): void {
    setTimeout(() => !this.terminated && this.onmessage?.({ data } as MessageEvent<SandboxReply>), 0);
  }
  postMessage(request: SandboxRequest): void {
    if (request.type === 'build') return this.reply({ type: 'built', failure: null });
    const scores: number[] = [];
    for (const [index, completion] of request.completions.entries()) {
      this.reply({ type: 'progress', id: request.id, index });
      const result = this.behaviour(completion);
      if (result === 'hang') return;
      if (result === 'fail') {
        return this.reply({ type: 'failed', id: request.id, failure: { reason: 'Error: no', line: 2, index, prompt: request.prompts[index], completion } });
      }
      scores.push(result);
    }
    this.reply({ type: 'scores', id: request.id, scores });
  }
  terminate(): void {
    this.terminated = true;
  }
}

function withFakes(behaviour: Behaviour) {
  const workers: FakeWorker[] = [];
  const createWorker = () => {
    const w = new FakeWorker(behaviour);
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

  it('times out a stuck call, names its sample, and starts a fresh worker for the next batch', async () => {
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
});
