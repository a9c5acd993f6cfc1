/**
 * GET /approvals/pending — calls waiting for a decision. With APPROVAL_POLICY=approver, approvers and admins see every
 * conversation's (that is their work queue); everyone else sees the calls of their own conversations. `can_decide`
 * says whether the caller may decide each one (four-eyes: not the destructive or high-risk calls they requested themselves).
 */
import type { PendingApproval } from '@skyflo/protocol';
import type { FastifyPluginAsync } from 'fastify';
import { decidingRoles, decisionRefusal, type ApprovalPolicyName } from '../../../approvals/decision-authority.ts';
import type { ApprovalStore, PendingApprovalRecord } from '../../../ports/index.ts';

export interface ApprovalRouteDeps {
  approvals: ApprovalStore;
  policy: { policy: ApprovalPolicyName; fourEyes: boolean };
}

export const approvalRoutes: FastifyPluginAsync<ApprovalRouteDeps> = async (app, { approvals, policy }) => {
  app.get('/approvals/pending', async (request) => {
    const user = request.user;
    const seesAll = policy.policy === 'approver' && decidingRoles.includes(user.role);
    const records = await approvals.listPending(seesAll ? {} : { conversationOwnerId: user.id });
    const toWire = (record: PendingApprovalRecord): PendingApproval => ({
      conversation_id: record.conversationId,
      conversation_title: record.conversationTitle,
      call_id: record.callId,
      tool: record.tool,
      title: record.tool,
      args: record.args,
      args_hash: record.argsHash,
      ...(record.diff !== undefined ? { diff: record.diff } : {}),
      ...(record.diffHash ? { diff_hash: record.diffHash } : {}),
      ...(record.artifactDigest ? { artifact_digest: record.artifactDigest } : {}),
      resolution: record.resolution,
      risks: record.risks,
      destructive: record.destructive,
      ...(record.policyReason ? { policy_reason: record.policyReason } : {}),
      requested_by: { id: record.requestedBy ?? record.conversationOwnerId, ...(record.requester ? { email: record.requester.email, name: record.requester.name } : {}) },
      requested_at: record.requestedAt.toISOString(),
      can_decide:
        decisionRefusal({
          policy: policy.policy,
          fourEyes: policy.fourEyes,
          actor: user,
          conversationOwnerId: record.conversationOwnerId,
          requestedBy: record.requestedBy ?? record.conversationOwnerId,
          destructive: record.destructive,
          risks: record.risks,
        }) === undefined,
    });
    return { policy: policy.policy, four_eyes: policy.fourEyes, data: records.map(toWire) };
  });
};
