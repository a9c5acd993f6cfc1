import type { StorageConfig } from '../config/index.ts';
import type { PlatformStorage } from '../ports/index.ts';
import { createPgliteStorage } from './pglite-storage.ts';
import { createPostgresStorage } from './postgres-storage.ts';

/** Postgres when POSTGRES_DATABASE_URL is set, otherwise PGlite in the data dir; migrations applied either way. */
export function createStorage(config: StorageConfig): Promise<PlatformStorage> {
  return config.postgresUrl ? createPostgresStorage({ url: config.postgresUrl }) : createPgliteStorage({ dataDir: config.dataDir });
}
