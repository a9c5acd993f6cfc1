import type { StorageConfig } from '../../platform/config/index.ts';
import { loadOrCreateAuditSigningKeyPem } from '../../platform/crypto/data-dir-secret.ts';
import { parseAuditSigningKey } from '../../platform/crypto/parse-audit-signing-key.ts';
import type { EngineStorage } from '../../app/graph/checkpoints.ts';
import { openEmbeddedDatabase, type EmbeddedDatabase } from './pglite/embedded-database.ts';

/**
 * Postgres when POSTGRES_DATABASE_URL is set (migrated by POSTGRES_MIGRATION_URL's role when given), otherwise PGlite in the data dir; migrations applied either way.
 * Each driver is imported only when chosen: node-postgres is not loaded for PGlite, nor PGlite's WASM for Postgres.
 * The embedded database's thread is started before the storage code loads (embedded-database.ts), or earlier still
 * by runServer (`embedded`: already opening in config.dataDir, see startup/early-database.ts); either way it is
 * owned, and closed, by the storage returned.
 */
export async function createStorage(config: StorageConfig, opening: { embedded?: Promise<EmbeddedDatabase>; auditSigningKeyPem?: Promise<string> } = {}): Promise<EngineStorage> {
  // The audit key signs every record the storage writes (issue 31.12); it never enters the database. Read while the
  // database opens; a failure is reported where it is awaited.
  const keyPem = opening.auditSigningKeyPem ?? auditSigningKeyPemOf(config);
  keyPem.catch(() => undefined);
  if (config.postgresUrl) {
    const { createPostgresStorage } = await import('./postgres/postgres-storage.ts');
    const auditSigningKey = parseAuditSigningKey(await keyPem);
    return createPostgresStorage({ url: config.postgresUrl, ...(config.postgresMigrationUrl ? { migrationUrl: config.postgresMigrationUrl } : {}), auditSigningKey, timeouts: config.postgresTimeouts });
  }
  // The database starts opening on its own thread first; the storage code (Drizzle, the stores) loads meanwhile.
  const embedded = await (opening.embedded ?? openEmbeddedDatabase(config.dataDir));
  try {
    const { createPgliteStorage } = await import('./pglite/pglite-storage.ts');
    return await createPgliteStorage({ embedded, auditSigningKey: parseAuditSigningKey(await keyPem) });
  } catch (error) {
    await embedded.close().catch(() => undefined);
    throw error;
  }
}

/** SKYFLO_AUDIT_SIGNING_KEY, or the key generated once in the data dir (create-engine signs chain heads with the same). */
export function auditSigningKeyPemOf(config: StorageConfig): Promise<string> {
  return config.auditSigningKey ? Promise.resolve(config.auditSigningKey) : loadOrCreateAuditSigningKeyPem(config.dataDir);
}
