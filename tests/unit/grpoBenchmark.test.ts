import { beforeAll, describe, expect, it } from 'vitest';
import { benchmarkGrpoIteration } from '../../src/core/engine/grpoBenchmark.ts';
import { defaultGrpoConfig } from '../../src/core/grpo/grpoConfig.ts';
import { setupWasm } from './tfSetup.ts';

beforeAll(setupWasm);

describe('benchmarkGrpoIteration', () => {
  it('reports rollout and update of the default GRPO config apart, and leaks no tensors', async () => {
    const r = await benchmarkGrpoIteration('ref', 1);
    const config = defaultGrpoConfig();
    expect(r).toMatchObject({
      completions_per_step: config.per_device_train_batch_size,
      num_generations: config.num_generations,
      max_completion_length: config.max_completion_length,
      num_iterations: config.num_iterations,
      iterations: 1,
      vocab: 512,
      leakedTensors: 0,
    });
    expect(r.setup).toMatch(/fresh random ref model.*GrpoConfig.*gold score/);
    for (const ms of [r.medianRolloutMs, r.medianUpdateMs]) expect(ms).toBeGreaterThan(0);
    expect(r.medianIterationMs).toBeCloseTo(r.medianRolloutMs + r.medianUpdateMs, 0);
    expect(r.meanCompletionLength).toBeGreaterThan(0);
    expect(r.meanCompletionLength).toBeLessThanOrEqual(config.max_completion_length);
  }, 60_000);
});
