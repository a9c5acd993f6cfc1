/**
 * The storage under test on each driver, for suites that must hold on all: PGlite in memory, PGlite in a fresh data
 * dir (what `skyflo serve` runs: seeded from the template, on its own thread), and a fresh Postgres database on
 * 127.0.0.1:5432 with a second Storage on it standing in for another engine process.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EngineStorage } from '../../src/app/graph/checkpoints.ts';
import { openEmbeddedDatabase } from '../../src/adapters/storage/pglite/embedded-database.ts';
import { createPgliteStorage } from '../../src/adapters/storage/pglite/pglite-storage.ts';
import { createPostgresStorage } from '../../src/adapters/storage/postgres/postgres-storage.ts';
import { createTestPglite, createTestPostgresDatabase } from '../support/test-databases.ts';

export interface StorageBackend {
  storage: EngineStorage;
  /** a second Storage on the same database, standing in for another engine process (undefined on PGlite) */
  secondProcess?: EngineStorage;
  /** raw SQL as the database superuser */
  query(text: string, params?: unknown[]): Promise<unknown[]>;
  close(): Promise<void>;
}

/** The engine's audit key in these tests: every backend signs its audit records with it, as `skyflo serve` does. */
export const testAuditSigningKey = generateKeyPairSync('ed25519').privateKey;

export const storageBackends: Record<string, () => Promise<StorageBackend>> = {
  pglite: async () => {
    const { lite, query } = await createTestPglite();
    const storage = await createPgliteStorage({ lite, auditSigningKey: testAuditSigningKey });
    return { storage, query, close: async () => { await storage.close(); await lite.close(); } };
  },
  'pglite data dir': async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'skyflo-storage-'));
    const embedded = await openEmbeddedDatabase(dataDir);
    const storage = await createPgliteStorage({ embedded, auditSigningKey: testAuditSigningKey });
    return {
      storage,
      query: async (text, params) => (await embedded.connection.query(text, params)).rows,
      close: async () => {
        await storage.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  },
  postgres: async () => {
    const database = await createTestPostgresDatabase();
    const storage = await createPostgresStorage({ url: database.url, auditSigningKey: testAuditSigningKey });
    const secondProcess = await createPostgresStorage({ url: database.url, auditSigningKey: testAuditSigningKey });
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
