import type { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import type { Pool } from 'pg';
import type { KeyObject } from 'node:crypto';
import { createAuditRecordSigner } from '../../../platform/crypto/audit-record-signer.ts';
import type { EngineStorage } from '../../../app/graph/checkpoints.ts';
import { composeStorage } from '../compose-storage.ts';
import type { SkyfloDatabase } from '../database.ts';
import { openEmbeddedDatabase, type EmbeddedDatabase } from './embedded-database.ts';
import { createLazyCheckpointer } from '../checkpoints/lazy-checkpointer.ts';
import { createLatestCheckpointCache } from '../checkpoints/latest-checkpoint-cache.ts';
import { createTimelineCache } from '../stores/timeline-cache.ts';
import { migrationsFolder } from '../migrations-folder.ts';
import { createPglitePool } from './pglite-pool.ts';
import { canBatch, type PgliteConnection } from './pglite-thread/pglite-thread-client.ts';
import { schema } from '../schema.ts';

export interface PgliteStorageOptions {
  /** `<dataDir>/pglite` holds the database and `<dataDir>/skyflo.lock` keeps other processes out; none: in memory */
  dataDir?: string;
  /** a data dir's database already opening (createStorage starts it before loading this module) */
  embedded?: EmbeddedDatabase;
  /** an already open instance (tests sharing one PGlite); the caller keeps owning it */
  lite?: PGlite;
  /** where a fresh data dir is copied from; default <repo>/.tools/pglite-template (made at npm install) */
  templateDir?: string;
  /** the engine's audit key: signs each audit record (crypto/audit-record-signer.ts); absent, records are unsigned */
  auditSigningKey?: KeyObject;
}

/**
 * Embedded Postgres (PGlite, WASM) under `<dataDir>/pglite`; no dataDir keeps it in memory, in this thread.
 * A data dir's database runs on a thread of its own (pglite-thread/): it is seeded from the install-time template
 * (initdb would take ~4 s), opened and migrated there while the engine goes on building itself, and this returns
 * before it is open: the first query waits for it, and fails with the reason if it cannot open.
 * The LangGraph checkpointer is opened on first use (storage.checkpointer()). A storage that owns its PGlite (not one
 * handed in by a caller, who may share it) keeps each conversation's latest checkpoint as the database returned it
 * (latest-checkpoint-cache.ts): every write to the checkpoint tables then goes through this storage.
 */
export async function createPgliteStorage(options: PgliteStorageOptions): Promise<EngineStorage> {
  const embedded = options.embedded ?? (!options.lite && options.dataDir ? await openEmbeddedDatabase(options.dataDir, options.templateDir) : undefined);
  const lite: PgliteConnection = options.lite ?? embedded?.connection ?? (await openInMemory());
  // A caller-supplied instance (tests sharing one PGlite) stays open; its owner closes it.
  const owned = !options.lite;
  const latestCheckpoints = owned ? createLatestCheckpointCache() : undefined;
  const checkpointer = createLazyCheckpointer(() => createPglitePool(lite) as unknown as Pool, latestCheckpoints ? { latest: { cache: latestCheckpoints, transaction: (statements) => inOneTransaction(lite, statements), query: (sql, params) => lite.query(sql, params) } } : {});
  const closeOwned = async () => {
    await checkpointer.settled();
    if (embedded) await embedded.close();
    else if (owned && !lite.closed) await lite.close();
  };
  try {
    const db = drizzle(lite as PGlite, { schema }) as unknown as SkyfloDatabase;
    // The PGlite thread migrates before it answers anything; an instance on this thread is migrated here.
    if (!embedded) await migrate(drizzle(lite as PGlite), { migrationsFolder });
    return composeStorage({
      db,
      ...(options.auditSigningKey ? { auditSigner: createAuditRecordSigner(options.auditSigningKey) } : {}),
      checkpointer: checkpointer.get,
      ...(latestCheckpoints ? { latestCheckpoints } : {}),
      // the same condition: every writer of its timelines is this storage
      ...(owned ? { timelines: createTimelineCache() } : {}),
      // PGlite runs one statement at a time on its one connection, whoever shares the instance
      exclusiveConnection: true,
      ping: async () => {
        await db.execute(sql`select 1`);
      },
      close: closeOwned,
    });
  } catch (error) {
    await closeOwned().catch(() => undefined);
    throw error;
  }
}

/** `statements` in one transaction, every result answered: one round trip on the PGlite thread. */
async function inOneTransaction(lite: PgliteConnection, statements: Array<{ sql: string; params?: unknown[] }>): Promise<Array<{ rows: unknown[] }>> {
  if (canBatch(lite)) return lite.batch(statements);
  return lite.transaction(async (tx) => {
    const results: Array<{ rows: unknown[] }> = [];
    for (const statement of statements) results.push({ rows: (await tx.query(statement.sql, statement.params)).rows });
    return results;
  });
}

/**
 * PGlite on this thread, in memory (tests, and callers without a data dir). Imported here, not at the top: a data
 * dir's database runs PGlite on its own thread, and `skyflo serve` would otherwise compile PGlite's ~0.5 MB
 * Emscripten runtime on the engine's thread too (~45 ms of every start) without ever running it.
 */
async function openInMemory(): Promise<PGlite> {
  const [{ PGlite }, { pgliteStartParams }] = await Promise.all([import('@electric-sql/pglite'), import('./pglite-start-params.ts')]);
  const lite = new PGlite({ startParams: pgliteStartParams });
  await lite.waitReady;
  return lite;
}
