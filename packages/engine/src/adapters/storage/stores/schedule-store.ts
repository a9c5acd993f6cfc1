/**
 * Schedules and their runs on PGlite and Postgres (tables schedules and schedule_runs, migration 0027). `claim` is
 * the lease of a tick: one INSERT … ON CONFLICT DO NOTHING on the unique (schedule_id, tick), so of the replicas that
 * see a tick due at the same moment exactly one gets the row back and runs it.
 */
import { and, desc, eq, isNotNull, lt, ne, sql } from 'drizzle-orm';
import type { FindingsDiff } from '@skyflo/protocol';
import type { SkyfloDatabase } from '../database.ts';
import { runs, scheduleRuns, schedules, users } from '../schema.ts';

import type { ScheduleRecord, ScheduleRunRecord, ScheduleStore } from '../../../platform/ports/schedules.ts';

const columns = {
  id: schedules.id,
  ownerId: schedules.ownerId,
  name: schedules.name,
  schedule: schedules.schedule,
  timeZone: schedules.timeZone,
  prompt: schedules.prompt,
  cluster: schedules.cluster,
  namespaces: schedules.namespaces,
  mode: schedules.mode,
  notify: schedules.notify,
  enabled: schedules.enabled,
  managedBy: schedules.managedBy,
  createdAt: schedules.createdAt,
  updatedAt: schedules.updatedAt,
  ownerEmail: users.email,
};

export function createScheduleStore(db: SkyfloDatabase): ScheduleStore {
  const withOwner = () => db.select(columns).from(schedules).innerJoin(users, eq(users.id, schedules.ownerId));
  return {
    list: (ownerId) => (ownerId ? withOwner().where(eq(schedules.ownerId, ownerId)) : withOwner()).orderBy(desc(schedules.createdAt)),
    listEnabled: () => withOwner().where(eq(schedules.enabled, true)),
    listManaged: () => withOwner().where(isNotNull(schedules.managedBy)),
    async get(id) {
      const [row] = await withOwner().where(eq(schedules.id, id));
      return row;
    },
    async create(record) {
      const [row] = await db.insert(schedules).values(record).returning();
      return row!;
    },
    async update(id, changes, options = {}) {
      const [row] = await db
        .update(schedules)
        .set(changes)
        .where(and(eq(schedules.id, id), options.ifUpdatedAt ? eq(schedules.updatedAt, options.ifUpdatedAt) : undefined))
        .returning();
      return row;
    },
    async delete(id) {
      const removed = await db.delete(schedules).where(eq(schedules.id, id)).returning({ id: schedules.id });
      return removed.length > 0;
    },
    async claim(scheduleId, tick, trigger, startedAt) {
      const [row] = await db.insert(scheduleRuns).values({ scheduleId, tick, trigger, status: 'running', startedAt }).onConflictDoNothing({ target: [scheduleRuns.scheduleId, scheduleRuns.tick] }).returning();
      return row;
    },
    async updateRun(runId, changes) {
      await db.update(scheduleRuns).set(changes).where(eq(scheduleRuns.id, runId));
    },
    runs: (scheduleId, limit) => db.select().from(scheduleRuns).where(eq(scheduleRuns.scheduleId, scheduleId)).orderBy(desc(scheduleRuns.tick)).limit(limit),
    async closeAbandoned(startedBefore, now) {
      const closed = await db
        .update(scheduleRuns)
        .set({ status: 'failed', detail: 'the engine running this check stopped before it finished', finishedAt: now })
        .where(and(eq(scheduleRuns.status, 'running'), lt(scheduleRuns.startedAt, startedBefore), sql`not exists (select 1 from ${runs} where ${runs.conversationId} = ${scheduleRuns.conversationId} and ${runs.status} = 'running')`))
        .returning({ id: scheduleRuns.id });
      return closed.length;
    },
    async previousFindings(scheduleId, exceptRunId) {
      const [row] = await db
        .select({ findings: scheduleRuns.findings })
        .from(scheduleRuns)
        .where(and(eq(scheduleRuns.scheduleId, scheduleId), eq(scheduleRuns.status, 'completed'), ne(scheduleRuns.id, exceptRunId)))
        .orderBy(desc(sql`coalesce(${scheduleRuns.finishedAt}, ${scheduleRuns.startedAt})`))
        .limit(1);
      return row?.findings;
    },
  };
}
