import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import type { Pool } from 'pg';
import type { PlatformStorage } from '../ports/index.ts';
import { composeStorage, migrationsFolder } from './compose-storage.ts';
import type { SkyfloDatabase } from './database.ts';
import { lockDataDir } from './pglite-lock.ts';
import { createLazyCheckpointer } from './lazy-checkpointer.ts';
import { createPglitePool } from './pglite-pool.ts';
import { seedFromPgliteTemplate } from './pglite-template.ts';
import { schema } from './schema.ts';

export interface PgliteStorageOptions {
  /** `<dataDir>/pglite` holds the database and `<dataDir>/skyflo.lock` keeps other processes out; none: in memory */
  dataDir?: string;
  /** an already open instance (tests sharing one PGlite); the caller keeps owning it */
  lite?: PGlite;
  /** where a fresh data dir is copied from; default <repo>/.tools/pglite-template (made at npm install) */
  templateDir?: string;
}

/**
 * Embedded Postgres (PGlite, WASM) under `<dataDir>/pglite`; no dataDir keeps it in memory.
 * Opening an existing directory takes ~0.5 s; a fresh one is seeded from the install-time template (initdb takes ~4 s).
 * The LangGraph checkpointer is opened on first use (storage.checkpointer()).
 */
export async function createPgliteStorage(options: PgliteStorageOptions): Promise<PlatformStorage> {
  const lock = !options.lite && options.dataDir ? await lockDataDir(options.dataDir) : undefined;
  let lite: PGlite;
  try {
    lite = options.lite ?? (await openPglite(options.dataDir, options.templateDir));
  } catch (error) {
    await lock?.release();
    throw error;
  }
  // A caller-supplied instance (tests sharing one PGlite) stays open; its owner closes it.
  const owned = !options.lite;
  const checkpointer = createLazyCheckpointer(() => createPglitePool(lite) as unknown as Pool);
  const closeOwned = async () => {
    await checkpointer.settled();
    if (owned && !lite.closed) await lite.close();
    await lock?.release();
  };
  try {
    const db = drizzle(lite, { schema }) as unknown as SkyfloDatabase;
    await migrate(drizzle(lite), { migrationsFolder });
    return composeStorage({
      db,
      checkpointer: checkpointer.get,
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

/**
 * PGlite's own defaults plus a smaller buffer pool: one embedded client needs no 128 MB of shared buffers (the
 * template's postgresql.conf default), and zeroing them cost ~0.1 s of every start and ~120 MB of memory.
 */
const pgliteStartParams = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

async function openPglite(dataDir: string | undefined, templateDir: string | undefined): Promise<PGlite> {
  let databaseDir: string | undefined;
  if (dataDir) {
    databaseDir = path.join(dataDir, 'pglite');
    await mkdir(databaseDir, { recursive: true });
    await seedFromPgliteTemplate({ databaseDir, ...(templateDir ? { templateDir } : {}) });
  }
  const lite = new PGlite(databaseDir, { startParams: pgliteStartParams });
  await lite.waitReady;
  return lite;
}
