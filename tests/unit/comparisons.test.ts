/** Generating comparison records in the engine: seeded display orders, progress, stop, bad requests. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { readCheckpointDir } from '../../src/cli/checkpointDir.ts';
import { createNodeEngine } from '../../src/cli/nodeEngine.ts';
import type { ComparisonRequest } from '../../src/core/preferences/comparisons.ts';
import { Rng } from '../../src/core/rng.ts';

describe('comparisons', () => {
  it('display orders are seeded permutations, each order about equally likely', () => {
    const rng = new Rng(5);
    const counts = new Map<string, number>();
    for (let i = 0; i < 6000; i++) {
      const order = rng.permutation(3);
      expect([...order].sort()).toEqual([0, 1, 2]);
      counts.set(order.join(''), (counts.get(order.join('')) ?? 0) + 1);
    }
    // 3! = 6 orders, 1000 expected each (binomial sd ~29).
    expect(counts.size).toBe(6);
    for (const n of counts.values()) expect(Math.abs(n - 1000)).toBeLessThan(150);
    expect(new Rng(9).permutation(4)).toEqual(new Rng(9).permutation(4));
  });

  it('samples K completions per prompt within the context, reports progress, stops early, leaks nothing', async () => {
    const engine = createNodeEngine();
    await engine.setBackend('wasm');
    const request: ComparisonRequest = {
      from: readCheckpointDir('public/base'),
      prompts: [{ prompt: 'Write a story about a cat.\n', attributes: { animal: 'cat' } }, { prompt: 'Write a story about a dog.\n' }, { prompt: 'Write a story about a fox.\n' }],
      completions: 3,
      sampling: { temperature: 1, top_k: 0, top_p: 1, max_new_tokens: 12 },
      seed: 4,
    };
    const tensors = tf.memory().numTensors;
    const progress: string[] = [];
    const made = await engine.generateComparisons(request, (done, total) => progress.push(`${done}/${total}`));
    expect(progress).toEqual(['1/3', '2/3', '3/3']);
    expect(made).toHaveLength(3);
    expect(made[0].attributes).toEqual({ animal: 'cat' });
    for (const c of made) {
      expect(c.completions).toHaveLength(3);
      expect([...c.order].sort()).toEqual([0, 1, 2]);
    }
    expect(tf.memory().numTensors).toBe(tensors);
    // The same seed gives the same comparisons.
    expect(await engine.generateComparisons(request, () => undefined)).toEqual(made);

    const partial = await engine.generateComparisons(request, (done) => done === 1 && engine.stop());
    expect(partial).toHaveLength(1);
    await expect(engine.generateComparisons({ ...request, completions: 5 }, () => undefined)).rejects.toThrow(/completions/);
  }, 60_000);
});
