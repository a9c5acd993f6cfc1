/**
 * The approval row's verify-and-undo columns (migration 0009): reading them into the record, and the conditional
 * updates that record a before-state, an automatic-revert choice and a verification. Split from approval-store.ts,
 * which spreads these methods into the store.
 */
import { and, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { ApprovalRecord, ApprovalStore, RecordedUndo, VerificationState } from '../../../platform/ports/index.ts';
import { isUuid } from '../../../platform/ports/conversation-cursor.ts';
import type { SkyfloDatabase } from '../database.ts';
import { approvals, runs } from '../schema.ts';

type ApprovalRow = typeof approvals.$inferSelect;

export function verificationFieldsOf(row: ApprovalRow): Partial<ApprovalRecord> {
  return {
    ...(row.beforeSealed !== null ? { beforeSealed: row.beforeSealed } : {}),
    ...(row.undo ? { undo: row.undo as unknown as RecordedUndo } : {}),
    ...(row.undoOf !== null ? { undoOf: row.undoOf } : {}),
    ...(row.autoRevert ? { autoRevert: true } : {}),
    ...(row.verification && row.verificationOutcome ? { verification: { ...(row.verification as unknown as VerificationState), outcome: row.verificationOutcome as VerificationState['outcome'] } } : {}),
  };
}

type VerificationMethods = Pick<ApprovalStore, 'recordBaseline' | 'setAutoRevert' | 'saveVerification' | 'claimStaleVerifications' | 'regressedConversations'>;

export function verificationStoreMethods(db: SkyfloDatabase, toRecord: (row: ApprovalRow) => ApprovalRecord): VerificationMethods {
  const key = (conversationId: string, callId: string) => and(eq(approvals.conversationId, conversationId), eq(approvals.callId, callId));
  return {
    async recordBaseline({ conversationId, callId, beforeSealed, undo }) {
      if (!isUuid(conversationId)) return false;
      const rows = await db
        .update(approvals)
        .set({ beforeSealed, ...(undo ? { undo: undo as unknown as Record<string, unknown> } : {}) })
        .where(key(conversationId, callId))
        .returning({ callId: approvals.callId });
      return rows.length > 0;
    },

    async setAutoRevert({ conversationId, callId, autoRevert }) {
      if (!isUuid(conversationId)) return false;
      const rows = await db.update(approvals).set({ autoRevert }).where(key(conversationId, callId)).returning({ callId: approvals.callId });
      return rows.length > 0;
    },

    async saveVerification({ conversationId, callId, verification }) {
      if (!isUuid(conversationId)) return false;
      const { outcome, ...rest } = verification;
      // `verifying` may be (re)written freely; a final outcome only over `verifying`, once.
      const guard = outcome === 'verifying' ? undefined : eq(approvals.verificationOutcome, 'verifying');
      const rows = await db
        .update(approvals)
        .set({ verificationOutcome: outcome, verification: rest as unknown as Record<string, unknown>, ...(outcome === 'verifying' ? {} : { verificationLeaseUntil: null }) })
        .where(and(key(conversationId, callId), guard))
        .returning({ callId: approvals.callId });
      return rows.length > 0;
    },

    async claimStaleVerifications({ leaseMs, everyRunIsDead }) {
      const deadRuns = db
        .select({ runId: sql<string>`${runs.runId}::text` })
        .from(runs)
        .where(or(eq(runs.status, 'finished'), lt(runs.leaseUntil, sql`now()`)));
      const rows = await db
        .update(approvals)
        .set({ verificationLeaseUntil: sql`now() + make_interval(secs => ${leaseMs / 1000})` })
        .where(
          and(
            eq(approvals.verificationOutcome, 'verifying'),
            or(isNull(approvals.verificationLeaseUntil), lt(approvals.verificationLeaseUntil, sql`now()`)),
            // the run verifying it is gone (all of them, when this process just started with the database to itself)
            everyRunIsDead ? undefined : or(isNull(approvals.decisionRunId), inArray(approvals.decisionRunId, deadRuns)),
          ),
        )
        .returning();
      return rows.map(toRecord);
    },

    async regressedConversations(conversationIds) {
      const ids = conversationIds.filter(isUuid);
      if (ids.length === 0) return new Set();
      const rows = await db
        .selectDistinct({ conversationId: approvals.conversationId })
        .from(approvals)
        .where(
          and(
            inArray(approvals.conversationId, ids),
            eq(approvals.verificationOutcome, 'regressed'),
            sql`not exists (select 1 from approvals as inverse where inverse.conversation_id = ${approvals.conversationId} and inverse.undo_of = ${approvals.callId} and inverse.status = 'executed')`,
          ),
        );
      return new Set(rows.map((row) => row.conversationId));
    },
  };
}
