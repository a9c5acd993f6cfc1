/**
 * The embedded database, opened before the configuration is parsed. Why: the PGlite thread (seeding the data dir,
 * PostgreSQL's start) is the longest part of a cold start, and the configuration's schemas (zod, ~0.1 s of module
 * loading) need not come first: where the database lives is two environment variables, read here exactly as
 * config/storage.ts reads them. runServer then parses the configuration on this thread while the database opens on
 * its own, and uses this database only when the parsed configuration names the same place.
 */
import path from 'node:path';
import type { Environment } from '../../platform/config/index.ts';
import { openEmbeddedDatabase, type EmbeddedDatabase } from '../../adapters/storage/pglite/embedded-database.ts';

export interface EarlyDatabase {
  /** the absolute data dir it was opened in */
  dataDir: string;
  /** the database, opening (rejects as openEmbeddedDatabase does, e.g. the data dir is locked by another process) */
  database: Promise<EmbeddedDatabase>;
  /**
   * Closes it when the configuration turned out invalid or elsewhere: waits until it has opened or failed (a thread
   * ended halfway through seeding would leave its staging copy behind), then ends the thread and releases the lock.
   */
  abandon(): Promise<void>;
}

/**
 * The data dir of an embedded database, as loadConfig resolves it (an empty variable counts as unset, `_FILE`
 * variants included), or undefined when the environment chooses Postgres.
 */
export function embeddedDataDir(env: Environment): string | undefined {
  if (env.POSTGRES_DATABASE_URL || env.POSTGRES_DATABASE_URL_FILE) return undefined;
  return path.resolve(env.SKYFLO_DATA_DIR || './.skyflo');
}

/** Starts opening the embedded database the environment names; undefined when it names Postgres. */
export function openEarlyDatabase(env: Environment): EarlyDatabase | undefined {
  const dataDir = embeddedDataDir(env);
  if (!dataDir) return undefined;
  const database = openEmbeddedDatabase(dataDir);
  // A failure is reported by whoever uses the database (createStorage), not as an unhandled rejection.
  database.catch(() => undefined);
  return {
    dataDir,
    database,
    async abandon() {
      const opened = await database.catch(() => undefined);
      if (!opened) return;
      await opened.connection.ready.catch(() => undefined);
      await opened.close().catch(() => undefined);
    },
  };
}
