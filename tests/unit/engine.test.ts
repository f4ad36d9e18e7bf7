import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createNodeEngine } from '../../src/cli/nodeEngine.ts';
import type { TrainEvent } from '../../src/core/engine/engineApi.ts';
import { DEFAULT_SAMPLING, defaultPretrainConfig } from '../../src/core/train/defaults.ts';

describe('engine', () => {
  const engine = createNodeEngine();

  it("'auto' measures the backends and picks the fastest; known timings skip the measuring", async () => {
    const report = await engine.setBackend('auto');
    expect(report.timings?.wasm).toBeGreaterThan(0);
    expect(report.timings?.cpu).toBeGreaterThan(0);
    expect(report.backend).toBe(report.timings!.wasm! < report.timings!.cpu! ? 'wasm' : 'cpu');
    expect(await engine.setBackend('auto', { wasm: 50, cpu: 5 })).toEqual({ backend: 'cpu', timings: { wasm: 50, cpu: 5 } });
    expect(tf.getBackend()).toBe('cpu');
    await expect(engine.setBackend('webgl')).rejects.toThrow(/webgl/);
    await engine.setBackend('wasm');
  }, 60_000);

  it('pauses, resumes and stops a run from outside, and samples from its model afterwards', async () => {
    await engine.setBackend('wasm');
    const config = {
      ...defaultPretrainConfig(),
      corpus: { kind: 'stories' as const, num_stories: 100, seed: 1 },
      tokenizer: { kind: 'char' as const, vocabSize: 0 },
      model: { n_positions: 16, n_embd: 16, n_layer: 1, n_head: 2 },
      max_steps: 10_000,
      logging_steps: 1,
    };
    const statuses: string[] = [];
    let lastStep = 0;
    let pausedAt = -1;
    const done = engine.pretrain({ config, sampling: DEFAULT_SAMPLING, prompts: [] }, (events: TrainEvent[]) => {
      for (const e of events) {
        if (e.type === 'status') statuses.push(e.state);
        if (e.type === 'metrics' && e.rows[0].loss !== undefined) lastStep = e.rows[0].step;
      }
      if (lastStep === 3 && pausedAt < 0) {
        pausedAt = lastStep;
        engine.pause(); // emits a status event into this callback, re-entrantly
        setTimeout(() => {
          expect(lastStep).toBe(pausedAt); // nothing trained while paused
          engine.resume();
          setTimeout(() => engine.stop(), 50);
        }, 200);
      }
    });
    await expect(engine.pretrain({ config, sampling: DEFAULT_SAMPLING, prompts: [] }, () => undefined)).rejects.toThrow(/already training/);
    const outcome = await done;
    expect(outcome.status).toBe('stopped');
    expect(outcome.step).toBeGreaterThan(3);
    expect(statuses).toEqual(['paused', 'running']);
    const samples = await engine.sample(['Once'], { ...DEFAULT_SAMPLING, max_new_tokens: 5 });
    expect(samples[0].prompt).toBe('Once');
    expect(typeof samples[0].completion).toBe('string');
  }, 60_000);

  it('rejects an invalid config before training', async () => {
    const bad = { ...defaultPretrainConfig(), learning_rate: Number.NaN };
    await expect(engine.pretrain({ config: bad, sampling: DEFAULT_SAMPLING, prompts: [] }, () => undefined)).rejects.toThrow(/learning_rate/);
  });

  it('resolves a run only after the page has handled its last batch of events (final metrics, checkpoint)', async () => {
    // Through comlink the callback answers with a promise; here it settles 30 ms after each batch,
    // as a slow page would. The outcome must not overtake the batch that carries the last checkpoint.
    const config = {
      ...defaultPretrainConfig(),
      corpus: { kind: 'stories' as const, num_stories: 50, seed: 1 },
      tokenizer: { kind: 'char' as const, vocabSize: 0 },
      model: { n_positions: 16, n_embd: 16, n_layer: 1, n_head: 2 },
      max_steps: 4,
      logging_steps: 2,
      eval_steps: 4,
    };
    const handled: TrainEvent['type'][] = [];
    const onEvents = (events: TrainEvent[]) =>
      new Promise<void>((resolve) => setTimeout(() => {
        handled.push(...events.map((e) => e.type));
        resolve();
      }, 30));
    const outcome = await engine.pretrain({ config, sampling: DEFAULT_SAMPLING, prompts: [] }, onEvents as unknown as (events: TrainEvent[]) => void);
    expect(outcome.status).toBe('finished');
    expect(handled.at(-1)).toBe('checkpoint');
  }, 60_000);
});
