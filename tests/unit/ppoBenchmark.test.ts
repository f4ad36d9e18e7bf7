import { beforeAll, describe, expect, it } from 'vitest';
import { benchmarkPpoIteration } from '../../src/core/engine/ppoBenchmark.ts';
import { defaultPpoRunConfig, rolloutBatchSize } from '../../src/core/ppo/ppoRunConfig.ts';
import { setupWasm } from './tfSetup.ts';

beforeAll(setupWasm);

describe('benchmarkPpoIteration', () => {
  it('reports rollout and update of the default PPO config apart, and leaks no tensors', async () => {
    const r = await benchmarkPpoIteration('ref', 1);
    const config = defaultPpoRunConfig();
    expect(r).toMatchObject({ batch: rolloutBatchSize(config), response_length: config.response_length, num_ppo_epochs: config.num_ppo_epochs, iterations: 1, vocab: 512, leakedTensors: 0 });
    expect(r.setup).toMatch(/fresh random ref model.*gold score/);
    for (const ms of [r.medianRolloutMs, r.medianUpdateMs]) expect(ms).toBeGreaterThan(0);
    expect(r.medianIterationMs).toBeCloseTo(r.medianRolloutMs + r.medianUpdateMs, 0);
    expect(r.meanResponseLength).toBeGreaterThan(0);
    expect(r.meanResponseLength).toBeLessThanOrEqual(config.response_length);
  }, 60_000);
});
