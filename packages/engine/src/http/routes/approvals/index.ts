/**
 * GET /approvals/pending — calls waiting for a decision. With APPROVAL_POLICY=approver, approvers and admins see every
 * conversation's (that is their work queue); everyone else sees the calls of their own conversations. `can_decide`
 * says whether the caller may decide each one (four-eyes: not the destructive or high-risk calls they requested themselves),
 * and when not, `cannot_decide_reason` says why in the engine's words.
 */
import type { PendingApproval } from '@skyflo/protocol';
import type { FastifyPluginAsync } from 'fastify';
import { othersConversationGrant, type ApprovalPolicyName } from '../../../access/conversation-access.ts';
import { decisionRefusal } from '../../../approvals/decision-authority.ts';
import type { ApprovalStore, PendingApprovalRecord } from '../../../ports/index.ts';

export interface ApprovalRouteDeps {
  approvals: ApprovalStore;
  policy: { policy: ApprovalPolicyName; fourEyes: boolean };
}

export const approvalRoutes: FastifyPluginAsync<ApprovalRouteDeps> = async (app, { approvals, policy }) => {
  app.get('/approvals/pending', async (request) => {
    const user = request.user;
    // Those who may act on others' calls list every conversation's; everyone else, their own.
    const seesAll = othersConversationGrant(policy.policy, user.role, 'act') !== undefined;
    const records = await approvals.listPending(seesAll ? {} : { conversationOwnerId: user.id });
    const toWire = (record: PendingApprovalRecord): PendingApproval => {
      const refusal = decisionRefusal({
        policy: policy.policy,
        fourEyes: policy.fourEyes,
        actor: user,
        conversationOwnerId: record.conversationOwnerId,
        requestedBy: record.requestedBy ?? record.conversationOwnerId,
        destructive: record.destructive,
        risks: record.risks,
      });
      return {
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
        can_decide: refusal === undefined,
        // the same words a refused decision answers with (403), so clients show them instead of re-deriving the rules
        ...(refusal ? { cannot_decide_reason: refusal.reason } : {}),
      };
    };
    return { policy: policy.policy, four_eyes: policy.fourEyes, data: records.map(toWire) };
  });
};
