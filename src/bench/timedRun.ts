/**
 * A benchmark run in the app's worker for a wall-clock budget, as the stage benchmarks time them:
 * the clock starts at the run's 'started' event (after loading), the engine is stopped when the
 * budget is spent, and each metrics row becomes a point stamped with its seconds, printed to the
 * page's console as `<tag> {json}` for the script to stream.
 */
import * as Comlink from 'comlink';
import type { EngineApi, RunOutcome, TrainEvent } from '../core/engine/engineApi.ts';
import type { MetricRow, Sample } from '../core/train/pretrainConfig.ts';

export interface TimedRunResult<P> {
  backend: string;
  outcome: RunOutcome;
  points: P[];
}

export interface TimedRunOptions<P> {
  budgetSeconds: number;
  /** Console prefix of each point's line. */
  tag: string;
  point: (row: MetricRow, seconds: number) => P;
  onSamples?: (samples: Sample[]) => void;
  /** Starts the run with the (proxied) event handler. */
  call: (onEvents: (events: TrainEvent[]) => void) => Promise<RunOutcome>;
}

export async function timedRun<P>(engine: Comlink.Remote<EngineApi>, o: TimedRunOptions<P>): Promise<TimedRunResult<P>> {
  const result: TimedRunResult<P> = { backend: '', outcome: { status: 'failed', step: 0 }, points: [] };
  let t0 = 0;
  let budget: ReturnType<typeof setTimeout> | undefined;
  const onEvents = Comlink.proxy((events: TrainEvent[]) => {
    for (const e of events) {
      if (e.type === 'started') {
        t0 = performance.now();
        result.backend = e.backend;
        budget = setTimeout(() => void engine.stop(), o.budgetSeconds * 1000);
      }
      if (e.type === 'samples') o.onSamples?.(e.samples);
      if (e.type !== 'metrics') continue;
      for (const row of e.rows) {
        const point = o.point(row, Math.round((performance.now() - t0) / 100) / 10);
        result.points.push(point);
        console.log(`${o.tag} ${JSON.stringify(point)}`);
      }
    }
  });
  try {
    result.outcome = await o.call(onEvents);
  } finally {
    clearTimeout(budget);
  }
  return result;
}
