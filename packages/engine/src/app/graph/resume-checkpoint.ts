/**
 * The checkpoint an approval resumes from, read by the decision (P4). The run a decision starts loaded the
 * conversation's checkpoint as its first step: on PGlite, one more round trip to the database thread between the
 * approval and `tool.executing`. The decision now reads it while it records the decision (one round trip for both)
 * and hands it to the run's graph.
 *
 * Why the handed-over checkpoint is the current one: it is read after the decision claimed the conversation
 * (storage.runs.begin), and only the run holding that claim writes a conversation's checkpoint; a run releases it
 * only after its last checkpoint write. So between the read and the run's start nothing can write it. A handed-over
 * checkpoint is taken by the run's first read and by nothing else: any other read goes to the database.
 */
import type { RunnableConfig } from '@langchain/core/runnables';
import type { BaseCheckpointSaver, CheckpointTuple } from '@langchain/langgraph-checkpoint';

export interface ResumeCheckpoints {
  /** the checkpointer the graph is compiled with: the database's, except for a checkpoint handed over */
  saver: BaseCheckpointSaver;
  /** the conversation's latest checkpoint, read from the database (never a handed-over one) */
  read(conversationId: string): Promise<CheckpointTuple | undefined>;
  /**
   * The conversation's latest checkpoint again, after `earlier` was read: `earlier` itself when the checkpointer can
   * tell nothing was written since (the PGlite storage's kept row; `earlier`'s objects then become the caller's),
   * else read as `read` does. An approval reads the paused turn before its claim and needs it again after: on PGlite
   * that was a second copy and decoding of the same row (~0.4 ms of the main thread on the way to the call).
   */
  readAgain(conversationId: string, earlier: CheckpointTuple | undefined): Promise<CheckpointTuple | undefined>;
  /**
   * Runs `work` (a run resuming `conversationId`) with `tuple` handed to its graph's first checkpoint read; whatever
   * `work` did not take is dropped when it ends.
   */
  resumeWith<T>(conversationId: string, tuple: CheckpointTuple | undefined, work: () => Promise<T>): Promise<T>;
}

/** A checkpointer that can tell whether a latest-checkpoint answer it gave is still the latest (storage/batched-checkpoint-saver.ts). */
interface KnowsLatest {
  isLatest(tuple: CheckpointTuple): boolean;
}
const knowsLatest = (saver: BaseCheckpointSaver): saver is BaseCheckpointSaver & KnowsLatest => typeof (saver as Partial<KnowsLatest>).isLatest === 'function';

/** The latest checkpoint of a thread is asked for by thread id alone (no checkpoint id, the root namespace). */
function latestOf(config: RunnableConfig): string | undefined {
  const configurable = config.configurable as { thread_id?: unknown; checkpoint_id?: unknown; checkpoint_ns?: unknown } | undefined;
  if (!configurable || typeof configurable.thread_id !== 'string' || configurable.checkpoint_id !== undefined) return undefined;
  return configurable.checkpoint_ns === undefined || configurable.checkpoint_ns === '' ? configurable.thread_id : undefined;
}

export function createResumeCheckpoints(checkpointer: BaseCheckpointSaver): ResumeCheckpoints {
  const handedOver = new Map<string, CheckpointTuple>();
  const saver = new Proxy(checkpointer, {
    get(target, property, receiver) {
      if (property === 'getTuple') {
        return async (config: RunnableConfig) => {
          const threadId = latestOf(config);
          const tuple = threadId === undefined ? undefined : handedOver.get(threadId);
          if (threadId !== undefined && tuple) {
            handedOver.delete(threadId);
            return tuple;
          }
          return target.getTuple(config);
        };
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  const read = (conversationId: string) => checkpointer.getTuple({ configurable: { thread_id: conversationId } });
  return {
    saver,
    read,
    readAgain: async (conversationId, earlier) => (earlier && knowsLatest(checkpointer) && checkpointer.isLatest(earlier) ? earlier : read(conversationId)),
    async resumeWith(conversationId, tuple, work) {
      if (tuple) handedOver.set(conversationId, tuple);
      try {
        return await work();
      } finally {
        if (tuple && handedOver.get(conversationId) === tuple) handedOver.delete(conversationId);
      }
    },
  };
}

/** The call ids of the turn a checkpoint paused at, in the model's order. */
export function pausedCallIds(tuple: CheckpointTuple | undefined): string[] {
  const pending = (tuple?.checkpoint.channel_values as { pendingTools?: Array<{ callId: string }> } | undefined)?.pendingTools;
  return Array.isArray(pending) ? pending.map((call) => call.callId) : [];
}
