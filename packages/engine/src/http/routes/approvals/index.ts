/**
 * GET /approvals/pending?limit&cursor&conversation_id — calls waiting for a decision, a page at a time, oldest first,
 * with `total` (issue 79: the oldest 200 with no total hid the rest of a long queue). With APPROVAL_POLICY=approver, approvers and admins see every
 * conversation's (that is their work queue); everyone else sees the calls of their own conversations. `can_decide`
 * says whether the caller may decide each one (four-eyes: not the destructive or high-risk calls they requested themselves),
 * and when not, `cannot_decide_reason` says why in the engine's words. Both come from the one function a decision asks
 * (tool-calls/decide), with the same facts bar the request itself: the queue never offers a call the decision refuses.
 * `can_deny` asks the same rules about a denial (a call nobody can approve may still be denied by its approvers).
 */
import { pendingApprovalsQuerySchema, type MemberScope, type PendingApproval, type PendingApprovalsResponse } from '@skyflo/protocol';
import type { FastifyPluginAsync } from 'fastify';
import { othersConversationGrant, type ApprovalPolicyName } from '../../../domain/tool-calls/decide/conversation-access.ts';
import type { DecisionFactsGatherer } from '../../../domain/tool-calls/decide/gather-facts.ts';
import { approvalFacts } from '../../../domain/tool-calls/propose/approval-facts.ts';
import { decidingRoles } from '../../../domain/tool-calls/decide/decision-authority.ts';
import { decisionPolicyOf } from '../../../domain/clusters/cluster-policies.ts';
import type { ApprovalStore, AuthenticatedUser, PendingApprovalRecord, PendingCursor, PendingFilter } from '../../../platform/ports/index.ts';
import { HttpError } from '../../plugins/http-error.ts';
import { parseInput } from '../../plugins/parse-input.ts';
import { decide, mayBreakGlass } from '../../../domain/tool-calls/decide/decide.ts';
import { frozenCode } from '@skyflo/safety/freezes';
import { staleReasonOf } from '../../../domain/clusters/stale-binding.ts';

export interface ApprovalRouteDeps {
  approvals: ApprovalStore;
  policy: { policy: ApprovalPolicyName; fourEyes: boolean };
  /** tool name → display title from the tool catalogue (the chat's card shows the same); never waits for the MCP server to load */
  toolTitles?: () => Promise<ReadonlyMap<string, string>>;
  /**
   * every fact a decision reads about each call (issue 74 item 9: the same gathering the decision uses, so the queue
   * asks exactly what the decision asks: scope, staleness, the turn's order, passkeys)
   */
  decisionFacts: Pick<DecisionFactsGatherer, 'forQueue' | 'readerScope'>;
}

/** The policy that decides a recorded call, as the decision reads it (clusters/cluster-policies.ts decisionPolicyOf). */
export function effectivePolicyOf(record: Pick<PendingApprovalRecord, 'policy'>, environment: { policy: ApprovalPolicyName; fourEyes: boolean }): PendingApproval['effective_policy'] {
  const mode = record.policy?.mode;
  if (mode === 'self' || mode === 'approver' || mode === 'four_eyes') return { mode, source: record.policy!.source, four_eyes: environment.fourEyes };
  return { mode: environment.policy, source: 'APPROVAL_POLICY', four_eyes: environment.fourEyes };
}

/** The recorded cluster policy modes a call can carry (clusters/cluster-policies.ts). */
const recordedModes = ['read_only', 'self', 'approver', 'four_eyes'] as const;

/**
 * Which awaiting calls `user` may list, as a store filter derived from the one access rule (conversation-access.ts):
 * everything when they act on every conversation; else their own conversations' calls and, for a deciding role, those
 * recorded under a cluster policy that makes them an approver's work (the modes for which the rule grants `act`).
 * A reader limited to some clusters reaches others' conversations only when pinned to one of them (issue 74 item 8):
 * the store counts and pages only those, so the total never counts a call the reader may not know of.
 */
export function pendingFilterFor(user: Pick<AuthenticatedUser, 'id' | 'role'>, environment: { policy: ApprovalPolicyName; fourEyes: boolean }, scope: MemberScope | undefined): PendingFilter {
  const reach = scope?.clusters ? { reach: { readerId: user.id, clusters: scope.clusters } } : {};
  if (othersConversationGrant(environment.policy, user.role, 'act') !== undefined) return reach;
  const modes = decidingRoles.includes(user.role)
    ? recordedModes.filter((mode) => othersConversationGrant(decisionPolicyOf({ mode, source: '' }, environment).policy, user.role, 'act') !== undefined)
    : [];
  return { conversationOwnerId: user.id, ...(modes.length > 0 ? { orRecordedPolicyModes: modes, ...reach } : {}) };
}

/** An opaque cursor over (requested_at, conversation_id, call_id); call ids are the model's and may hold any character. */
export const formatPendingCursor = (cursor: PendingCursor): string =>
  Buffer.from(JSON.stringify([cursor.requestedAt.toISOString(), cursor.conversationId, cursor.callId])).toString('base64url');

export function parsePendingCursor(value: string): PendingCursor | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 3 || !parsed.every((part) => typeof part === 'string')) return undefined;
    const [at, conversationId, callId] = parsed as [string, string, string];
    const requestedAt = new Date(at);
    if (Number.isNaN(requestedAt.getTime()) || !/^[0-9a-f-]{36}$/i.test(conversationId)) return undefined;
    return { requestedAt, conversationId, callId };
  } catch {
    return undefined;
  }
}

// The stale check lives with the clusters and is one of the decision's rules (tool-calls/decide: clusterStaleRule).
export { staleReasonOf };

export const approvalRoutes: FastifyPluginAsync<ApprovalRouteDeps> = async (app, { approvals, policy, toolTitles, decisionFacts }) => {
  app.get('/approvals/pending', async (request) => {
    const user = request.user;
    const query = parseInput(pendingApprovalsQuerySchema, request.query, 'query');
    const after = query.cursor === undefined ? undefined : parsePendingCursor(query.cursor);
    if (query.cursor !== undefined && !after) throw new HttpError(400, 'cursor: not a cursor returned by this API (use next_cursor as is)', 'INVALID_INPUT');
    // Those who may act on others' calls list every conversation's; everyone else, their own.
    const seesAll = othersConversationGrant(policy.policy, user.role, 'act') !== undefined;
    // A call recorded under a cluster's `approver` or `four_eyes` policy (issue 22) is an approver's work wherever the
    // environment lets requesters decide: approvers and admins list those too.
    const mayList = (record: PendingApprovalRecord) =>
      seesAll || record.conversationOwnerId === user.id || othersConversationGrant(decisionPolicyOf(record.policy, policy).policy, user.role, 'act') !== undefined;
    // The store is asked for exactly what the rule lets the caller see (pendingFilterFor), so the total and the pages
    // agree; each record is checked against the rule once more below. One more than the page says whether another
    // follows.
    const filter: PendingFilter = { ...pendingFilterFor(user, policy, await decisionFacts.readerScope(user.id)), ...(query.conversation_id ? { conversationId: query.conversation_id } : {}) };
    const [fetched, total] = await Promise.all([approvals.listPending({ ...filter, limit: query.limit + 1, ...(after ? { after } : {}) }), approvals.countPending(filter)]);
    const hasMore = fetched.length > query.limit;
    const page = fetched.slice(0, query.limit);
    const last = page[page.length - 1];
    const candidates = page.filter(mayList);
    // the caller and their API token, as a decision would see them; every fact the decision reads, gathered the same way
    const actor = { id: user.id, email: user.email, role: user.role, ...(request.apiToken ? { apiToken: request.apiToken } : {}) };
    const gathered = await decisionFacts.forQueue(actor, candidates);
    // Listed: what the decision would not call missing. A call in a conversation the caller cannot reach (someone
    // else's, pinned outside their cluster scope: issue 74 item 8) is left out, as the decision answers 404 for it.
    const listed = candidates
      .map((record, index) => ({ record, facts: gathered[index]!, refusal: decide(gathered[index]!) }))
      .filter(({ record, refusal }) => record.conversationOwnerId === user.id || refusal?.code !== 'CONVERSATION_NOT_FOUND');
    // the catalogue's titles, as the card shows them; the tool's name while the catalogue is not available
    const titles = listed.length > 0 && toolTitles ? await toolTitles().catch(() => new Map<string, string>()) : new Map<string, string>();
    const toWire = ({ record, facts, refusal }: (typeof listed)[number]): PendingApproval => {
      const stale = staleReasonOf(record, facts.configuredClusters);
      const passkey = facts.passkey;
      // Issue 73 item 6: a call nobody can approve as it is (no preview on an enforcing cluster, a stale cluster) is
      // still denied from the card; the same rules, asked about a denial, say whether this person may.
      const denial = refusal ? decide({ ...facts, request: { approve: false } }) : undefined;
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
        ...(refusal ? { cannot_decide_reason: refusal.reason, cannot_decide_code: refusal.code } : {}),
        can_deny: denial === undefined,
        ...(refusal?.code === frozenCode && mayBreakGlass(facts) ? { can_break_glass: true } : {}),
        effective_policy: effectivePolicyOf(record, policy),
        ...(stale ? { stale_reason: stale } : {}),
      };
    };
    // the protocol's one shape of the queue (the client checks its answer with the same schema)
    const answer: PendingApprovalsResponse = {
      policy: policy.policy,
      four_eyes: policy.fourEyes,
      data: listed.map(toWire),
      total,
      next_cursor: hasMore && last ? formatPendingCursor({ requestedAt: last.requestedAt, conversationId: last.conversationId, callId: last.callId }) : null,
      has_more: hasMore,
    };
    return answer;
  });
};
