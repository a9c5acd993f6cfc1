/**
 * A fresh Postgres database on 127.0.0.1:5432 for a bench's second row (PGlite is the first), dropped afterwards.
 * BENCH_POSTGRES_ADMIN_URL overrides where it is created. When no server answers, the row is skipped and says why.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const adminUrl = process.env['BENCH_POSTGRES_ADMIN_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

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
  const name = `skyflo_bench_${randomBytes(5).toString('hex')}`;
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
