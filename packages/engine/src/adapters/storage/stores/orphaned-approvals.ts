/**
 * Decisions whose run died (the engine stopped or lost its lease): an approved call that never ran is closed as
 * failed, one that was executing as unknown (it may have reached the target and is never run again), and the dead
 * runs themselves are ended so their conversations are free.
 */
import { and, eq, inArray, isNotNull, lt, or, sql } from 'drizzle-orm';
import type { ApprovalStore } from '../../../platform/ports/index.ts';
import { isUuid } from '../../../platform/ports/conversation-cursor.ts';
import { approvalKey, toApprovalRecord } from './approval-rows.ts';
import type { SkyfloDatabase } from '../database.ts';
import { approvals, runs } from '../schema.ts';

/** Why the reconciler closed a decision, as the result the conversation shows. */
export const orphanedApprovedText = 'Not executed: the engine stopped after this call was approved and before it ran. Nothing was changed; ask again if it is still wanted.';
export const unknownOutcomeText =
  'Outcome unknown: the engine stopped while this call was executing. It may or may not have reached the target; check its state before retrying. It will not be run again.';

type OrphanMethods = Pick<ApprovalStore, 'noteUnknownOutcome' | 'reconcileOrphans'>;

export function orphanedApprovalMethods(db: SkyfloDatabase): OrphanMethods {
  return {
    async noteUnknownOutcome({ conversationId, callId, resultSummary }) {
      if (!isUuid(conversationId)) return false;
      const rows = await db
        .update(approvals)
        .set({ resultSummary })
        .where(and(approvalKey(conversationId, callId), eq(approvals.status, 'unknown')))
        .returning({ callId: approvals.callId });
      return rows.length > 0;
    },

    async reconcileOrphans(options = {}) {
      // The runs themselves are ended too, so their conversations are free and no reader takes them for live:
      // all of them when this process has the database to itself and just started, else those whose lease lapsed.
      const ended = await db
        .update(runs)
        .set({ status: 'finished', finishedAt: sql`now()` })
        .where(and(eq(runs.status, 'running'), options.everyRunIsDead ? undefined : lt(runs.leaseUntil, sql`now()`)))
        .returning({ conversationId: runs.conversationId });
      // A decision's run is dead when its row is finished or its lease has lapsed (database clock, as runs use).
      const deadRuns = db
        .select({ runId: sql<string>`${runs.runId}::text` })
        .from(runs)
        .where(or(eq(runs.status, 'finished'), lt(runs.leaseUntil, sql`now()`)));
      const orphaned = and(isNotNull(approvals.decisionRunId), inArray(approvals.decisionRunId, deadRuns));
      const failed = await db
        .update(approvals)
        .set({ status: 'failed', executedAt: new Date(), resultSummary: orphanedApprovedText, exactArgsSealed: null })
        .where(and(eq(approvals.status, 'approved'), orphaned))
        .returning();
      const unknown = await db
        .update(approvals)
        .set({ status: 'unknown', executedAt: new Date(), resultSummary: unknownOutcomeText, exactArgsSealed: null })
        .where(and(eq(approvals.status, 'executing'), orphaned))
        .returning();
      return { closed: [...failed, ...unknown].map(toApprovalRecord), conversationsOfDeadRuns: [...new Set(ended.map((run) => run.conversationId))] };
    },
  };
}
