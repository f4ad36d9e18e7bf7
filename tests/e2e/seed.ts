/**
 * Writes records straight into the app's IndexedDB from the page, for e2e tests that need stored
 * runs or datasets without training them, or a database as an older version of the app left it.
 */
import type { Page } from 'playwright-core';

export const DB_NAME = 'rlhf-playground';

/** Waits until the app has made its database (so opening it here cannot create an empty one). */
export async function waitForDb(page: Page): Promise<void> {
  await page.waitForFunction(async (name) => (await indexedDB.databases()).some((d) => d.name === name && (d.version ?? 0) > 0), DB_NAME);
}

/** Adds records to one store of the app's database; returns their keys, in order. */
export async function addRecords(page: Page, store: string, records: object[]): Promise<number[]> {
  await waitForDb(page);
  return page.evaluate(
    ([name, store, records]) =>
      new Promise<number[]>((resolve, reject) => {
        const open = indexedDB.open(name);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction(store, 'readwrite');
          const keys: number[] = [];
          for (const record of records) tx.objectStore(store).add(record).onsuccess = (e) => keys.push((e.target as IDBRequest<number>).result);
          tx.oncomplete = () => {
            db.close();
            resolve(keys);
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    [DB_NAME, store, records] as const,
  );
}

/** Every record of one store, and the database's IndexedDB version (dexie's version times 10). */
export function readStore(page: Page, store: string): Promise<{ version: number; records: Record<string, unknown>[] }> {
  return page.evaluate(
    ([name, store]) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open(name);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const get = db.transaction(store).objectStore(store).getAll();
          get.onsuccess = () => {
            db.close();
            resolve({ version: db.version, records: get.result });
          };
          get.onerror = () => reject(get.error);
        };
      }),
    [DB_NAME, store] as const,
  );
}

/** One store of a schema: its key path, whether keys count up, and its indexes (name: key path). */
export interface StoreSchema {
  keyPath: string | string[];
  autoIncrement?: boolean;
  indexes?: Record<string, string | string[]>;
}

/**
 * Deletes the app's database and makes it again at an older `version` with `stores`, holding
 * `records` per store: the database a visitor of an older app has. The page must be at the app's
 * origin but not running the app (which would hold the database open).
 */
export function seedOldDatabase(page: Page, version: number, stores: Record<string, StoreSchema>, records: Record<string, object[]>): Promise<void> {
  return page.evaluate(
    ([name, version, stores, records]) =>
      new Promise<void>((resolve, reject) => {
        const removal = indexedDB.deleteDatabase(name);
        removal.onerror = () => reject(removal.error);
        removal.onsuccess = () => {
          const open = indexedDB.open(name, version);
          open.onerror = () => reject(open.error);
          open.onupgradeneeded = () => {
            const db = open.result;
            for (const [store, schema] of Object.entries(stores)) {
              const os = db.createObjectStore(store, { keyPath: schema.keyPath, autoIncrement: schema.autoIncrement ?? false });
              for (const [index, keyPath] of Object.entries(schema.indexes ?? {})) os.createIndex(index, keyPath);
            }
            for (const [store, list] of Object.entries(records)) for (const record of list) open.transaction!.objectStore(store).add(record);
          };
          open.onsuccess = () => {
            open.result.close();
            resolve();
          };
        };
      }),
    [DB_NAME, version, stores, records] as const,
  );
}
