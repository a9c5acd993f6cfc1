/**
 * Who may decide (approve or deny) a call awaiting approval: ordered small pure rules, the first refusal wins
 * (like approval-policy.ts for whether a call needs a decision at all). The conversation's visibility is checked
 * first, so a member can never decide — or learn of — a call in a conversation they cannot see.
 */
import { conversationAccess, decidingRoles, type ApprovalPolicyName, type ConversationAccessInput } from './conversation-access.ts';
import type { RiskFlag, Role } from '../../../platform/ports/index.ts';

export { decidingRoles, type ApprovalPolicyName };

export interface DecisionInput {
  policy: ApprovalPolicyName;
  /** four-eyes for destructive or high-risk calls: requester and approver must differ */
  fourEyes: boolean;
  actor: { id: string; role: Role };
  conversationOwnerId: string;
  /** the decider's cluster scope and the conversation's cluster (conversation-access.ts) */
  reach: ConversationAccessInput['reach'];
  /** whose chat proposed the call (the conversation owner for calls recorded before requesters were stored) */
  requestedBy: string;
  destructive: boolean;
  /** the call's risk flags: any `high` one makes four-eyes apply, destructive or not */
  risks: readonly Pick<RiskFlag, 'code' | 'severity'>[];
  /**
   * a cluster policy in `four_eyes` mode applied to the call (issue 22): whatever the call, someone other than the
   * requester decides; the string says which policy ("cluster policy prod, namespace payments-*")
   */
  otherPersonRequired?: string;
  /** where `policy` came from when a cluster policy set it ("cluster policy prod"); absent: APPROVAL_POLICY */
  policySource?: string;
}

/** `hidden` refusals answer 404 (the caller may not even know the call exists); the others 403 with the reason. */
export interface DecisionRefusal {
  hidden: boolean;
  reason: string;
}

export type DecisionRule = (input: DecisionInput) => DecisionRefusal | undefined;

export const visibleRule: DecisionRule = (input) =>
  conversationAccess(input, 'act') ? undefined : { hidden: true, reason: 'the conversation is not yours' };

export const approverRoleRule: DecisionRule = ({ policy, actor, policySource }) =>
  policy === 'approver' && !decidingRoles.includes(actor.role)
    ? { hidden: false, reason: `${policySource ?? 'APPROVAL_POLICY=approver'}: only users with the approver or admin role decide mutating calls; ask an approver (they see it under Pending approvals).` }
    : undefined;

/** Why four-eyes applies to a call (destructive, or a high-severity risk), or undefined when it does not. */
export function fourEyesCause(input: Pick<DecisionInput, 'destructive' | 'risks'>): string | undefined {
  if (input.destructive) return 'this call is destructive';
  const high = [...new Set(input.risks.filter((risk) => risk.severity === 'high').map((risk) => risk.code))];
  return high.length > 0 ? `this call carries a high risk (${high.join(', ')})` : undefined;
}

export const fourEyesRule: DecisionRule = (input) => {
  if (!input.fourEyes || input.actor.id !== input.requestedBy) return undefined;
  const cause = fourEyesCause(input);
  return cause ? { hidden: false, reason: `Four-eyes (APPROVAL_FOUR_EYES): ${cause}, so someone other than the person who asked for it must approve or deny it.` } : undefined;
};

export const clusterFourEyesRule: DecisionRule = (input) =>
  input.otherPersonRequired !== undefined && input.actor.id === input.requestedBy
    ? { hidden: false, reason: `Four-eyes (${input.otherPersonRequired}): someone other than the person who asked for this call must approve or deny it.` }
    : undefined;

export const defaultDecisionRules: readonly DecisionRule[] = [visibleRule, approverRoleRule, fourEyesRule, clusterFourEyesRule];

export function decisionRefusal(input: DecisionInput, rules: readonly DecisionRule[] = defaultDecisionRules): DecisionRefusal | undefined {
  for (const rule of rules) {
    let refusal: DecisionRefusal | undefined;
    try {
      refusal = rule(input);
    } catch (error) {
      // A rule that throws must not let a decision through.
      refusal = { hidden: false, reason: `decision rule failed: ${error instanceof Error ? error.message : String(error)}` };
    }
    if (refusal) return refusal;
  }
  return undefined;
}
