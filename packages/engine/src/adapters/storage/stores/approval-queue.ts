/**
 * The approval queue: the calls awaiting a decision that a PendingFilter lets through (its owner's, a reader's
 * clusters, recorded policy modes), a page at a time in the queue's order, and their count.
 */
import { and, asc, eq, inArray, or, sql, type SQL } from 'drizzle-orm';
import type { ApprovalStore, PendingFilter } from '../../../platform/ports/index.ts';
import { isUuid } from '../../../platform/ports/conversation-cursor.ts';
import { createTableStatistics } from '../table-statistics.ts';
import { clusterPatternAsLike } from './conversation-search.ts';
import { toApprovalRecord } from './approval-rows.ts';
import type { SkyfloDatabase } from '../database.ts';
import { approvals, conversations, users } from '../schema.ts';

/** The awaiting calls a PendingFilter lets through (approvals joined with their conversation). */
function pendingConditions(filter: PendingFilter): SQL[] {
  const conditions: SQL[] = [eq(approvals.status, 'awaiting')];
  if (filter.conversationId !== undefined) conditions.push(isUuid(filter.conversationId) ? eq(approvals.conversationId, filter.conversationId) : sql`false`);
  if (filter.conversationOwnerId !== undefined) {
    const owned = eq(conversations.userId, filter.conversationOwnerId);
    const modes = filter.orRecordedPolicyModes ?? [];
    conditions.push(modes.length > 0 ? or(owned, inArray(sql`${approvals.policy}->>'mode'`, [...modes]))! : owned);
  }
  if (filter.reach) {
    const patterns = filter.reach.clusters.map((pattern) => sql`${conversations.cluster} like ${clusterPatternAsLike(pattern)} escape '\\'`);
    conditions.push(or(eq(conversations.userId, filter.reach.readerId), ...patterns)!);
  }
  return conditions;
}

type QueueMethods = Pick<ApprovalStore, 'listPending' | 'countPending'>;

export function pendingQueueMethods(db: SkyfloDatabase): QueueMethods {
  // Issue 79: without statistics (PGlite runs no autovacuum) a member's page of the queue was planned as a scan of the
  // whole queue's index per conversation of theirs (0.4 s at 10k calls waiting); with them, a walk of the queue's
  // index (1 ms). Checked before the queue is read, at most every 30 s (table-statistics.ts).
  const statistics = createTableStatistics(db, { tables: ['approvals', 'conversations'] });

  return {
    async listPending(input = {}) {
      await statistics.ensureCurrent();
      const after = input.after;
      const rows = await db
        .select({ approval: approvals, title: conversations.title, ownerId: conversations.userId, cluster: conversations.cluster, email: users.email, name: users.fullName })
        .from(approvals)
        .innerJoin(conversations, eq(conversations.id, approvals.conversationId))
        .leftJoin(users, eq(users.id, approvals.requestedBy))
        .where(
          and(
            ...pendingConditions(input),
            // keyset: the partial index approvals_awaiting_idx walks from here in this order (migration 0025)
            ...(after ? [sql`(${approvals.requestedAt}, ${approvals.conversationId}, ${approvals.callId}) > (${after.requestedAt.toISOString()}::timestamptz, ${after.conversationId}::uuid, ${after.callId})`] : []),
          ),
        )
        .orderBy(asc(approvals.requestedAt), asc(approvals.conversationId), asc(approvals.callId))
        .limit(input.limit ?? 200);
      return rows.map((row) => ({
        ...toApprovalRecord(row.approval),
        conversationTitle: row.title,
        conversationOwnerId: row.ownerId,
        ...(row.cluster !== null ? { conversationCluster: row.cluster } : {}),
        ...(row.email !== null ? { requester: { email: row.email, name: row.name } } : {}),
      }));
    },

    async countPending(filter = {}) {
      await statistics.ensureCurrent();
      // The conversation is joined only when the filter reads it (its owner, its cluster): the whole queue's count is
      // the partial index approvals_awaiting_idx alone.
      const needsConversation = filter.conversationOwnerId !== undefined || filter.reach !== undefined;
      const count = db.select({ total: sql<number>`count(*)::int`.mapWith(Number) }).from(approvals);
      const [row] = await (needsConversation ? count.innerJoin(conversations, eq(conversations.id, approvals.conversationId)) : count).where(and(...pendingConditions(filter)));
      return row?.total ?? 0;
    },
  };
}
