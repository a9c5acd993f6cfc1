/**
 * The data dir's database, opening: its lock taken and its PGlite thread started. Kept apart from the storage code
 * (Drizzle, the stores) on purpose: `skyflo serve` starts this first, and loads everything else while it opens.
 */
import path from 'node:path';
import { lockDataDir, type DataDirLock } from './pglite-lock.ts';
import { defaultPgliteTemplateDir } from './pglite-template.ts';
import { makeOwnDirectoryPrivate } from '../../../platform/crypto/private-directory.ts';
import { startPgliteThread, type PgliteThreadClient } from './pglite-thread/pglite-thread-client.ts';
import { markStartup } from '../../../platform/observability/startup-trace.ts';

export interface EmbeddedDatabase {
  connection: PgliteThreadClient;
  lock: DataDirLock;
  /** ends the thread (closing PGlite if it opened), then releases the data dir */
  close(): Promise<void>;
}

/** `<dataDir>/pglite` seeded from `templateDir` (default: the install-time template) when empty. */
export async function openEmbeddedDatabase(dataDir: string, templateDir = defaultPgliteTemplateDir): Promise<EmbeddedDatabase> {
  const lock = await lockDataDir(dataDir);
  try {
    const databaseDir = path.join(dataDir, 'pglite');
    await makeOwnDirectoryPrivate(databaseDir);
    const connection = startPgliteThread({ databaseDir, templateDir });
    markStartup('database thread started');
    connection.ready.then(() => markStartup('database open'), () => undefined);
    return {
      connection,
      lock,
      async close() {
        await connection.close();
        await lock.release();
      },
    };
  } catch (error) {
    await lock.release();
    throw error;
  }
}
