/**
 * LangGraph's Postgres checkpointer with one change: `put` writes a checkpoint's channel blobs in ONE multi-row
 * insert instead of one insert per channel. Why: a run's checkpoint has a dozen channels, and on PGlite each
 * statement is a round trip to the database thread while the transaction holds it, so every other run waited for
 * 15 trips per run end (P2: 100 runs starting together queued behind them). Same rows, same transaction, same
 * ON CONFLICT rule; everything else is the library's.
 */
import type { RunnableConfig } from '@langchain/core/runnables';
import type { Checkpoint, CheckpointMetadata, ChannelVersions } from '@langchain/langgraph-checkpoint';
import type { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import type { Pool } from 'pg';

/** The library's single-row blob upsert, whose VALUES clause is widened to every blob of the checkpoint. */
const singleRowValues = 'VALUES ($1, $2, $3, $4, $5, $6)';

export async function createBatchedCheckpointSaver(pool: Pool): Promise<PostgresSaver> {
  const { PostgresSaver } = await import('@langchain/langgraph-checkpoint-postgres');

  class BatchedCheckpointSaver extends PostgresSaver {
    override async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
      // private in the library's types; read here only to reuse its statements verbatim
      const statements = (this as unknown as { SQL_STATEMENTS: { UPSERT_CHECKPOINT_BLOBS_SQL: string; UPSERT_CHECKPOINTS_SQL: string } }).SQL_STATEMENTS;
      if (config.configurable === undefined || !statements.UPSERT_CHECKPOINT_BLOBS_SQL.includes(singleRowValues)) return super.put(config, checkpoint, metadata, newVersions);
      const { thread_id: threadId, checkpoint_ns: checkpointNs = '', checkpoint_id: parentId } = config.configurable as { thread_id: string; checkpoint_ns?: string; checkpoint_id?: string };
      const [blobs, serializedMetadata] = await Promise.all([this._dumpBlobs(threadId, checkpointNs, checkpoint.channel_values, newVersions), this._dumpMetadata(metadata)]);
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        if (blobs.length > 0) {
          const rows = blobs.map((_, row) => `(${[1, 2, 3, 4, 5, 6].map((column) => `$${row * 6 + column}`).join(', ')})`).join(', ');
          await client.query(statements.UPSERT_CHECKPOINT_BLOBS_SQL.replace(singleRowValues, `VALUES ${rows}`), blobs.flat());
        }
        await client.query(statements.UPSERT_CHECKPOINTS_SQL, [threadId, checkpointNs, checkpoint.id, parentId, this._dumpCheckpoint(checkpoint), serializedMetadata]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      } finally {
        client.release();
      }
      return { configurable: { thread_id: threadId, checkpoint_ns: checkpointNs, checkpoint_id: checkpoint.id } };
    }
  }

  return new BatchedCheckpointSaver(pool);
}
