/**
 * The LangGraph checkpointer, opened on first use. Why: its library (@langchain/langgraph-checkpoint-postgres and
 * @langchain/core) takes ~0.5 s to import, and only agent runs need it, so it must not delay the engine's start.
 */
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import type { Pool } from 'pg';
import { loadOnce } from '../../../platform/config/load-once.ts';
import type { BatchedCheckpointSaverOptions } from './batched-checkpoint-saver.ts';

export interface LazyCheckpointer {
  /** the checkpointer with its tables set up; a failed attempt is retried by the next call */
  get(): Promise<BaseCheckpointSaver>;
  /** resolves once no opening is in flight (so the database can be closed under it safely) */
  settled(): Promise<void>;
}

export function createLazyCheckpointer(pool: () => Pool, options: BatchedCheckpointSaverOptions = {}): LazyCheckpointer {
  const opened = loadOnce(async () => {
    const { createBatchedCheckpointSaver } = await import('./batched-checkpoint-saver.ts');
    const checkpointer = await createBatchedCheckpointSaver(pool(), options);
    await checkpointer.setup();
    return checkpointer;
  });
  return {
    get: opened.get,
    async settled() {
      await opened.started()?.catch(() => undefined);
    },
  };
}
