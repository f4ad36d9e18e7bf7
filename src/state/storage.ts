/**
 * Every write to IndexedDB goes through `save`, so a full disk becomes a visible message that
 * says what could not be saved, never a crash or a silent loss.
 */
import { isQuotaError } from '../lib/db.ts';
import { notices } from './notices.svelte.ts';

export async function save(what: string, write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (isQuotaError(error)) {
      notices.push(
        'error',
        `Browser storage is full: could not save ${what}. Delete old runs in the run history to free space; nothing saved before was lost.`,
        'quota',
      );
    } else {
      const reason = error instanceof Error ? error.message : String(error);
      notices.push('error', `Could not save ${what}: ${reason}`);
    }
    return false;
  }
}
