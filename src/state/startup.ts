/** What the page does once on load: read the run history, look for the base checkpoint, watch the worker. */
import { onWorkerError } from '../lib/engine.ts';
import { checkpoints } from './checkpoints.svelte.ts';
import { history } from './history.svelte.ts';
import { notices } from './notices.svelte.ts';
import { run } from './run.svelte.ts';

export function startApp(): void {
  onWorkerError((message, fatal) => {
    notices.push('error', `Training worker: ${message}.${fatal ? ' Reload the page to try again.' : ''}`);
    if (fatal) void run.workerLost(message);
  });
  history
    .refresh()
    // Show the latest run again, so a reload lands where the class left off.
    .then(() => (history.runs[0]?.id !== undefined && run.id === null ? run.open(history.runs[0].id) : undefined))
    .catch((error: unknown) => {
      notices.push('error', `Could not read the run history from browser storage: ${error instanceof Error ? error.message : String(error)}`);
    });
  void checkpoints.probeBase();
}
