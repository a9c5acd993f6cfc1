/**
 * LangGraph's Postgres checkpointer with two changes:
 *   - `put` writes a checkpoint's channel blobs in ONE multi-row insert instead of one insert per channel. Why: a run's
 *     checkpoint has a dozen channels, and on PGlite each statement is a round trip to the database thread while the
 *     transaction holds it, so every other run waited for 15 trips per run end (P2: 100 runs starting together queued
 *     behind them). Same rows, same transaction, same ON CONFLICT rule.
 *   - with `latest` (PGlite only: a database this process alone writes), the latest checkpoint of each thread is kept
 *     as the database returned it (latest-checkpoint-cache.ts), and `getTuple` of a thread's latest checkpoint answers
 *     from it (P4: an approval read it twice). After `put` the row is built from what was written and the thread's
 *     previous row (written-checkpoint-row.ts), with only the pending writes read in the same transaction; it is read
 *     back whole, in the same round trip, only when the previous row is not known here.
 *     (Reading back every channel's blob was ~3 ms of the PGlite thread per run, growing with the conversation.)
 * Everything else is the library's: its SQL, and the same code turning a row into a checkpoint tuple.
 */
import type { RunnableConfig } from '@langchain/core/runnables';
import type { Checkpoint, CheckpointMetadata, ChannelVersions, CheckpointTuple, PendingWrite } from '@langchain/langgraph-checkpoint';
import type { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import type { Pool } from 'pg';
import type { CheckpointRow, LatestCheckpointCache } from './latest-checkpoint-cache.ts';
import { planWrittenRow, type WrittenCheckpoint } from './written-checkpoint-row.ts';

/** The library's single-row blob upsert, whose VALUES clause is widened to every blob of the checkpoint. */
const singleRowValues = 'VALUES ($1, $2, $3, $4, $5, $6)';

/** The library's WHERE clause for a thread's latest checkpoint (getTuple without a checkpoint id). */
const latestWhere = 'WHERE thread_id = $1 AND checkpoint_ns = $2 ORDER BY checkpoint_id DESC LIMIT 1';

export interface LatestCheckpoints {
  cache: LatestCheckpointCache;
  /** runs `statements` in one transaction (one round trip on the PGlite thread) and answers each one's rows */
  transaction(statements: Array<{ sql: string; params?: unknown[] }>): Promise<Array<{ rows: unknown[] }>>;
  /** runs one statement on its own (atomic by itself: no BEGIN and COMMIT around it) and answers its rows */
  query(sql: string, params: unknown[]): Promise<{ rows: unknown[] }>;
}

/** `$n` of `sql` renumbered to `$(n + offset)`: two of the library's statements sent as one, with their parameters in a row. */
const shiftParameters = (sql: string, offset: number) => sql.replace(/\$(\d+)/g, (_, index: string) => `$${Number(index) + offset}`);

export interface BatchedCheckpointSaverOptions {
  /** keep each thread's latest checkpoint (only for a database no other process writes: PGlite) */
  latest?: LatestCheckpoints;
}

type Statements = { SELECT_SQL: string; UPSERT_CHECKPOINT_BLOBS_SQL: string; UPSERT_CHECKPOINTS_SQL: string };

/**
 * A row the library would first migrate (checkpoint format < 4 with a parent: its pending sends are read from the
 * parent's writes): read through the library instead, never kept.
 */
const needsMigration = (row: CheckpointRow) => (row['checkpoint'] as { v?: number } | undefined)?.v !== undefined && (row['checkpoint'] as { v: number }).v < 4 && row['parent_checkpoint_id'] != null;

export async function createBatchedCheckpointSaver(pool: Pool, options: BatchedCheckpointSaverOptions = {}): Promise<PostgresSaver> {
  const { PostgresSaver } = await import('@langchain/langgraph-checkpoint-postgres');
  const { latest } = options;

  /** The kept row each latest-checkpoint tuple was decoded from (the cache's own object, which it never changes). */
  const decodedFrom = new WeakMap<CheckpointTuple, CheckpointRow>();

  class BatchedCheckpointSaver extends PostgresSaver {
    // private in the library's types; read here only to reuse its statements verbatim
    private get statements(): Statements {
      return (this as unknown as { SQL_STATEMENTS: Statements }).SQL_STATEMENTS;
    }

    /** The library's own query of a checkpoint's pending writes (the pending_writes column of its SELECT_SQL). */
    private get pendingWritesSql(): string {
      const writesTable = /INSERT INTO (\S+) /.exec((this as unknown as { SQL_STATEMENTS: { UPSERT_CHECKPOINT_WRITES_SQL: string } }).SQL_STATEMENTS.UPSERT_CHECKPOINT_WRITES_SQL)![1]!;
      return `SELECT array_agg(array[cw.task_id::text::bytea, cw.channel::bytea, cw.type::bytea, cw.blob] ORDER BY cw.task_id, cw.idx) AS pending_writes FROM ${writesTable} cw`;
    }

    /** The tuple the library's getTuple makes of `row` (a latest-checkpoint row that needs no migration). */
    private async tupleOf(threadId: string, checkpointNs: string, row: CheckpointRow): Promise<CheckpointTuple> {
      const parentId = row['parent_checkpoint_id'] as string | null | undefined;
      return {
        config: { configurable: { thread_id: threadId, checkpoint_ns: checkpointNs, checkpoint_id: row['checkpoint_id'] } },
        checkpoint: await this._loadCheckpoint(row['checkpoint'] as Omit<Checkpoint, 'pending_sends' | 'channel_values'>, row['channel_values'] as [Uint8Array, Uint8Array, Uint8Array][]),
        metadata: (await this._loadMetadata(row['metadata'] as Record<string, unknown>)) as CheckpointMetadata,
        parentConfig: parentId ? { configurable: { thread_id: threadId, checkpoint_ns: checkpointNs, checkpoint_id: parentId } } : undefined,
        pendingWrites: (await this._loadWrites(row['pending_writes'] as [Uint8Array, Uint8Array, Uint8Array, Uint8Array][])) as [string, string, unknown][] as unknown as CheckpointTuple['pendingWrites'],
      };
    }

    override async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
      const { thread_id: threadId, checkpoint_ns: checkpointNs = '', checkpoint_id: checkpointId } = (config.configurable ?? {}) as { thread_id?: unknown; checkpoint_ns?: string; checkpoint_id?: unknown };
      if (!latest || typeof threadId !== 'string' || checkpointId || checkpointNs !== '') return super.getTuple(config);
      const known = latest.cache.get(threadId);
      if (known === null) return undefined;
      if (known !== undefined) {
        // Decoded a macrotask later: the statements the caller sends with this read (an approval reads the conversation
        // and the approval with it) leave for the database thread first, and the decoding overlaps them instead of
        // holding them back (requests go out once this turn's microtasks are done, pglite-thread-client.ts).
        await new Promise<void>((resolve) => setImmediate(resolve));
        // a copy: the tuple's objects are the caller's to change, the kept row is not
        const tuple = await this.tupleOf(threadId, checkpointNs, structuredClone(known));
        decodedFrom.set(tuple, known);
        return tuple;
      }
      const keep = latest.cache.reading(threadId);
      let row: CheckpointRow | undefined;
      try {
        [row] = (await pool.query(this.statements.SELECT_SQL + latestWhere, [threadId, checkpointNs])).rows as CheckpointRow[];
      } catch (error) {
        keep(undefined);
        throw error;
      }
      if (row === undefined) {
        keep(null);
        return undefined;
      }
      if (needsMigration(row)) {
        keep(undefined);
        return super.getTuple(config);
      }
      const kept = structuredClone(row);
      keep(kept);
      const tuple = await this.tupleOf(threadId, checkpointNs, row);
      decodedFrom.set(tuple, kept);
      return tuple;
    }

    /**
     * Whether `tuple`, an answer of getTuple for a thread's latest checkpoint, is still that thread's latest: true only
     * when the row it was decoded from is still the one kept. Every write to the thread drops or replaces the kept row
     * (latest-checkpoint-cache.ts), so true means nothing was written since; false may also mean "not known here".
     */
    isLatest(tuple: CheckpointTuple): boolean {
      const threadId = (tuple.config.configurable as { thread_id?: unknown } | undefined)?.thread_id;
      const row = decodedFrom.get(tuple);
      return latest !== undefined && row !== undefined && typeof threadId === 'string' && latest.cache.get(threadId) === row;
    }

    override async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
      const statements = this.statements;
      const threadId = (config.configurable as { thread_id?: unknown } | undefined)?.thread_id;
      if (config.configurable === undefined || !statements.UPSERT_CHECKPOINT_BLOBS_SQL.includes(singleRowValues)) {
        if (latest && typeof threadId === 'string') return latest.cache.writing(threadId, async () => ({ result: await super.put(config, checkpoint, metadata, newVersions) }));
        return super.put(config, checkpoint, metadata, newVersions);
      }
      const { checkpoint_ns: checkpointNs = '', checkpoint_id: parentId } = config.configurable as { thread_id: string; checkpoint_ns?: string; checkpoint_id?: string };
      const thread = config.configurable['thread_id'] as string;
      const [blobs, serializedMetadata] = await Promise.all([this._dumpBlobs(thread, checkpointNs, checkpoint.channel_values, newVersions), this._dumpMetadata(metadata)]);
      const writes: Array<{ sql: string; params: unknown[] }> = [];
      if (blobs.length > 0) {
        const rows = blobs.map((_, row) => `(${[1, 2, 3, 4, 5, 6].map((column) => `$${row * 6 + column}`).join(', ')})`).join(', ');
        writes.push({ sql: statements.UPSERT_CHECKPOINT_BLOBS_SQL.replace(singleRowValues, `VALUES ${rows}`), params: blobs.flat() });
      }
      writes.push({ sql: statements.UPSERT_CHECKPOINTS_SQL, params: [thread, checkpointNs, checkpoint.id, parentId, this._dumpCheckpoint(checkpoint), serializedMetadata] });
      const next = { configurable: { thread_id: thread, checkpoint_ns: checkpointNs, checkpoint_id: checkpoint.id } };

      if (latest) {
        // Taken before the write starts (writing() forgets the thread's row): the channels this write leaves unchanged
        // keep that row's blobs.
        const previous = checkpointNs === '' ? latest.cache.get(thread) : undefined;
        const finishRow =
          previous !== undefined && blobs.length > 0
            ? planWrittenRow({ threadId: thread, checkpointNs, checkpointId: checkpoint.id, parentId, checkpoint: this._dumpCheckpoint(checkpoint), metadata: serializedMetadata, blobs: blobs as WrittenCheckpoint['blobs'] }, previous)
            : undefined;
        return latest.cache.writing(thread, async () => {
          if (checkpointNs !== '') {
            await latest.transaction(writes);
            return { result: next };
          }
          if (finishRow) {
            // ONE statement (issue 79: the run's end): the blobs' and the checkpoint's upserts as data-modifying CTEs,
            // and the checkpoint's pending writes, which neither upsert touches. One statement is atomic by itself, so
            // the same rows commit together or not at all, as in the transaction of three statements this was; on
            // PGlite's thread it saves the BEGIN, the COMMIT and two statements' round trips into PostgreSQL on every
            // run. `inserted`: how many blobs went in (one already there under its version is the database's, not ours).
            const [blobWrite, checkpointWrite] = writes as [{ sql: string; params: unknown[] }, { sql: string; params: unknown[] }];
            const offset = blobWrite.params.length;
            const [row] = (
              await latest.query(
                `WITH blobs AS (${blobWrite.sql.trim()} RETURNING channel),
                  written AS (${shiftParameters(checkpointWrite.sql.trim().replace(/;$/, ''), offset)} RETURNING checkpoint_id)
                SELECT (SELECT count(*) FROM blobs)::int AS inserted, (SELECT count(*) FROM written)::int AS written,
                  (${this.pendingWritesSql} WHERE cw.thread_id = $${offset + 1} AND cw.checkpoint_ns = $${offset + 2} AND cw.checkpoint_id = $${offset + 3}) AS pending_writes`,
                [...blobWrite.params, ...checkpointWrite.params],
              )
            ).rows as Array<{ inserted: number; written: number; pending_writes: unknown }>;
            if (Number(row?.inserted) !== blobs.length || Number(row?.written) !== 1) return { result: next };
            return { result: next, latest: finishRow(row!.pending_writes) };
          }
          // The thread's latest checkpoint as the database resolves it right after this write, in the same transaction
          // and the same round trip: what a getTuple would read next.
          const results = await latest.transaction([...writes, { sql: statements.SELECT_SQL + latestWhere, params: [thread, checkpointNs] }]);
          const [row] = results[results.length - 1]!.rows as CheckpointRow[];
          return { result: next, latest: row === undefined ? null : needsMigration(row) ? undefined : row };
        });
      }

      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        for (const write of writes) await client.query(write.sql, write.params);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      } finally {
        client.release();
      }
      return next;
    }

    override async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string): Promise<void> {
      const threadId = (config.configurable as { thread_id?: unknown } | undefined)?.thread_id;
      if (!latest || typeof threadId !== 'string') return super.putWrites(config, writes, taskId);
      return latest.cache.writing(threadId, async () => ({ result: await super.putWrites(config, writes, taskId) }));
    }

    override async deleteThread(threadId: string): Promise<void> {
      if (!latest) return super.deleteThread(threadId);
      return latest.cache.writing(threadId, async () => ({ result: await super.deleteThread(threadId) }));
    }
  }

  return new BatchedCheckpointSaver(pool);
}
