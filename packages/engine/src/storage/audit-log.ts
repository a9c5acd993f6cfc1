import { and, desc, eq, type SQL } from 'drizzle-orm';
import type { AuditLog } from '../ports/index.ts';
import type { SkyfloDatabase } from './database.ts';
import { auditEvents } from './schema.ts';

export function createAuditLog(db: SkyfloDatabase): AuditLog {
  return {
    async record(event) {
      await db.insert(auditEvents).values({
        actorId: event.actorId ?? null,
        action: event.action,
        subjectType: event.subjectType ?? null,
        subjectId: event.subjectId ?? null,
        details: event.details,
        ip: event.ip ?? null,
      });
    },
    async list({ limit, action, actorId }) {
      const conditions: SQL[] = [];
      if (action) conditions.push(eq(auditEvents.action, action));
      if (actorId) conditions.push(eq(auditEvents.actorId, actorId));
      const rows = await db
        .select()
        .from(auditEvents)
        .where(conditions.length > 0 ? and(...conditions) : undefined)
        .orderBy(desc(auditEvents.sequence))
        .limit(limit);
      return rows.map((row) => ({
        id: row.id,
        at: row.at,
        action: row.action,
        details: row.details,
        ...(row.actorId ? { actorId: row.actorId } : {}),
        ...(row.subjectType ? { subjectType: row.subjectType } : {}),
        ...(row.subjectId ? { subjectId: row.subjectId } : {}),
        ...(row.ip ? { ip: row.ip } : {}),
      }));
    },
  };
}
