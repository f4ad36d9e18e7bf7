import { describe, expect, it } from 'vitest';
import { defaultRunsAtOnce, expectedBackend, maxRunsAtOnce, runInLanes, runsAtOnceError, sweepSummary } from '../../src/lib/sweepLanes.ts';

/** A promise resolved from outside, to hold a task open while the test looks at the lanes. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('how many runs at once', () => {
  it('suggests about half the cores on wasm and cpu, at least 1, at most 4 and one per value', () => {
    expect(defaultRunsAtOnce(2, 'wasm', 5)).toBe(1);
    expect(defaultRunsAtOnce(1, 'wasm', 5)).toBe(1);
    expect(defaultRunsAtOnce(4, 'cpu', 5)).toBe(2);
    expect(defaultRunsAtOnce(8, 'wasm', 5)).toBe(4);
    expect(defaultRunsAtOnce(16, 'wasm', 12)).toBe(4);
    expect(defaultRunsAtOnce(16, 'wasm', 3)).toBe(3);
    expect(defaultRunsAtOnce(16, null, 3)).toBe(3);
  });

  it('suggests 1 on a GPU backend, whatever the cores', () => {
    expect(defaultRunsAtOnce(16, 'webgpu', 8)).toBe(1);
    expect(defaultRunsAtOnce(16, 'webgl', 8)).toBe(1);
  });

  it('knows the backend before it runs: the chosen one, else the fastest measured', () => {
    expect(expectedBackend('webgl', 'auto', { wasm: 10 })).toBe('webgl');
    expect(expectedBackend(null, 'cpu', { wasm: 10 })).toBe('cpu');
    expect(expectedBackend(null, 'auto', { webgpu: 900, wasm: 130, webgl: null })).toBe('wasm');
    expect(expectedBackend(null, 'auto', undefined)).toBeNull();
  });

  it('accepts whole numbers from 1 to the cores, at most 8', () => {
    expect(maxRunsAtOnce(2)).toBe(2);
    expect(maxRunsAtOnce(32)).toBe(8);
    expect(maxRunsAtOnce(0)).toBe(1);
    expect(runsAtOnceError(1, 2)).toBe('');
    expect(runsAtOnceError(2, 2)).toBe('');
    expect(runsAtOnceError(3, 2)).toBe('at most 2 on this device (it has 2 cores)');
    expect(runsAtOnceError(9, 32)).toBe('at most 8');
    expect(runsAtOnceError(0, 2)).toBe('must be at least 1');
    expect(runsAtOnceError(1.5, 2)).toBe('must be a whole number');
    expect(runsAtOnceError(NaN, 2)).toMatch(/whole number/);
  });
});

describe('runInLanes', () => {
  it('keeps at most `lanes` tasks going and hands each lane the next value as soon as it is free', async () => {
    const held = new Map<string, ReturnType<typeof deferred<boolean>>>();
    const taken: [string, number][] = [];
    const done = runInLanes(['a', 'b', 'c', 'd'], 2, (item, lane) => {
      taken.push([item, lane]);
      const d = deferred<boolean>();
      held.set(item, d);
      return d.promise;
    });
    await tick();
    expect(taken).toEqual([['a', 0], ['b', 1]]);
    held.get('b')!.resolve(true);
    await tick();
    expect(taken).toEqual([['a', 0], ['b', 1], ['c', 1]]);
    held.get('a')!.resolve(true);
    await tick();
    expect(taken.at(-1)).toEqual(['d', 0]);
    held.get('c')!.resolve(true);
    held.get('d')!.resolve(true);
    await done;
    expect(taken).toHaveLength(4);
  });

  it('uses no more lanes than values', async () => {
    const lanes: number[] = [];
    await runInLanes([1], 4, async (_v, lane) => (lanes.push(lane), true));
    expect(lanes).toEqual([0]);
  });

  it('leaves what a lane that is gone would have taken to the other lanes', async () => {
    const taken: [number, number][] = [];
    await runInLanes([1, 2, 3, 4], 2, async (v, lane) => {
      taken.push([v, lane]);
      await tick();
      // Lane 1's worker dies during its first run.
      return lane !== 1;
    });
    expect(taken.filter(([, lane]) => lane === 1)).toEqual([[2, 1]]);
    expect(taken.map(([v]) => v).sort()).toEqual([1, 2, 3, 4]);
  });

  it('starts nothing new once told to stop, and lets the running tasks end', async () => {
    let stop = false;
    const taken: number[] = [];
    await runInLanes(
      [1, 2, 3, 4, 5],
      2,
      async (v) => {
        taken.push(v);
        stop = true;
        await tick();
        return true;
      },
      () => !stop,
    );
    expect(taken).toEqual([1]);
  });

  it('throws a task error only once the other lanes are idle', async () => {
    let slowEnded = false;
    const run = runInLanes([1, 2], 2, async (v) => {
      if (v === 1) throw new Error('boom');
      await tick();
      slowEnded = true;
      return true;
    });
    await expect(run).rejects.toThrow('boom');
    expect(slowEnded).toBe(true);
  });
});

describe('sweepSummary', () => {
  it('says every run finished, in the order of the list', () => {
    const results = [
      { value: 0.1, outcome: 'finished' as const },
      { value: 0, outcome: 'finished' as const },
    ];
    expect(sweepSummary('PPO', 'kl_coef', [0, 0.1], results)).toBe('Finished: 2 PPO runs, kl_coef = 0, 0.1.');
  });

  it('names the runs that failed and why, those stopped and those never run', () => {
    const results = [
      { value: 0, outcome: 'finished' as const },
      { value: 0.1, outcome: 'failed' as const, message: 'loss became NaN at step 3' },
      { value: 0.2, outcome: 'stopped' as const },
    ];
    expect(sweepSummary('DPO', 'beta', [0, 0.1, 0.2, 0.5], results)).toBe(
      'The sweep ended: 1 of 4 runs finished. Failed: beta = 0.1 (loss became NaN at step 3). Stopped: beta = 0.2. Not run: beta = 0.5.',
    );
  });
});
