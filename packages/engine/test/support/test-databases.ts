/**
 * Test databases for the platform suites, used across the capability folders: a fresh Postgres database per suite on
 * the shared server (TEST_POSTGRES_URL, default 127.0.0.1:5432; named under TEST_DB_PREFIX, dropped afterwards) and a
 * shared in-memory PGlite.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { testDatabaseName, testPostgresAdminUrl, testPostgresUrl } from '@skyflo/testkit/services';
import { defaultPgliteTemplateDir, pgliteTemplateMarker, readPgliteTemplateMarker, seedFromPgliteTemplate } from '../../src/adapters/storage/pglite/pglite-template.ts';


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
  const lite = await newTestPglite();
  return { lite, query: async (text, params) => (await lite.query(text, params)).rows };
}

/**
 * A fresh in-memory PGlite (no one else's, nothing kept after close) that starts as the engine's own first start
 * would: from the install-time template (scripts/create-pglite-template.mjs: initdb, then the engine's migrations), so
 * the migrator finds nothing or only the newest migrations to run. Why: PGlite's initdb took 4.6-5.7 s of CPU per
 * instance on the shared two-core machine (load 7-10), loading the template 0.6-0.8 s; over 90 suites make one or more.
 * Without a template for this PGlite version (tsx missing at install) it is `new PGlite()`, initdb and all.
 */
export async function newTestPglite(): Promise<PGlite> {
  const image = await templateImage();
  const lite = image ? new PGlite({ loadDataDir: image }) : new PGlite();
  await lite.waitReady;
  return lite;
}

let image: Promise<Blob | undefined> | undefined;

/**
 * The template's database as a PGlite data-dir tarball (what `loadDataDir` takes), made once per machine and template
 * by PGlite's own dumpDataDir from a seeded copy, and kept in the temp dir under a name derived from the template's
 * marker (PGlite version, layout, migrations), so a new template or PGlite makes a new one. Written beside its name and
 * renamed, so two workers making it at once never read half a file.
 */
function templateImage(): Promise<Blob | undefined> {
  image ??= (async () => {
    const marker = readPgliteTemplateMarker(defaultPgliteTemplateDir);
    const wanted = pgliteTemplateMarker();
    if (!marker || marker.pgliteVersion !== wanted.pgliteVersion || marker.layout !== wanted.layout) return undefined;
    const key = createHash('sha256').update(JSON.stringify({ dir: defaultPgliteTemplateDir, marker })).digest('hex').slice(0, 16);
    const file = path.join(tmpdir(), `skyflo-test-pglite-template-${key}.tar`);
    try {
      return new Blob([readFileSync(file)]);
    } catch {
      // not made yet on this machine
    }
    const work = await mkdtemp(path.join(tmpdir(), 'skyflo-test-pglite-template-'));
    try {
      const databaseDir = path.join(work, 'pglite');
      mkdirSync(databaseDir);
      if (!(await seedFromPgliteTemplate({ databaseDir }))) return undefined;
      const seeded = new PGlite(databaseDir);
      let tarball: Blob;
      try {
        await seeded.waitReady;
        tarball = await seeded.dumpDataDir('none');
      } finally {
        await seeded.close();
      }
      const partial = `${file}.${process.pid}`;
      writeFileSync(partial, new Uint8Array(await tarball.arrayBuffer()));
      renameSync(partial, file);
      return tarball;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  })();
  return image;
}
