/**
 * The checkpoint rhythm of the on-policy runs (PPO, GRPO/RLOO): a checkpoint every save_steps
 * steps and at the last one, sent with that step's events; a run stopped early first saves what it
 * learned since its last checkpoint. `step` is the last checkpoint sent, for failure messages.
 */
import type { RunOutcome, TrainEvent } from '../engine/engineApi.ts';
import type { CheckpointFiles } from './pretrainConfig.ts';
import { yieldToEventLoop } from './runControls.ts';

export class StepCheckpoints {
  /** The step of the last checkpoint sent, if any. */
  step: number | undefined;

  constructor(
    private readonly save: (step: number) => Promise<CheckpointFiles>,
    private readonly saveSteps: number,
    private readonly maxSteps: number,
  ) {}

  /** Sends one step's events, with a checkpoint when one is due, then lets other work run. */
  async send(step: number, events: TrainEvent[], onEvents: (events: TrainEvent[]) => void): Promise<void> {
    if (step % this.saveSteps === 0 || step === this.maxSteps) {
      events.push({ type: 'checkpoint', step, files: await this.save(step) });
      this.step = step;
    }
    onEvents(events);
    await yieldToEventLoop();
  }

  /** The outcome once the loop has ended at `step`: finished, or stopped with its last step saved. */
  async end(step: number, onEvents: (events: TrainEvent[]) => void): Promise<RunOutcome> {
    if (step >= this.maxSteps) return { status: 'finished', step, checkpointStep: this.step };
    if (step > 0 && this.step !== step) {
      onEvents([{ type: 'checkpoint', step, files: await this.save(step) }]);
      this.step = step;
    }
    return { status: 'stopped', step, checkpointStep: this.step };
  }
}
