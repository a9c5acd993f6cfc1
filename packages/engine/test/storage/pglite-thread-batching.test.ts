/**
 * The PGlite thread's cheaper round trips (storage/pglite-thread/messages.ts): requests and replies of the same tick
 * travel in one message, a transaction opens with its first statement, and the checkpointer's writes commit in one
 * message. What must not change: every transaction is still all-or-nothing and isolated, and nothing is lost when many
 * callers talk to the thread at once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedDatabase, type EmbeddedDatabase } from '../../src/adapters/storage/pglite/embedded-database.ts';
import { createPglitePool } from '../../src/adapters/storage/pglite/pglite-pool.ts';
import { canBatch } from '../../src/adapters/storage/pglite/pglite-thread/pglite-thread-client.ts';

const scratch = mkdtempSync(path.join(tmpdir(), 'skyflo-pglite-batching-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('PGlite thread: batched messages and transactions', () => {
  let database: EmbeddedDatabase;
  const db = () => database.connection;

  beforeAll(async () => {
    database = await openEmbeddedDatabase(path.join(scratch, 'data'));
    await db().exec('create table counters (id int primary key, value int not null)');
    await db().exec('create table notes (id int primary key, note text not null)');
    await db().exec('insert into counters values (1, 0)');
  });
  afterAll(() => database.close());

  it('keeps 200 concurrent read-modify-write transactions and 200 outside reads consistent', async () => {
    const increments = Array.from({ length: 200 }, () =>
      db().transaction(async (tx) => {
        const { rows } = await tx.query<{ value: number }>('select value from counters where id = 1 for update');
        await tx.query('update counters set value = $1 where id = 1', [rows[0]!.value + 1]);
      }),
    );
    // every outside read sees a committed value, never one of a transaction still open
    const reads = Array.from({ length: 200 }, () => db().query<{ value: number }>('select value from counters where id = 1'));
    await Promise.all(increments);
    const seen = (await Promise.all(reads)).map((result) => result.rows[0]!.value);
    expect(seen.every((value) => value >= 0 && value <= 200)).toBe(true);
    await expect(db().query('select value from counters where id = 1')).resolves.toMatchObject({ rows: [{ value: 200 }] });
  });

  it('runs statements a transaction sends at once (before its first answer) inside that transaction', async () => {
    await expect(
      db().transaction(async (tx) => {
        await Promise.all([tx.query("insert into notes values (1, 'a')"), tx.query("insert into notes values (2, 'b')")]);
        throw new Error('undo both');
      }),
    ).rejects.toThrow('undo both');
    await expect(db().query('select count(*)::int as count from notes')).resolves.toMatchObject({ rows: [{ count: 0 }] });
  });

  it('a transaction that sends no statement holds nothing: the next query is answered', async () => {
    await expect(db().transaction(async () => 'nothing to do')).resolves.toBe('nothing to do');
    await db().transaction(async (tx) => {
      await tx.rollback();
    });
    await expect(db().query('select 1 as one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
  });

  it("commits the checkpointer's buffered writes together, or none of them when one fails", async () => {
    expect(canBatch(db())).toBe(true);
    const pool = createPglitePool(db());
    const client = await pool.connect();
    await client.query('BEGIN');
    await client.query('insert into notes values ($1, $2)', [10, 'first']);
    await client.query('insert into notes values ($1, $2)', [11, 'second']);
    await client.query('COMMIT');
    client.release();
    const failing = await pool.connect();
    await failing.query('BEGIN');
    await failing.query('insert into notes values ($1, $2)', [12, 'would be written']);
    await failing.query('insert into notes values ($1, $2)', [10, 'duplicate key']);
    await expect(failing.query('COMMIT')).rejects.toMatchObject({ code: '23505' });
    failing.release();
    const notes = await db().query<{ id: number; note: string }>('select id, note from notes order by id');
    expect(notes.rows).toEqual([
      { id: 10, note: 'first' },
      { id: 11, note: 'second' },
    ]);
  });
});
