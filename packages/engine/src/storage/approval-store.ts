import { and, asc, eq } from 'drizzle-orm';
import type { ApprovalRecord, ApprovalStore } from '../ports/index.ts';
import { isUuid } from './conversation-cursor.ts';
import type { SkyfloDatabase } from './database.ts';
import { approvals } from './schema.ts';

type ApprovalRow = typeof approvals.$inferSelect;

function toRecord(row: ApprovalRow): ApprovalRecord {
  return {
    conversationId: row.conversationId,
    callId: row.callId,
    runId: row.runId,
    tool: row.tool,
    args: row.args,
    argsHash: row.argsHash,
    status: row.status as ApprovalRecord['status'],
    requestedAt: row.requestedAt,
    ...(row.diff !== null ? { diff: row.diff } : {}),
    ...(row.decidedBy !== null ? { decidedBy: row.decidedBy } : {}),
    ...(row.reason !== null ? { reason: row.reason } : {}),
    ...(row.decidedAt !== null ? { decidedAt: row.decidedAt } : {}),
    ...(row.executedAt !== null ? { executedAt: row.executedAt } : {}),
    ...(row.resultSummary !== null ? { resultSummary: row.resultSummary } : {}),
  };
}

/**
 * Approvals as conditional updates: each state change is one `UPDATE … WHERE status = <expected> RETURNING`,
 * so two engine processes racing on the same call cannot both win (a second approval executes nothing).
 */
export function createApprovalStore(db: SkyfloDatabase): ApprovalStore {
  const key = (conversationId: string, callId: string) => and(eq(approvals.conversationId, conversationId), eq(approvals.callId, callId));

  return {
    async request(record) {
      await db
        .insert(approvals)
        .values({
          conversationId: record.conversationId,
          callId: record.callId,
          runId: record.runId,
          tool: record.tool,
          args: record.args,
          argsHash: record.argsHash,
          diff: record.diff ?? null,
        })
        .onConflictDoNothing();
      const [row] = await db.select().from(approvals).where(key(record.conversationId, record.callId));
      return toRecord(row);
    },

    async get(conversationId, callId) {
      if (!isUuid(conversationId)) return undefined;
      const [row] = await db.select().from(approvals).where(key(conversationId, callId));
      return row ? toRecord(row) : undefined;
    },

    async decide({ conversationId, callId, approve, decidedBy, reason }) {
      if (!isUuid(conversationId)) return undefined;
      const [row] = await db
        .update(approvals)
        .set({ status: approve ? 'approved' : 'denied', decidedBy, reason: reason ?? null, decidedAt: new Date() })
        .where(and(key(conversationId, callId), eq(approvals.status, 'awaiting')))
        .returning();
      return row ? toRecord(row) : undefined;
    },

    async claimExecution({ conversationId, callId }) {
      if (!isUuid(conversationId)) return false;
      const rows = await db
        .update(approvals)
        .set({ status: 'executing' })
        .where(and(key(conversationId, callId), eq(approvals.status, 'approved')))
        .returning({ callId: approvals.callId });
      return rows.length > 0;
    },

    async markExecuted({ conversationId, callId, ok, resultSummary }) {
      if (!isUuid(conversationId)) return false;
      const rows = await db
        .update(approvals)
        .set({ status: ok ? 'executed' : 'failed', executedAt: new Date(), resultSummary: resultSummary ?? null })
        .where(and(key(conversationId, callId), eq(approvals.status, 'executing')))
        .returning({ callId: approvals.callId });
      return rows.length > 0;
    },

    async listForConversation(conversationId) {
      if (!isUuid(conversationId)) return [];
      const rows = await db.select().from(approvals).where(eq(approvals.conversationId, conversationId)).orderBy(asc(approvals.requestedAt), asc(approvals.callId));
      return rows.map(toRecord);
    },
  };
}
