/**
 * The latest checkpoint of each conversation (LangGraph thread, root namespace) as the database itself returned it,
 * kept by the PGlite storage so that reading it again costs no trip to the database thread (P4: an approval read the
 * conversation's checkpoint twice, ~3 ms each on PGlite, before its call could run).
 *
 * Why only PGlite: its data dir is opened by exactly one process (pglite-lock.ts) and its connection by exactly one
 * storage, so every write to the checkpoint tables passes through this process. On Postgres several engines share the
 * database and nothing here could know what another one wrote: it is never used there.
 *
 * Why it cannot serve a stale checkpoint:
 *   - what is kept is always the database's answer: the row a read returned, the row a write read back in its own
 *     transaction, after its own statements, or the row a write built from what it wrote and the thread's previous
 *     row only where that is exactly what the database holds (written-checkpoint-row.ts: its blob insert reports
 *     every blob inserted, unchanged channels keep the previous answer's blobs, the pending writes are read in the
 *     write's transaction, the JSON is as jsonb returns it); it cannot drift from how PostgreSQL resolves conflicts;
 *   - every write to a thread's checkpoint rows (put, putWrites, deleteThread, a conversation's deletion) runs inside
 *     `writing()`, which drops the thread's entry before it starts: while it runs, reads go to the database;
 *   - an answer is kept only when no write to the thread started or ended while it was on its way (a per-thread
 *     epoch, bumped at both ends of every write): an answer that might predate a write is used once and dropped.
 *
 * Bounded by a byte budget (least recently used first out); a thread that is not kept is simply read from the database.
 */

/** A row of PostgresSaver's SELECT_SQL (thread_id, checkpoint, checkpoint_id, parent_checkpoint_id, metadata, channel_values, pending_writes). */
export type CheckpointRow = Record<string, unknown>;

export interface LatestCheckpointCache {
  /** the thread's latest checkpoint row as the database last answered; null: it has none; undefined: not known here */
  get(threadId: string): CheckpointRow | null | undefined;
  /**
   * Call before asking the database for the thread's latest row; hand the answer to the returned function, which keeps
   * it unless a write to the thread overlapped the read (undefined: no answer to keep, the read failed).
   */
  reading(threadId: string): (row: CheckpointRow | null | undefined) => void;
  /**
   * Runs a write to the thread's checkpoint rows. Nothing is served for the thread while it runs; `latest`, the latest
   * row read back inside the write's own transaction, is kept when no other write to the thread overlapped it
   * (undefined: the thread is read from the database next time).
   */
  writing<T>(threadId: string, work: () => Promise<{ result: T; latest?: CheckpointRow | null }>): Promise<T>;
  /**
   * The thread was just created under a fresh id (a new conversation, storage/start-chat.ts): it has no checkpoint, so
   * its first run's read needs no trip to the database. Ignored while a read or write of it is in flight.
   */
  created(threadId: string): void;
  /** entries and bytes held (for tests and diagnostics) */
  stats(): { entries: number; bytes: number };
}

export interface LatestCheckpointCacheOptions {
  /** default 4 MiB: the serialized checkpoints of the conversations used most recently */
  maxBytes?: number;
}

/** Roughly what a row holds: its byte arrays and its JSON. */
function sizeOf(row: CheckpointRow | null): number {
  if (row === null) return 64;
  let bytes = 256;
  const visit = (value: unknown): void => {
    if (value instanceof Uint8Array) bytes += value.byteLength;
    else if (Array.isArray(value)) value.forEach(visit);
  };
  visit(row['channel_values']);
  visit(row['pending_writes']);
  bytes += JSON.stringify(row['checkpoint'] ?? null).length + JSON.stringify(row['metadata'] ?? null).length;
  return bytes;
}

export function createLatestCheckpointCache(options: LatestCheckpointCacheOptions = {}): LatestCheckpointCache {
  const maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
  /** insertion order is recency: the first entry is the least recently used */
  const entries = new Map<string, { row: CheckpointRow | null; bytes: number }>();
  let bytes = 0;
  /** bumped when a write to the thread starts and when it ends */
  const epochs = new Map<string, number>();
  /** writes to the thread in flight */
  const writes = new Map<string, number>();
  /** reads of the thread in flight (its epoch must be remembered until they are answered) */
  const reads = new Map<string, number>();
  const add = (counts: Map<string, number>, threadId: string, delta: number) => {
    const next = (counts.get(threadId) ?? 0) + delta;
    if (next === 0) counts.delete(threadId);
    else counts.set(threadId, next);
    return next;
  };

  const epochOf = (threadId: string) => epochs.get(threadId) ?? 0;
  const bump = (threadId: string) => epochs.set(threadId, epochOf(threadId) + 1);

  function drop(threadId: string): void {
    const entry = entries.get(threadId);
    if (!entry) return;
    entries.delete(threadId);
    bytes -= entry.bytes;
  }

  function keep(threadId: string, row: CheckpointRow | null): void {
    drop(threadId);
    const size = sizeOf(row);
    if (size > maxBytes) return;
    entries.set(threadId, { row, bytes: size });
    bytes += size;
    for (const [oldest, entry] of entries) {
      if (bytes <= maxBytes) break;
      entries.delete(oldest);
      bytes -= entry.bytes;
    }
  }

  /** an epoch is only needed while a read or write of its thread is in flight: forgotten once the thread is quiet */
  function settle(threadId: string): void {
    if (!writes.has(threadId) && !reads.has(threadId)) epochs.delete(threadId);
  }

  return {
    get(threadId) {
      const entry = entries.get(threadId);
      if (!entry) return undefined;
      // most recently used last
      entries.delete(threadId);
      entries.set(threadId, entry);
      return entry.row;
    },

    reading(threadId) {
      add(reads, threadId, 1);
      const epoch = epochOf(threadId);
      let answered = false;
      return (row) => {
        if (answered) return;
        answered = true;
        add(reads, threadId, -1);
        if (row !== undefined && epochOf(threadId) === epoch && !writes.has(threadId)) keep(threadId, row);
        settle(threadId);
      };
    },

    async writing(threadId, work) {
      drop(threadId);
      bump(threadId);
      const started = epochOf(threadId);
      add(writes, threadId, 1);
      let latest: CheckpointRow | null | undefined;
      try {
        const outcome = await work();
        latest = outcome.latest;
        return outcome.result;
      } finally {
        const left = add(writes, threadId, -1);
        // kept only if nothing else touched the thread meanwhile (no other write started or ended)
        const alone = epochOf(threadId) === started && left === 0;
        bump(threadId);
        if (alone && latest !== undefined) keep(threadId, latest);
        else drop(threadId);
        settle(threadId);
      }
    },

    created(threadId) {
      if (!writes.has(threadId) && !reads.has(threadId)) keep(threadId, null);
    },

    stats: () => ({ entries: entries.size, bytes }),
  };
}
