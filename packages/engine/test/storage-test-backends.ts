/**
 * The storage under test on each driver, for suites that must hold on both: PGlite in memory, and a fresh Postgres
 * database on 127.0.0.1:5432 with a second Storage on it standing in for another engine process.
 */
import type { PlatformStorage } from '../src/ports/index.ts';
import { createPgliteStorage } from '../src/storage/pglite-storage.ts';
import { createPostgresStorage } from '../src/storage/postgres-storage.ts';
import { createTestPglite, createTestPostgresDatabase } from './storage-test-databases.ts';

export interface StorageBackend {
  storage: PlatformStorage;
  /** a second Storage on the same database, standing in for another engine process (undefined on PGlite) */
  secondProcess?: PlatformStorage;
  /** raw SQL as the database superuser */
  query(text: string, params?: unknown[]): Promise<unknown[]>;
  close(): Promise<void>;
}

export const storageBackends: Record<string, () => Promise<StorageBackend>> = {
  pglite: async () => {
    const { lite, query } = await createTestPglite();
    const storage = await createPgliteStorage({ lite });
    return { storage, query, close: async () => { await storage.close(); await lite.close(); } };
  },
  postgres: async () => {
    const database = await createTestPostgresDatabase();
    const storage = await createPostgresStorage({ url: database.url });
    const secondProcess = await createPostgresStorage({ url: database.url });
    return {
      storage,
      secondProcess,
      query: database.query,
      close: async () => {
        await storage.close();
        await secondProcess.close();
        await database.drop();
      },
    };
  },
};
