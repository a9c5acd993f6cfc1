/**
 * Issue 76: what the policies that matched a call (recorded with it when it was proposed) ask of its decision, as
 * rules of decide.ts's one ordered list (so the queue's `can_decide` and the decision agree):
 *   - `require_role`: only that role (or admin) approves;
 *   - `require_approvers: N`: N distinct people other than the requester approve; each approval before the last is
 *     recorded with the call (agent service), and nobody counts twice.
 * `require_passkey` rides on the passkey rule (gather-facts.ts adds the requirement); `deny` never reaches a decision.
 * Denying stays open to whoever may decide: it never runs anything.
 */
import { demandsOf, effectText } from '@skyflo/safety/policies';
import type { ApprovalRecord, Role } from '../../../platform/ports/index.ts';
import { askedBy } from './rule-facts.ts';

/** The facts these rules read: the part of DecisionFacts (rule-facts.ts) they need. */
interface PolicyRuleFacts {
  callId: string;
  actor: { id: string; role: Role };
  conversation: { ownerId: string } | undefined;
  call: Pick<ApprovalRecord, 'requestedBy' | 'requestedByAlert' | 'policyVerdicts' | 'coApprovals'> | undefined;
  request?: { approve: boolean } | undefined;
}

type PolicyRule = (facts: PolicyRuleFacts) => { status: 403 | 409; code: string; reason: string } | undefined;

const rank: Record<Role, number> = { member: 0, approver: 1, admin: 2 };

const approving = (request: { approve: boolean } | undefined) => request === undefined || request.approve;

export const policyRoleRule: PolicyRule = ({ call, actor, request, callId }) => {
  if (!call || !approving(request)) return undefined;
  const role = demandsOf(call.policyVerdicts).role;
  if (!role || rank[actor.role] >= rank[role.role]) return undefined;
  return { status: 403, code: 'POLICY_ROLE_REQUIRED', reason: `Policy "${role.by.name}" (v${role.by.version}) lets only the ${role.role} role approve tool call ${callId}${role.by.message ? ` (${role.by.message})` : ''}; ask someone with that role.` };
};

export const policyApproversRule: PolicyRule = ({ call, actor, request, conversation, callId }) => {
  if (!call || !approving(request)) return undefined;
  const { approvers, approversBy } = demandsOf(call.policyVerdicts);
  if (approvers === 0 || !approversBy) return undefined;
  const why = `Policy "${approversBy.name}" (v${approversBy.version}) asks to ${effectText(approversBy.effect)}${approversBy.message ? ` (${approversBy.message})` : ''}`;
  if (actor.id === askedBy(call, conversation?.ownerId)) return { status: 403, code: 'POLICY_APPROVERS', reason: `${why}: the person who asked for tool call ${callId} is not one of them.` };
  if (call.coApprovals?.some((entry) => entry.userId === actor.id)) {
    return { status: 409, code: 'ALREADY_APPROVED_BY_YOU', reason: `${why}: you already approved tool call ${callId} (${call.coApprovals.length} of ${approvers}); someone else must approve it too.` };
  }
  return undefined;
};

/** How many approvals the call still needs after this one (0: this approval decides it). */
export function approvalsStillNeeded(call: PolicyRuleFacts['call']): { required: number; given: number } {
  const { approvers } = demandsOf(call?.policyVerdicts);
  return { required: approvers, given: call?.coApprovals?.length ?? 0 };
}
