import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import type { Pool } from 'pg';
import type { PlatformStorage } from '../ports/index.ts';
import { composeStorage, migrationsFolder } from './compose-storage.ts';
import type { SkyfloDatabase } from './database.ts';
import { createPglitePool } from './pglite-pool.ts';
import { schema } from './schema.ts';

/**
 * Embedded Postgres (PGlite, WASM) under `<dataDir>/pglite`; no dataDir keeps it in memory.
 * Start-up takes ~2.5 s, so tests share one instance per file.
 */
export async function createPgliteStorage(options: { dataDir?: string; lite?: PGlite }): Promise<PlatformStorage> {
  const lite = options.lite ?? (await openPglite(options.dataDir));
  // A caller-supplied instance (tests sharing one PGlite) stays open; its owner closes it.
  const owned = !options.lite;
  try {
    const db = drizzle(lite, { schema }) as unknown as SkyfloDatabase;
    await migrate(drizzle(lite), { migrationsFolder });
    const checkpointer = new PostgresSaver(createPglitePool(lite) as unknown as Pool);
    await checkpointer.setup();
    return composeStorage({
      db,
      checkpointer,
      ping: async () => {
        await db.execute(sql`select 1`);
      },
      close: async () => {
        if (owned && !lite.closed) await lite.close();
      },
    });
  } catch (error) {
    if (owned) await lite.close().catch(() => undefined);
    throw error;
  }
}

async function openPglite(dataDir: string | undefined): Promise<PGlite> {
  let databaseDir: string | undefined;
  if (dataDir) {
    databaseDir = path.join(dataDir, 'pglite');
    await mkdir(databaseDir, { recursive: true });
  }
  const lite = new PGlite(databaseDir);
  await lite.waitReady;
  return lite;
}
