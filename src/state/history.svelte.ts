/** The list of stored runs of every stage, newest first; deleting a run removes everything stored with it. */
import { db, type RunRecord } from '../lib/db.ts';
import { liveRunIds } from './trainingRun.svelte.ts';

class HistoryState {
  runs = $state.raw<RunRecord[]>([]);
  loaded = $state(false);
  /** Runs whose checkpoint can be continued or exported. */
  withCheckpoint = $derived(this.runs.filter((r) => r.checkpointStep !== undefined));

  /** Loads the list; on the first load, runs left 'running' by a closed tab become 'interrupted'. */
  async refresh(): Promise<void> {
    if (!this.loaded) {
      const live = liveRunIds();
      await db.runs
        .filter((r) => (r.status === 'running' || r.status === 'paused') && !live.includes(r.id!))
        .modify({ status: 'interrupted' })
        .catch(() => undefined);
    }
    this.runs = await db.runs.orderBy('createdAt').reverse().toArray();
    this.loaded = true;
  }

  /** Deletes a stored run; the run states call this (TrainingRunState.remove), never for a live run. */
  async remove(id: number): Promise<void> {
    await db.transaction('rw', [db.runs, db.metrics, db.samples, db.checkpoints], async () => {
      await db.metrics.where('runId').equals(id).delete();
      await db.samples.where('runId').equals(id).delete();
      await db.checkpoints.delete(id);
      await db.runs.delete(id);
    });
    await this.refresh();
  }
}

export const history = new HistoryState();
