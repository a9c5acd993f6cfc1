/**
 * The PGlite thread's statements run prepared (storage/pglite-thread/prepared-statements.ts): each text is parsed and
 * planned once and then only bound and executed. What a caller must not notice: the same rows, types and errors as
 * PGlite's own query; transactions keep their isolation; a table that changes under a kept statement still answers
 * with its new columns. What PostgreSQL must show: one prepared statement per text, never more than the bound.
 */
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTransaction } from '../../src/adapters/storage/pglite/pglite-open-transaction.ts';
import { createPreparedStatements } from '../../src/adapters/storage/pglite/pglite-thread/prepared-statements.ts';

describe('prepared statements on PGlite', () => {
  let lite: PGlite;
  const prepared = (): Promise<string[]> =>
    lite.query<{ statement: string }>("select statement from pg_prepared_statements where name like 'skyflo_%' order by prepare_time, statement").then((result) => result.rows.map((row) => row.statement));

  beforeAll(async () => {
    lite = new PGlite();
    await lite.exec('create table items (id int primary key, note text, at timestamptz, doc jsonb, tags text[])');
  });
  afterAll(() => lite.close());

  it('answers as PGlite does: parameters serialised by their type, rows and types parsed, array rows and raw parsers', async () => {
    const statements = createPreparedStatements(lite);
    const insert = 'insert into items values ($1, $2, $3, $4, $5) returning id';
    const inserted = await statements.query(insert, [1, 'first', new Date('2026-11-22T10:00:00Z'), { replicas: 3 }, ['a', 'b']]);
    expect(inserted).toMatchObject({ rows: [{ id: 1 }], affectedRows: 1 });
    const select = 'select note, at, doc, tags from items where id = $1';
    const ours = await statements.query(select, [1]);
    const theirs = await lite.query(select, [1]);
    expect(ours.rows).toEqual([{ note: 'first', at: new Date('2026-11-22T10:00:00Z'), doc: { replicas: 3 }, tags: ['a', 'b'] }]);
    expect(ours).toEqual(theirs);
    const raw = await statements.query('select id, at from items where id = $1', [1], { rowMode: 'array', parsers: { 1184: (value: string) => value } });
    expect(raw.rows).toEqual([[1, '2026-11-22 10:00:00+00']]);
    const updated = await statements.query('update items set note = $1 where id > $2', ['changed', 0]);
    expect(updated).toMatchObject({ rows: [], affectedRows: 1 });
  });

  it("reads a caller's own parsers over PGlite's without changing PGlite's, and sees parsers PGlite adds later", async () => {
    const statements = createPreparedStatements(lite);
    await lite.query(`insert into items (id, at, doc) values (30, '2026-11-27T06:00:00Z', '{"replicas": 2}')`);
    const text = 'select id, at, doc from items where id = $1';
    const rawDates = { 1184: (value: string) => `text:${value}` };
    // the same own parsers object twice (the PGlite thread keeps one per list of types), then none
    for (let run = 0; run < 2; run += 1) {
      expect((await statements.query(text, [30], { parsers: rawDates })).rows).toEqual([{ id: 30, at: 'text:2026-11-27 06:00:00+00', doc: { replicas: 2 } }]);
    }
    expect((await statements.query(text, [30])).rows).toEqual([{ id: 30, at: new Date('2026-11-27T06:00:00Z'), doc: { replicas: 2 } }]);
    expect((await lite.query(text, [30])).rows).toEqual([{ id: 30, at: new Date('2026-11-27T06:00:00Z'), doc: { replicas: 2 } }]);
    // an enum's array type is PGlite's to parse only once refreshArrayTypes has added its parser
    await lite.exec("create type mood as enum ('calm', 'busy')");
    const moods = "select array['calm', 'busy']::mood[] as moods, timestamptz '2026-11-27T06:00:00Z' as at";
    expect((await statements.query(moods, [], { parsers: rawDates })).rows).toEqual([{ moods: '{calm,busy}', at: 'text:2026-11-27 06:00:00+00' }]);
    await lite.refreshArrayTypes();
    expect((await statements.query(moods, [], { parsers: rawDates })).rows).toEqual([{ moods: ['calm', 'busy'], at: 'text:2026-11-27 06:00:00+00' }]);
    await lite.query('delete from items where id = 30');
  });

  it('parses each text once: a second run binds the kept statement', async () => {
    const statements = createPreparedStatements(lite);
    await lite.query("insert into items (id, note) values (100, 'counted')");
    const text = 'select count(*)::int as n from items where id >= $1';
    const before = (await prepared()).filter((statement) => statement === text).length;
    for (const from of [0, 1, 2]) await statements.query(text, [from]);
    expect((await prepared()).filter((statement) => statement === text)).toHaveLength(before + 1);
    expect((await statements.query<{ n: number }>(text, [100])).rows).toEqual([{ n: 1 }]);
    expect((await statements.query<{ n: number }>(text, [101])).rows).toEqual([{ n: 0 }]);
  });

  it('keeps at most maxStatements, closing the least recently used', async () => {
    await lite.exec('deallocate all');
    const statements = createPreparedStatements(lite, { maxStatements: 2 });
    await statements.query('select 1 as one', []);
    await statements.query('select 2 as two', []);
    await statements.query('select 1 as one', []); // used again: "select 2" is now the oldest
    await statements.query('select 3 as three', []);
    await statements.query('select 4 as four', []);
    expect(await prepared()).toEqual(['select 3 as three', 'select 4 as four']);
    expect((await statements.query('select 2 as two', [])).rows).toEqual([{ two: 2 }]);
  });

  it("throws PostgreSQL's errors with their fields and the query, and a failed text is not kept", async () => {
    const statements = createPreparedStatements(lite);
    await expect(statements.query('insert into items (id) values ($1)', [1])).rejects.toMatchObject({ code: '23505', constraint: 'items_pkey', query: 'insert into items (id) values ($1)' });
    // the statement itself is fine and stays usable
    await expect(statements.query('insert into items (id) values ($1)', [2])).resolves.toMatchObject({ affectedRows: 1 });
    await expect(statements.query('selec 1', [])).rejects.toMatchObject({ code: '42601' });
    expect(await prepared()).not.toContain('selec 1');
    await statements.query('delete from items where id = $1', [2]);
  });

  it('answers with the new columns after the table changes under a kept statement', async () => {
    await lite.exec('create table shapes (id int)');
    await lite.exec('insert into shapes values (1)');
    const statements = createPreparedStatements(lite);
    expect((await statements.query('select * from shapes', [])).rows).toEqual([{ id: 1 }]);
    await lite.exec("alter table shapes add column label text default 'x'");
    expect((await statements.query('select * from shapes', [])).rows).toEqual([{ id: 1, label: 'x' }]);
  });

  it('runs inside a transaction, which sees its own writes and undoes them on rollback', async () => {
    const statements = createPreparedStatements(lite);
    const open = await openTransaction(lite);
    await statements.query('insert into items (id, note) values ($1, $2)', [10, 'in a transaction'], undefined, open.tx);
    expect((await statements.query('select note from items where id = $1', [10], undefined, open.tx)).rows).toEqual([{ note: 'in a transaction' }]);
    await open.finish(false);
    expect((await statements.query('select note from items where id = $1', [10])).rows).toEqual([]);
    // a statement first prepared inside the rolled-back transaction still runs
    await expect(statements.query('insert into items (id, note) values ($1, $2)', [11, 'after'])).resolves.toMatchObject({ affectedRows: 1 });
  });

  it('waits for a transaction another caller holds open instead of running inside it', async () => {
    const statements = createPreparedStatements(lite);
    const open = await openTransaction(lite);
    await statements.query('insert into items (id, note) values ($1, $2)', [20, 'uncommitted'], undefined, open.tx);
    let answered = false;
    const outside = statements.query<{ n: number }>('select count(*)::int as n from items where id = $1', [20]).then((result) => {
      answered = true;
      return result;
    });
    // the transaction's own statements still run while the outside one waits for its end
    await statements.query('select 1', [], undefined, open.tx);
    expect(answered).toBe(false);
    await open.finish(false);
    expect((await outside).rows).toEqual([{ n: 0 }]);
  });

  it('refuses a statement for a transaction that has ended', async () => {
    const statements = createPreparedStatements(lite);
    const open = await openTransaction(lite);
    await open.finish(true);
    await expect(statements.query('select 1', [], undefined, open.tx)).rejects.toThrow('Transaction is closed');
  });
});
