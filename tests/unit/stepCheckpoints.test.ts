import { describe, expect, it } from 'vitest';
import type { TrainEvent } from '../../src/core/engine/engineApi.ts';
import type { CheckpointFiles } from '../../src/core/train/pretrainConfig.ts';
import { StepCheckpoints } from '../../src/core/train/stepCheckpoints.ts';

const files = (step: number): Promise<CheckpointFiles> => Promise.resolve({ model: new ArrayBuffer(step), config: '{}', tokenizer: '{}' });
const checkpointSteps = (events: TrainEvent[]) => events.filter((e) => e.type === 'checkpoint').map((e) => e.step);

describe('StepCheckpoints', () => {
  it('saves every save_steps steps and at the last step, with that step\'s events; a finished run says so', async () => {
    const events: TrainEvent[] = [];
    const saves = new StepCheckpoints(files, 2, 5);
    for (let step = 1; step <= 5; step++) await saves.send(step, [{ type: 'metrics', rows: [{ step }] }], (es) => events.push(...es));
    expect(checkpointSteps(events)).toEqual([2, 4, 5]);
    expect(await saves.end(5, (es) => events.push(...es))).toEqual({ status: 'finished', step: 5, checkpointStep: 5 });
  });

  it('a run stopped between checkpoints saves its last step; one stopped right after a checkpoint does not save twice', async () => {
    const events: TrainEvent[] = [];
    const saves = new StepCheckpoints(files, 2, 10);
    for (let step = 1; step <= 3; step++) await saves.send(step, [], (es) => events.push(...es));
    expect(await saves.end(3, (es) => events.push(...es))).toEqual({ status: 'stopped', step: 3, checkpointStep: 3 });
    expect(checkpointSteps(events)).toEqual([2, 3]);
    const again = new StepCheckpoints(files, 2, 10);
    const more: TrainEvent[] = [];
    for (let step = 1; step <= 2; step++) await again.send(step, [], (es) => more.push(...es));
    expect(await again.end(2, (es) => more.push(...es))).toEqual({ status: 'stopped', step: 2, checkpointStep: 2 });
    expect(checkpointSteps(more)).toEqual([2]);
    // Stopped before any step: nothing to save.
    expect(await new StepCheckpoints(files, 2, 10).end(0, () => undefined)).toEqual({ status: 'stopped', step: 0, checkpointStep: undefined });
  });
});
