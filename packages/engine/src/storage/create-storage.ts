import type { StorageConfig } from '../config/index.ts';
import type { PlatformStorage } from '../ports/index.ts';

/**
 * Postgres when POSTGRES_DATABASE_URL is set, otherwise PGlite in the data dir; migrations applied either way.
 * Each driver is imported only when chosen: node-postgres is not loaded for PGlite, nor PGlite's WASM for Postgres.
 */
export async function createStorage(config: StorageConfig): Promise<PlatformStorage> {
  if (config.postgresUrl) {
    const { createPostgresStorage } = await import('./postgres-storage.ts');
    return createPostgresStorage({ url: config.postgresUrl });
  }
  const { createPgliteStorage } = await import('./pglite-storage.ts');
  return createPgliteStorage({ dataDir: config.dataDir });
}
