import type { StorageConfig } from '../config/index.ts';
import type { PlatformStorage } from '../ports/index.ts';
import { openEmbeddedDatabase, type EmbeddedDatabase } from './embedded-database.ts';

/**
 * Postgres when POSTGRES_DATABASE_URL is set (migrated by POSTGRES_MIGRATION_URL's role when given), otherwise PGlite in the data dir; migrations applied either way.
 * Each driver is imported only when chosen: node-postgres is not loaded for PGlite, nor PGlite's WASM for Postgres.
 * The embedded database's thread is started before the storage code loads (embedded-database.ts), or earlier still
 * by runServer (`embedded`: already opening in config.dataDir, see startup/early-database.ts); either way it is
 * owned, and closed, by the storage returned.
 */
export async function createStorage(config: StorageConfig, opening: { embedded?: Promise<EmbeddedDatabase> } = {}): Promise<PlatformStorage> {
  if (config.postgresUrl) {
    const { createPostgresStorage } = await import('./postgres-storage.ts');
    return createPostgresStorage({ url: config.postgresUrl, ...(config.postgresMigrationUrl ? { migrationUrl: config.postgresMigrationUrl } : {}) });
  }
  // The database starts opening on its own thread first; the storage code (Drizzle, the stores) loads meanwhile.
  const embedded = await (opening.embedded ?? openEmbeddedDatabase(config.dataDir));
  try {
    const { createPgliteStorage } = await import('./pglite-storage.ts');
    return await createPgliteStorage({ embedded });
  } catch (error) {
    await embedded.close().catch(() => undefined);
    throw error;
  }
}
