import { and, eq, gt, lt, sql, type Placeholder } from 'drizzle-orm';
import type { RunRecord, RunStore } from '../../../platform/ports/index.ts';
import { isUuid } from '../../../platform/ports/conversation-cursor.ts';
import type { SkyfloDatabase } from '../database.ts';
import { runs } from '../schema.ts';
import { rowsOf } from '../rendered-statements.ts';

type RunRow = typeof runs.$inferSelect;

function toRecord(row: RunRow): RunRecord {
  return {
    runId: row.runId,
    conversationId: row.conversationId,
    ...(row.userId !== null ? { userId: row.userId } : {}),
    status: row.status as RunRecord['status'],
    startedAt: row.startedAt,
    leaseUntil: row.leaseUntil,
    ...(row.finishedAt !== null ? { finishedAt: row.finishedAt } : {}),
  };
}


// The database's clock, not this process's: leases are compared by every engine process, whose clocks may differ.
// A value or a placeholder (rendered-statements.ts), as every statement that claims a run writes it.
export const leaseFromNow = (leaseMs: number | Placeholder) => sql`now() + ${leaseMs} * interval '1 millisecond'`;

/** The user's running runs whose lease has not lapsed: what the per-user limit counts, wherever a run is claimed. */
export const runningRunsOf = (userId: string | Placeholder) => sql`(select count(*) from runs where user_id = ${userId}::uuid and status = 'running' and lease_until > now())`;

/**
 * A run's claim released: the statement of `runs.finish`, also run as a data-modifying WITH of a run's last timeline
 * write (conversation-store.ts, updateTimelineAndFinishRun). Only a running run changes: finishing twice is harmless.
 */
export function finishRunStatement(db: SkyfloDatabase, runId: string) {
  return db
    .update(runs)
    .set({ status: 'finished', finishedAt: sql`now()` })
    .where(and(eq(runs.runId, runId), eq(runs.status, 'running')));
}

export interface RunStoreOptions {
  /**
   * The database has one connection that runs one statement at a time and no other process (PGlite): one statement is
   * then atomic against every other, so the per-user limit needs no transaction nor advisory lock around its count and
   * insert, which are one statement already (P4: on PGlite the transaction cost two more round trips to the database
   * thread between an approval and its call running).
   */
  exclusiveConnection?: boolean;
}

/**
 * Runs `statement`, which counts `userId`'s running runs and claims a conversation in one statement, so that two of
 * the user's requests cannot both see room for one more: as it is on PGlite (`exclusiveConnection`: one statement is
 * atomic against every other), and on Postgres in a transaction holding the user's advisory lock (a statement of its
 * own first, so under READ COMMITTED the claim's snapshot sees the previous holder's committed row).
 */
export function underUserRunLock<T>(db: SkyfloDatabase, exclusiveConnection: boolean, userId: string, statement: (executor: SkyfloDatabase) => Promise<T>): Promise<T> {
  if (exclusiveConnection) return statement(db);
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`skyflo-runs:${userId}`}))`);
    return statement(tx as unknown as SkyfloDatabase);
  });
}

/**
 * Counts the user's running runs and inserts this one in one statement, when the count leaves room; only when nothing
 * was inserted is the reason looked up (undefined: the conversation is held, not the user's limit).
 */
async function insertWithinLimit(
  executor: SkyfloDatabase,
  { runId, conversationId, leaseMs, userId, maxRunningPerUser }: { runId: string; conversationId: string; leaseMs: number; userId: string; maxRunningPerUser: number },
): Promise<{ ok: true } | { ok: false; reason: 'user_limit'; running: number } | undefined> {
  const inserted = rowsOf<{ run_id: string }>(
    await executor.execute(sql`
      insert into ${runs} (run_id, conversation_id, user_id, lease_until)
      select ${runId}::uuid, ${conversationId}::uuid, ${userId}::uuid, ${leaseFromNow(leaseMs)}
      where ${runningRunsOf(userId)} < ${maxRunningPerUser}
      on conflict do nothing
      returning run_id`),
  );
  if (inserted.length > 0) return { ok: true as const };
  const [{ running }] = await executor
    .select({ running: sql<number>`count(*)::int` })
    .from(runs)
    .where(and(eq(runs.userId, userId), eq(runs.status, 'running'), gt(runs.leaseUntil, sql`now()`)));
  if (running >= maxRunningPerUser) return { ok: false as const, reason: 'user_limit' as const, running };
  return undefined; // the conversation is held
}

/**
 * Runs on PGlite and Postgres. The guard is the partial unique index `runs_one_running_per_conversation_idx`:
 * the insert of a second running row for a conversation conflicts and writes nothing, whichever process tries.
 */
export function createRunStore(db: SkyfloDatabase, options: RunStoreOptions = {}): RunStore {
  const running = (conversationId: string) => and(eq(runs.conversationId, conversationId), eq(runs.status, 'running'));

  return {
    async begin({ runId, conversationId, leaseMs, userId, maxRunningPerUser }) {
      // A few attempts: the holder may finish, or its lease lapse, between our insert and our look-up.
      // The insert comes first: a free conversation (the usual case, and the approval latency path) costs one query.
      let endedLapsedRun: string | undefined;
      // A run this claim ended is named whatever the claim's outcome: a claim refused after it is the only one that knows.
      const naming = <Outcome extends object>(outcome: Outcome) => (endedLapsedRun ? { ...outcome, endedLapsedRun } : outcome);
      for (let attempt = 0; attempt < 3; attempt++) {
        const insertRun = async (executor: SkyfloDatabase) => {
          const inserted = await executor
            .insert(runs)
            .values({ runId, conversationId, userId: userId ?? null, leaseUntil: leaseFromNow(leaseMs) })
            .onConflictDoNothing()
            .returning({ runId: runs.runId });
          return inserted.length > 0 ? { ok: true as const } : undefined;
        };
        const outcome =
          userId === undefined || maxRunningPerUser === undefined
            ? await insertRun(db)
            : await underUserRunLock(db, options.exclusiveConnection === true, userId, (executor) => insertWithinLimit(executor, { runId, conversationId, leaseMs, userId, maxRunningPerUser }));
        if (outcome) return naming(outcome);
        // A process that died mid-run never finishes its row; once its lease has passed, the conversation is free.
        const lapsed = await db
          .update(runs)
          .set({ status: 'finished', finishedAt: sql`now()` })
          .where(and(running(conversationId), lt(runs.leaseUntil, sql`now()`)))
          .returning({ runId: runs.runId });
        if (lapsed.length > 0) {
          endedLapsedRun = lapsed[0]!.runId;
          continue;
        }
        const [active] = await db.select().from(runs).where(running(conversationId));
        if (active) return naming({ ok: false, reason: 'conversation_busy', active: toRecord(active) });
      }
      throw new Error(`could not claim conversation ${conversationId} for run ${runId}: the running run kept changing`);
    },

    async renew(runId, leaseMs) {
      const rows = await db
        .update(runs)
        .set({ leaseUntil: leaseFromNow(leaseMs) })
        .where(and(eq(runs.runId, runId), eq(runs.status, 'running')))
        .returning({ runId: runs.runId });
      return rows.length > 0;
    },

    async finish(runId) {
      await finishRunStatement(db, runId);
    },

    async get(runId) {
      if (!isUuid(runId)) return undefined;
      const [row] = await db.select().from(runs).where(eq(runs.runId, runId));
      return row ? toRecord(row) : undefined;
    },
  };
}
