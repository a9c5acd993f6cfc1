import { and, asc, eq, sql } from 'drizzle-orm';
import type { AuditRecordSigner } from '../../../platform/crypto/audit-record-signer.ts';
import type { ApprovalStore } from '../../../platform/ports/index.ts';
import { jsonSlot, jsonText, preparedOnce, slot } from '../rendered-statements.ts';
import { createApprovalHold } from './approval-hold.ts';
import { isUuid } from '../../../platform/ports/conversation-cursor.ts';
import { verificationStoreMethods } from './verification-store.ts';
import { approvalKey, encodeNamespaces, toApprovalRecord } from './approval-rows.ts';
import { decisionStoreMethods } from './approval-decisions.ts';
import { pendingQueueMethods } from './approval-queue.ts';
import { orphanedApprovalMethods } from './orphaned-approvals.ts';
import type { SkyfloDatabase } from '../database.ts';
import { approvals, conversations } from '../schema.ts';

export { decodeNamespaces, encodeNamespaces } from './approval-rows.ts';
export { orphanedApprovedText, unknownOutcomeText } from './orphaned-approvals.ts';

/**
 * Approvals as conditional updates: each state change is one `UPDATE … WHERE status = <expected> RETURNING`,
 * so two engine processes racing on the same call cannot both win (a second approval executes nothing).
 *
 * Here: a proposed call's row, its reads, and the changes outside a decision (failed, cancelled, co-approved). Beside
 * it: the decision and execution (approval-decisions.ts), the queue (approval-queue.ts), verify-and-undo
 * (verification-store.ts), the reconciler (orphaned-approvals.ts) and the row's reading (approval-rows.ts).
 */
export function createApprovalStore(db: SkyfloDatabase, options: { auditSigner?: AuditRecordSigner | undefined; exclusiveConnection?: boolean } = {}): ApprovalStore {
  /** a proposed call's row (RETURNING: a new row comes back with its insert, one round trip); values as `request` gives */
  const approvalRequest = preparedOnce(() =>
    db
      .insert(approvals)
      .values({
        conversationId: slot('conversation_id'),
        callId: slot('call_id'),
        runId: slot('run_id'),
        tool: slot('tool'),
        args: slot('args'),
        argsHash: slot('args_hash'),
        exactArgsSealed: slot('exact_args_sealed'),
        diff: slot('diff'),
        diffHash: slot('diff_hash'),
        artifactDigest: slot('artifact_digest'),
        resolution: slot('resolution'),
        risks: slot('risks'),
        destructive: slot('destructive'),
        policyReason: slot('policy_reason'),
        requestedBy: slot('requested_by'),
        beforeSealed: slot('before_sealed'),
        undo: jsonSlot('undo'),
        undoOf: slot('undo_of'),
        cluster: jsonSlot('cluster'),
        namespace: slot('namespace'),
        policy: jsonSlot('policy'),
        policyVerdicts: jsonSlot('policy_verdicts'),
      })
      .onConflictDoNothing()
      .returning(),
  );
  // The reads an approval makes on its way to the tool, rendered once (Drizzle's own prepared queries).
  const approvalByKey = preparedOnce(() => db.select().from(approvals).where(approvalKey(slot('conversation_id'), slot('call_id'))));
  const approvalWithConversation = preparedOnce(() =>
    db
      .select({ userId: conversations.userId, cluster: conversations.cluster, approval: approvals })
      .from(conversations)
      .leftJoin(approvals, approvalKey(slot('conversation_id'), slot('call_id')))
      .where(eq(conversations.id, slot('conversation_id'))),
  );

  const holdApproved = createApprovalHold(db, options.auditSigner);

  return {
    holdApproved,

    async request(record) {
      // a new row (the usual case) comes back with its insert; an existing one is read
      const [inserted] = await approvalRequest().execute({
        conversation_id: record.conversationId,
        call_id: record.callId,
        run_id: record.runId,
        tool: record.tool,
        args: record.args,
        args_hash: record.argsHash,
        exact_args_sealed: record.exactArgsSealed ?? null,
        diff: record.diff ?? null,
        diff_hash: record.diffHash ?? null,
        artifact_digest: record.artifactDigest ?? null,
        resolution: record.resolution,
        risks: record.risks,
        destructive: record.destructive,
        policy_reason: record.policyReason ?? null,
        requested_by: record.requestedBy ?? null,
        before_sealed: record.beforeSealed ?? null,
        undo: jsonText(record.undo),
        undo_of: record.undoOf ?? null,
        cluster: jsonText(record.cluster),
        namespace: encodeNamespaces(record),
        // the alert that asked for the call rides in the policy column (what decides the call, and who asked)
        policy: jsonText(record.policy || record.requestedByAlert !== undefined ? { ...record.policy, ...(record.requestedByAlert !== undefined ? { requested_by_alert: record.requestedByAlert } : {}) } : undefined),
        policy_verdicts: jsonText(record.policyVerdicts),
      });
      if (inserted) return toApprovalRecord(inserted);
      const [row] = await approvalByKey().execute({ conversation_id: record.conversationId, call_id: record.callId });
      return toApprovalRecord(row);
    },

    async get(conversationId, callId) {
      if (!isUuid(conversationId)) return undefined;
      const [row] = await approvalByKey().execute({ conversation_id: conversationId, call_id: callId });
      return row ? toApprovalRecord(row) : undefined;
    },

    async getWithConversation(conversationId, callId) {
      if (!isUuid(conversationId)) return { conversation: undefined, record: undefined };
      // The conversation's row drives the query: no conversation, no record (the decision refuses it as missing anyway).
      const [row] = await approvalWithConversation().execute({ conversation_id: conversationId, call_id: callId });
      if (!row) return { conversation: undefined, record: undefined };
      return { conversation: { userId: row.userId, ...(row.cluster ? { cluster: row.cluster } : {}) }, record: row.approval ? toApprovalRecord(row.approval) : undefined };
    },

    async failApproved({ conversationId, callId, reason }) {
      if (!isUuid(conversationId)) return false;
      const rows = await db
        .update(approvals)
        .set({ status: 'failed', executedAt: new Date(), resultSummary: reason, exactArgsSealed: null })
        .where(and(approvalKey(conversationId, callId), eq(approvals.status, 'approved')))
        .returning({ callId: approvals.callId });
      return rows.length > 0;
    },

    async cancelAwaiting({ conversationId, callId, reason }) {
      if (!isUuid(conversationId)) return false;
      const rows = await db
        .update(approvals)
        .set({ status: 'cancelled', executedAt: new Date(), resultSummary: reason, exactArgsSealed: null })
        .where(and(approvalKey(conversationId, callId), eq(approvals.status, 'awaiting')))
        .returning({ callId: approvals.callId });
      return rows.length > 0;
    },

    async coApprove({ conversationId, callId, userId, email, at, passkeyAssertion }) {
      if (!isUuid(conversationId)) return undefined;
      const entry = JSON.stringify([{ user_id: userId, ...(email ? { email } : {}), at: at.toISOString(), ...(passkeyAssertion ? { passkey_assertion: passkeyAssertion } : {}) }]);
      // One conditional update: still awaiting, and this person not among the approvals yet (two clicks count once).
      const [row] = await db
        .update(approvals)
        .set({ coApprovals: sql`coalesce(${approvals.coApprovals}, '[]'::jsonb) || ${entry}::jsonb` })
        .where(and(approvalKey(conversationId, callId), eq(approvals.status, 'awaiting'), sql`not coalesce(${approvals.coApprovals}, '[]'::jsonb) @> ${JSON.stringify([{ user_id: userId }])}::jsonb`))
        .returning();
      return row ? toApprovalRecord(row) : undefined;
    },

    async listRecent(limit) {
      const rows = await db.select().from(approvals).orderBy(sql`${approvals.requestedAt} desc`, asc(approvals.callId)).limit(limit);
      return rows.map(toApprovalRecord);
    },

    async listForConversation(conversationId) {
      if (!isUuid(conversationId)) return [];
      const rows = await db.select().from(approvals).where(eq(approvals.conversationId, conversationId)).orderBy(asc(approvals.requestedAt), asc(approvals.callId));
      return rows.map(toApprovalRecord);
    },

    ...decisionStoreMethods(db, options),
    ...pendingQueueMethods(db),
    ...verificationStoreMethods(db, toApprovalRecord),
    ...orphanedApprovalMethods(db),
  };
}
