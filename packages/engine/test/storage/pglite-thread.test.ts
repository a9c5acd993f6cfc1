/**
 * The data dir's database on its own thread (storage/pglite-thread): what crosses between the threads must behave as
 * PGlite does in-process — transactions commit or roll back as a whole, PostgreSQL's error fields survive, a database
 * that cannot open says why on the first query — and a fresh data dir is the install-time template, migrated.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedDatabase, type EmbeddedDatabase } from '../../src/adapters/storage/pglite/embedded-database.ts';
import { defaultPgliteTemplateDir, seedFromPgliteTemplate } from '../../src/adapters/storage/pglite/pglite-template.ts';

const scratch = mkdtempSync(path.join(tmpdir(), 'skyflo-pglite-thread-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('PGlite on its own thread', () => {
  let database: EmbeddedDatabase;
  const db = () => database.connection;

  beforeAll(async () => {
    database = await openEmbeddedDatabase(path.join(scratch, 'data'));
    await db().exec('create table items (id int primary key, note text, at timestamptz, doc jsonb)');
  });
  afterAll(() => database.close());

  it('starts from the template: only the postgres database, with every migration applied', async () => {
    const databases = await db().query<{ datname: string }>('select datname from pg_database order by datname');
    expect(databases.rows.map((row) => row.datname)).toEqual(['postgres']);
    const applied = await db().query<{ count: number }>('select count(*)::int as count from drizzle.__drizzle_migrations');
    expect(applied.rows[0]!.count).toBeGreaterThanOrEqual(7);
    await expect(db().query('select count(*) from users')).resolves.toMatchObject({ rows: [{ count: 0 }] });
  });

  it('runs on a template without free space or visibility maps: PostgreSQL makes them again when it vacuums', async () => {
    const file = await db().query<{ path: string }>("select pg_relation_filepath('pg_proc') as path");
    const catalog = path.join(scratch, 'data', 'pglite', file.rows[0]!.path);
    expect(existsSync(catalog)).toBe(true);
    expect(existsSync(`${catalog}_fsm`)).toBe(false);
    await db().exec(`insert into settings (key, value) select 'bulk-' || n, '{"n": 1}' from generate_series(1, 2000) n`);
    await db().exec("delete from settings where key like 'bulk-%'");
    await db().exec('vacuum settings');
    const settings = await db().query<{ path: string }>("select pg_relation_filepath('settings') as path");
    const table = path.join(scratch, 'data', 'pglite', settings.rows[0]!.path);
    expect(existsSync(`${table}_fsm`)).toBe(true);
    expect(existsSync(`${table}_vm`)).toBe(true);
  });

  it('passes parameters and values across: text, json, timestamps parsed or kept as text as asked', async () => {
    await db().query('insert into items values ($1, $2, $3, $4)', [1, 'first', '2026-11-22T10:00:00Z', { replicas: 3 }]);
    const parsed = await db().query<{ note: string; at: Date; doc: unknown }>('select note, at, doc from items where id = $1', [1]);
    expect(parsed.rows[0]).toEqual({ note: 'first', at: new Date('2026-11-22T10:00:00Z'), doc: { replicas: 3 } });
    // Drizzle's way: the timestamp as PostgreSQL wrote it, rows as arrays
    const raw = await db().query<unknown[]>('select id, at from items where id = 1', [], { rowMode: 'array', parsers: { 1184: (value: string) => value } });
    expect(raw.rows).toEqual([[1, '2026-11-22 10:00:00+00']]);
  });

  it('refuses a parser that would have to run on the other thread, rather than ignoring it', async () => {
    await expect(db().query('select 1', [], { parsers: { 23: (value: string) => Number(value) * 2 } })).rejects.toThrow(/parser for type 23 is not available/);
  });

  it('commits a transaction as a whole, and rolls it back as a whole when its callback throws', async () => {
    await db().transaction(async (tx) => {
      await tx.query('insert into items (id, note) values (2, $1)', ['committed']);
      await tx.query('insert into items (id, note) values (3, $1)', ['committed too']);
    });
    await expect(
      db().transaction(async (tx) => {
        await tx.query('insert into items (id, note) values (4, $1)', ['rolled back']);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    await db().transaction(async (tx) => {
      await tx.query('insert into items (id, note) values (5, $1)', ['rolled back explicitly']);
      await tx.rollback();
    });
    const ids = await db().query<{ id: number }>('select id from items order by id');
    expect(ids.rows.map((row) => row.id)).toEqual([1, 2, 3]);
  });

  it('keeps a transaction to itself: a query outside it waits until it commits', async () => {
    let insideDone = false;
    const inside = db().transaction(async (tx) => {
      await tx.query("insert into items (id, note) values (6, 'inside')");
      // One more round trip to the database thread, sent after the outside query was: had that query not been held
      // back until the commit, it would be answered first (the thread answers in order) and see insideDone false.
      await tx.query('select 1');
      insideDone = true;
    });
    const outside = db()
      .query<{ count: number }>('select count(*)::int as count from items where id = 6')
      .then((result) => ({ count: result.rows[0]!.count, afterCommit: insideDone }));
    await inside;
    expect(await outside).toEqual({ count: 1, afterCommit: true });
  });

  it("keeps PostgreSQL's error fields (code, constraint, detail) on errors from the other thread", async () => {
    const failure = await db().query("insert into items (id, note) values (1, 'again')").catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect(failure).toMatchObject({ code: '23505', constraint: 'items_pkey', message: expect.stringContaining('duplicate key') });
    expect((failure as { detail: string }).detail).toContain('(id)=(1)');
    // the connection is still usable after a failed statement
    await expect(db().query('select 1 as one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
  });

  it('prepares a statement once and runs it again from PostgreSQL’s prepared statements, in and out of transactions', async () => {
    const text = 'select note from items where id = $1';
    await db().query(text, [1]);
    await db().transaction(async (tx) => {
      await tx.query(text, [1]);
    });
    await expect(db().query(text, [1])).resolves.toMatchObject({ rows: [{ note: 'first' }] });
    const kept = await db().query<{ count: number }>('select count(*)::int as count from pg_prepared_statements where statement = $1', [text]);
    expect(kept.rows).toEqual([{ count: 1 }]);
  });
});

describe('a data dir whose database cannot open', () => {
  it('fails the first query with the reason, and closes cleanly', async () => {
    const dataDir = path.join(scratch, 'broken');
    mkdirSync(dataDir, { recursive: true });
    // `<dataDir>/pglite` is a file: there is no directory to seed or open
    writeFileSync(path.join(dataDir, 'pglite'), 'not a database');
    await expect(openEmbeddedDatabase(dataDir)).rejects.toThrow(/EEXIST|ENOTDIR|not a directory|file already exists/);

    const corrupt = path.join(scratch, 'corrupt');
    mkdirSync(path.join(corrupt, 'pglite'), { recursive: true });
    writeFileSync(path.join(corrupt, 'pglite', 'PG_VERSION'), '9\n');
    const database = await openEmbeddedDatabase(corrupt);
    try {
      await expect(database.connection.query('select 1')).rejects.toThrow(/PGlite failed to initialize/);
      await expect(database.connection.ready).rejects.toThrow(/PGlite failed to initialize/);
    } finally {
      await database.close();
    }
    // the lock is released, so the directory can be opened again (here: fails again, the same way)
    const again = await openEmbeddedDatabase(corrupt);
    await again.close();
  });
});

describe('a template that cannot be copied', () => {
  it('leaves nothing half-copied behind: PGlite initialises the data dir itself, and the migrations run', async () => {
    const templateDir = path.join(scratch, 'damaged-template');
    cpSync(defaultPgliteTemplateDir, templateDir, { recursive: true });
    // one file of the template's database cannot be read (the copy of every other file is under way meanwhile)
    symlinkSync(path.join(scratch, 'nowhere'), path.join(templateDir, 'pglite', 'base', 'unreadable'));
    const dataDir = path.join(scratch, 'from-damaged-template');
    const database = await openEmbeddedDatabase(dataDir, templateDir);
    try {
      // initdb's own databases: this directory was not seeded from the template (which has only `postgres`)
      const databases = await database.connection.query<{ datname: string }>('select datname from pg_database order by datname');
      expect(databases.rows.map((row) => row.datname)).toEqual(['postgres', 'template0', 'template1']);
      await expect(database.connection.query('select count(*)::int as count from users')).resolves.toMatchObject({ rows: [{ count: 0 }] });
      expect(readdirSync(dataDir).filter((name) => name.startsWith('pglite.seeding-'))).toEqual([]);
      // made by the fallback, not the copy: still its owner's alone (data-dir-permissions.test.ts)
      expect(statSync(path.join(dataDir, 'pglite')).mode & 0o077).toBe(0);
    } finally {
      await database.close();
    }
  }, 60_000);
});

describe('seeding a database directory not made yet', () => {
  it('copies the template into its place rather than leaving PostgreSQL to initialise it (initdb, ~4 s)', async () => {
    const databaseDir = path.join(scratch, 'not-made-yet', 'pglite');
    mkdirSync(path.dirname(databaseDir));
    await expect(seedFromPgliteTemplate({ databaseDir })).resolves.toMatchObject({ layout: 3 });
    expect(existsSync(path.join(databaseDir, 'PG_VERSION'))).toBe(true);
    expect(existsSync(path.join(databaseDir, 'base'))).toBe(true);
    expect(readdirSync(path.dirname(databaseDir))).toEqual(['pglite']);
  });
});
