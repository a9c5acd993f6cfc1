/**
 * A fresh Postgres database on the shared server (TEST_POSTGRES_URL, default 127.0.0.1:5432, named under
 * TEST_DB_PREFIX) for a bench's second row (PGlite is the first), dropped afterwards. BENCH_POSTGRES_ADMIN_URL, when
 * set, still wins over TEST_POSTGRES_URL. When no server answers, the row is skipped and says why.
 */
import pg from 'pg';
import { testDatabaseName, testPostgresAdminUrl } from '@skyflo/testkit/services';

const adminUrl = process.env['BENCH_POSTGRES_ADMIN_URL'] || testPostgresAdminUrl();

/** Undefined when Postgres answers; otherwise the reason it cannot be used (printed instead of the row). */
export async function postgresUnavailable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (error) {
    return `no Postgres at ${new URL(adminUrl).host} (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs `use` with the URL of a new, empty database, and drops that database afterwards whatever happened. */
export async function withBenchPostgresDatabase<T>(use: (url: string) => Promise<T>): Promise<T> {
  const name = testDatabaseName('bench');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return await use(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}
