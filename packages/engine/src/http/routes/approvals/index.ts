/**
 * GET /approvals/pending — calls waiting for a decision. With APPROVAL_POLICY=approver, approvers and admins see every
 * conversation's (that is their work queue); everyone else sees the calls of their own conversations. `can_decide`
 * says whether the caller may decide each one (four-eyes: not the destructive or high-risk calls they requested themselves),
 * and when not, `cannot_decide_reason` says why in the engine's words. Both come from the one function a decision asks
 * (tool-calls/decide), with the same facts bar the request itself: the queue never offers a call the decision refuses.
 */
import type { MemberScope, PendingApproval, PendingApprovalsResponse } from '@skyflo/protocol';
import type { FastifyPluginAsync } from 'fastify';
import { othersConversationGrant, type ApprovalPolicyName } from '../../../tool-calls/decide/conversation-access.ts';
import { approvalFacts } from '../../../tool-calls/propose/approval-facts.ts';
import { decidingRoles } from '../../../tool-calls/decide/decision-authority.ts';
import { decisionPolicyOf } from '../../../clusters/cluster-policies.ts';
import type { ApprovalStore, PendingApprovalRecord } from '../../../ports/index.ts';
import { decide } from '../../../tool-calls/decide/decide.ts';
import { staleReasonOf } from '../../../clusters/stale-binding.ts';
import { passkeyFactsOf, type PasskeyApprovals } from '../../../passkeys/passkey-approvals.ts';

export interface ApprovalRouteDeps {
  approvals: ApprovalStore;
  policy: { policy: ApprovalPolicyName; fourEyes: boolean };
  /** tool name → display title from the tool catalogue (the chat's card shows the same); never waits for the MCP server to load */
  toolTitles?: () => Promise<ReadonlyMap<string, string>>;
  /** a user's cluster/namespace scope (issue 22): an approver limited to some clusters approves only there */
  scopeOf?: (userId: string) => Promise<MemberScope | undefined>;
  /**
   * the clusters configured now (name and API server); a call bound to an API server not among them is stale (issue 37
   * item 7). Absent, or when it throws (the MCP server is loading), no call is called stale: execution still checks.
   */
  clusters?: () => Promise<ReadonlyArray<{ name: string; server: string }>>;
  /** issue 35: which calls need the approver's passkey (`passkey_required`) */
  passkeys?: PasskeyApprovals;
}

/** The policy that decides a recorded call, as the decision reads it (clusters/cluster-policies.ts decisionPolicyOf). */
export function effectivePolicyOf(record: Pick<PendingApprovalRecord, 'policy'>, environment: { policy: ApprovalPolicyName; fourEyes: boolean }): PendingApproval['effective_policy'] {
  const mode = record.policy?.mode;
  if (mode === 'self' || mode === 'approver' || mode === 'four_eyes') return { mode, source: record.policy!.source, four_eyes: environment.fourEyes };
  return { mode: environment.policy, source: 'APPROVAL_POLICY', four_eyes: environment.fourEyes };
}

// The stale check lives with the clusters and is one of the decision's rules (tool-calls/decide: clusterStaleRule).
export { staleReasonOf };

export const approvalRoutes: FastifyPluginAsync<ApprovalRouteDeps> = async (app, { approvals, policy, toolTitles, scopeOf, clusters, passkeys }) => {
  app.get('/approvals/pending', async (request) => {
    const user = request.user;
    // Those who may act on others' calls list every conversation's; everyone else, their own.
    const seesAll = othersConversationGrant(policy.policy, user.role, 'act') !== undefined;
    // A call recorded under a cluster's `approver` or `four_eyes` policy (issue 22) is an approver's work wherever the
    // environment lets requesters decide: approvers and admins list those too.
    const mayList = (record: PendingApprovalRecord) =>
      seesAll || record.conversationOwnerId === user.id || othersConversationGrant(decisionPolicyOf(record.policy, policy).policy, user.role, 'act') !== undefined;
    const records = (await approvals.listPending(seesAll || decidingRoles.includes(user.role) ? {} : { conversationOwnerId: user.id })).filter(mayList);
    // the catalogue's titles, as the card shows them; the tool's name while the catalogue is not available
    const titles = records.length > 0 && toolTitles ? await toolTitles().catch(() => new Map<string, string>()) : new Map<string, string>();
    // the caller's scope and API token, as a decision would see them
    const deciderScope = records.length > 0 ? await scopeOf?.(user.id) : undefined;
    const configured = records.some((record) => record.cluster) && clusters ? await clusters().catch(() => undefined) : undefined;
    const actor = { id: user.id, role: user.role, ...(request.apiToken ? { apiToken: request.apiToken } : {}) };
    // the same passkey facts the decision reads (issue 35), per call
    const passkeyFacts = await Promise.all(records.map((record) => passkeyFactsOf(passkeys, record)));
    const toWire = (record: PendingApprovalRecord, index: number): PendingApproval => {
      const stale = staleReasonOf(record, configured);
      const passkey = passkeyFacts[index];
      const refusal = decide({ conversationId: record.conversationId, callId: record.callId, environment: policy, actor, conversation: { ownerId: record.conversationOwnerId }, call: record, deciderScope, configuredClusters: configured, ...(passkey ? { passkey } : {}) });
      return {
        // the same facts the chat's card gets (tool-calls/propose/approval-facts.ts): add new facts there
        ...approvalFacts(record, {
          title: titles.get(record.tool),
          requesterIdFallback: record.conversationOwnerId,
          ...(record.requester ? { requester: record.requester } : {}),
        }),
        conversation_id: record.conversationId,
        conversation_title: record.conversationTitle,
        ...(passkey ? { passkey_required: true, approve_at: passkey.approveAt } : {}),
        requested_at: record.requestedAt.toISOString(),
        // a stale call is never offered for approval: the decision refuses it (CLUSTER_STALE), as execution would
        can_decide: refusal === undefined,
        // the same words a refused decision answers with, so clients show them instead of re-deriving the rules
        ...(refusal ? { cannot_decide_reason: refusal.reason } : {}),
        effective_policy: effectivePolicyOf(record, policy),
        ...(stale ? { stale_reason: stale } : {}),
      };
    };
    // the protocol's one shape of the queue (the client checks its answer with the same schema)
    const answer: PendingApprovalsResponse = { policy: policy.policy, four_eyes: policy.fourEyes, data: records.map(toWire) };
    return answer;
  });
};
