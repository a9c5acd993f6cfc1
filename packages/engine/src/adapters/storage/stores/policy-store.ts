import { and, asc, eq, sql } from 'drizzle-orm';
import type { PolicyEffect } from '@skyflo/protocol';
import type { FreezeRecord, FreezeStore, PolicyRecord, PolicyStore } from '../../../platform/ports/index.ts';
import { isUuid } from '../../../platform/ports/conversation-cursor.ts';
import type { SkyfloDatabase } from '../database.ts';
import { freezes, policies } from '../schema.ts';

type Row = typeof policies.$inferSelect;

const toRecord = (row: Row): PolicyRecord => ({
  id: row.id,
  name: row.name,
  expression: row.expression,
  effect: row.effect as PolicyEffect,
  message: row.message,
  enabled: row.enabled,
  version: row.version,
  ...(row.createdBy ? { createdBy: row.createdBy } : {}),
  managedBy: row.managedBy,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

/** Postgres' unique violation: another policy has the name (policies_name_idx). */
const isNameClash = (error: unknown) => (error as { code?: unknown } | undefined)?.code === '23505' || /policies_name_idx/.test(String((error as Error | undefined)?.message));

export function createPolicyStore(db: SkyfloDatabase): PolicyStore {
  return {
    async list() {
      return (await db.select().from(policies).orderBy(asc(policies.name))).map(toRecord);
    },
    async get(id) {
      if (!isUuid(id)) return undefined;
      const [row] = await db.select().from(policies).where(eq(policies.id, id));
      return row ? toRecord(row) : undefined;
    },
    async insert(input) {
      const [row] = await db.insert(policies).values(input).onConflictDoNothing().returning();
      return row ? toRecord(row) : undefined;
    },
    async update(id, input, options = {}) {
      if (!isUuid(id)) return undefined;
      try {
        const [row] = await db
          .update(policies)
          .set({ ...input, version: sql`${policies.version} + 1`, updatedAt: new Date() })
          .where(and(eq(policies.id, id), options.ifVersion !== undefined ? eq(policies.version, options.ifVersion) : undefined))
          .returning();
        return row ? toRecord(row) : undefined;
      } catch (error) {
        if (isNameClash(error)) return 'name_taken';
        throw error;
      }
    },
    async remove(id) {
      if (!isUuid(id)) return undefined;
      const [row] = await db.delete(policies).where(eq(policies.id, id)).returning();
      return row ? toRecord(row) : undefined;
    },
  };
}

type FreezeRow = typeof freezes.$inferSelect;

const toFreeze = (row: FreezeRow): FreezeRecord => ({
  id: row.id,
  name: row.name,
  startsAt: row.startsAt,
  endsAt: row.endsAt,
  ...(row.recurrence === 'daily' || row.recurrence === 'weekly' ? { recurrence: row.recurrence } : {}),
  ...(row.timeZone ? { timeZone: row.timeZone } : {}),
  ...(row.clusters ? { clusters: row.clusters } : {}),
  ...(row.namespaces ? { namespaces: row.namespaces } : {}),
  reason: row.reason,
  ...(row.breakGlassBy ? { breakGlassBy: row.breakGlassBy } : {}),
  ...(row.createdBy ? { createdBy: row.createdBy } : {}),
  managedBy: row.managedBy,
  version: row.version,
  createdAt: row.createdAt,
});

/** Issue 76: change freezes (kept beside policies: the same admin-managed guardrails). */
export function createFreezeStore(db: SkyfloDatabase): FreezeStore {
  const columns = (input: Parameters<FreezeStore['update']>[1]) => ({
    name: input.name,
    startsAt: input.startsAt,
    endsAt: input.endsAt,
    recurrence: input.recurrence ?? null,
    timeZone: input.timeZone ?? null,
    clusters: input.clusters ?? null,
    namespaces: input.namespaces ?? null,
    reason: input.reason,
    breakGlassBy: input.breakGlassBy ?? null,
  });
  return {
    async list() {
      return (await db.select().from(freezes).orderBy(asc(freezes.startsAt), asc(freezes.name))).map(toFreeze);
    },
    async insert(input) {
      const [row] = await db
        .insert(freezes)
        .values({ ...columns(input), ...('managedBy' in input ? { managedBy: input.managedBy } : { createdBy: input.createdBy }) })
        .onConflictDoNothing()
        .returning();
      return row ? toFreeze(row) : undefined;
    },
    async update(id, input, options = {}) {
      if (!isUuid(id)) return undefined;
      const [row] = await db
        .update(freezes)
        .set({ ...columns(input), version: sql`${freezes.version} + 1` })
        .where(and(eq(freezes.id, id), options.ifVersion !== undefined ? eq(freezes.version, options.ifVersion) : undefined))
        .returning();
      return row ? toFreeze(row) : undefined;
    },
    async remove(id) {
      if (!isUuid(id)) return undefined;
      const [row] = await db.delete(freezes).where(eq(freezes.id, id)).returning();
      return row ? toFreeze(row) : undefined;
    },
  };
}
