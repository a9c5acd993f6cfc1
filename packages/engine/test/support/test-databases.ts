/**
 * Test databases for the platform suites, used across the capability folders: a fresh Postgres database per suite on
 * the shared server (TEST_POSTGRES_URL, default 127.0.0.1:5432; named under TEST_DB_PREFIX, dropped afterwards) and a
 * shared in-memory PGlite.
 */
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { testDatabaseName, testPostgresAdminUrl, testPostgresUrl } from '@skyflo/testkit/services';


export interface TestPostgresDatabase {
  url: string;
  query(text: string, params?: unknown[]): Promise<unknown[]>;
  drop(): Promise<void>;
}

export async function createTestPostgresDatabase(): Promise<TestPostgresDatabase> {
  const adminUrl = testPostgresAdminUrl();
  const name = testDatabaseName();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = testPostgresUrl(name);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  // Why: DROP DATABASE … WITH (FORCE) terminates every session still open on it (57P01); an idle pooled client that
  // receives that without an error listener is an unhandled 'error' event, which fails the whole test run.
  pool.on('error', () => undefined);
  let dropped = false;
  return {
    url,
    query: async (text, params) => (await pool.query(text, params)).rows,
    async drop() {
      if (dropped) return;
      dropped = true;
      // Closed before the database goes, so FORCE has nothing of ours left to terminate.
      await pool.end();
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

export async function createTestPglite(): Promise<{ lite: PGlite; query(text: string, params?: unknown[]): Promise<unknown[]> }> {
  const lite = new PGlite();
  await lite.waitReady;
  return { lite, query: async (text, params) => (await lite.query(text, params)).rows };
}
