/**
 * The alert investigation queue on PGlite and Postgres (table alert_queue, migration 0012). Ordered by its bigserial
 * id; a claim deletes the row it returns, so a job is started by one engine only.
 */
import { asc, sql } from 'drizzle-orm';
import type { AlertQueueStore, QueuedAlert } from '../../../platform/ports/index.ts';
import type { SkyfloDatabase } from '../database.ts';
import { alertQueue } from '../schema.ts';
import { rowsOf } from '../rendered-statements.ts';


const toJob = (row: typeof alertQueue.$inferSelect): QueuedAlert => ({ id: row.id, userId: row.userId, conversationId: row.conversationId, title: row.title, message: row.message });

export function createAlertQueueStore(db: SkyfloDatabase): AlertQueueStore {
  return {
    enqueue: (job, limit) =>
      db.transaction(async (tx) => {
        // Why a lock: "count, then insert" from two engines at once would both see room for the last place.
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext('skyflo-alert-queue'))`);
        const [{ waiting }] = rowsOf<{ waiting: number }>(await tx.execute(sql`select count(*)::int as waiting from ${alertQueue}`));
        if (waiting >= limit) return undefined;
        const [row] = await tx.insert(alertQueue).values(job).returning({ id: alertQueue.id });
        return { id: row!.id, position: waiting };
      }),

    async claim() {
      // SKIP LOCKED: engines claiming at once each take a different row instead of waiting on the same one.
      const oldest = db.select({ id: alertQueue.id }).from(alertQueue).orderBy(asc(alertQueue.id)).limit(1).for('update', { skipLocked: true });
      const [row] = await db.delete(alertQueue).where(sql`${alertQueue.id} = (${oldest})`).returning();
      return row ? toJob(row) : undefined;
    },

    async size() {
      const [{ waiting }] = rowsOf<{ waiting: number }>(await db.execute(sql`select count(*)::int as waiting from ${alertQueue}`));
      return waiting;
    },
  };
}
