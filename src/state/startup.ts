/** What the page does once on load: apply the link's settings, read the run history, look for the base checkpoint, watch the worker. */
import { onWorkerError } from '../lib/engine.ts';
import { backend } from './backend.svelte.ts';
import { checkpoints } from './checkpoints.svelte.ts';
import { history } from './history.svelte.ts';
import { notices } from './notices.svelte.ts';
import { run } from './run.svelte.ts';
import { endLiveRuns } from './trainingRun.svelte.ts';
import { urlConfig } from './urlConfig.svelte.ts';

export function startApp(): void {
  // First: the link's settings are in the forms before any tab shows them.
  urlConfig.start();
  onWorkerError((message, fatal) => {
    notices.push('error', `Training worker: ${message}.${fatal ? ' Reload the page to try again.' : ''}`);
    if (fatal) {
      backend.lost(message);
      void endLiveRuns(message);
    }
  });
  history
    .refresh()
    // Show the latest pretraining run again, so a reload lands where the class left off
    // (each later stage reopens its own latest run when its tab opens).
    .then(() => run.openLatest())
    .catch((error: unknown) => {
      notices.push('error', `Could not read the run history from browser storage: ${error instanceof Error ? error.message : String(error)}`);
    });
  void checkpoints.probeBase();
}
