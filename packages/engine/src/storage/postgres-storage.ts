import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import type { PlatformStorage } from '../ports/index.ts';
import { composeStorage } from './compose-storage.ts';
import { migrationsFolder } from './migrations-folder.ts';
import type { SkyfloDatabase } from './database.ts';
import { schema } from './schema.ts';

/** Arbitrary constant that names Skyflo's migration lock among other applications' advisory locks. */
const MIGRATION_LOCK_KEY = 7_265_001;

/** Postgres through node-postgres; one pool shared by Drizzle and the LangGraph checkpointer. */
export async function createPostgresStorage(options: { url: string; poolSize?: number }): Promise<PlatformStorage> {
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
  // An idle client dropped by the server must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  try {
    const db = drizzle(pool, { schema }) as unknown as SkyfloDatabase;
    // Set up at start, under the migration lock (replicas starting together would race creating its tables).
    const { PostgresSaver } = await import('@langchain/langgraph-checkpoint-postgres');
    const checkpointer = new PostgresSaver(pool);
    // Several engine replicas may start at once: the advisory lock lets exactly one run migrations at a time.
    const lockClient = await pool.connect();
    try {
      await lockClient.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      await migrate(drizzle(pool), { migrationsFolder });
      await checkpointer.setup();
    } finally {
      await lockClient.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
      lockClient.release();
    }
    return composeStorage({
      db,
      checkpointer: async () => checkpointer,
      ping: async () => {
        await db.execute(sql`select 1`);
      },
      close: () => pool.end(),
    });
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
}
