/**
 * Who may do what with a conversation: the one rule behind the conversation routes, search, the agent API (chat,
 * decide, stop, re-attach) and GET /approvals/pending. The owner may do everything; anyone else only what the table
 * below grants their role under APPROVAL_POLICY, and (issue 74 item 8) only inside their cluster scope: a person an
 * admin limited to some clusters reaches into someone else's conversation only when it is pinned to one of those
 * clusters. Callers answer 404 (not 403) when access is refused, so a conversation id cannot be probed.
 */
import type { MemberScope } from '@skyflo/protocol';
import { clusterInScope } from '../../clusters/member-scope.ts';
import type { ApprovalPolicyName, Role } from '../../../platform/ports/index.ts';

export type { ApprovalPolicyName };

/**
 * - `read`: its timeline (GET /conversations/:id); a read by someone else is written to the audit log
 * - `change`: chat in it, rename or delete it
 * - `act`: its pending calls and runs: list and decide calls, stop a run, re-attach to a run's events
 */
export type ConversationAction = 'read' | 'change' | 'act';

/** In what capacity access is granted: the owner's, or a role's reach into other people's conversations. */
export type AccessGrant = 'owner' | 'admin' | 'approver';

/** Roles that decide (and so act on) other people's calls in approver mode. */
export const decidingRoles: readonly Role[] = ['approver', 'admin'];

/**
 * What a user who does not own a conversation may do with it, by role and policy: admins read any conversation;
 * with APPROVAL_POLICY=approver, approvers read them too (they need the context of the calls they decide), and
 * approvers and admins act on their calls and runs. Nobody changes someone else's conversation.
 */
export function othersConversationGrant(policy: ApprovalPolicyName, role: Role, action: ConversationAction): Exclude<AccessGrant, 'owner'> | undefined {
  const grantedAs = role === 'admin' ? 'admin' : role === 'approver' ? 'approver' : undefined;
  if (!grantedAs) return undefined;
  switch (action) {
    case 'read':
      return role === 'admin' || policy === 'approver' ? grantedAs : undefined;
    case 'act':
      return policy === 'approver' && decidingRoles.includes(role) ? grantedAs : undefined;
    case 'change':
      return undefined;
  }
}

/**
 * Issue 74 item 8: whether a person's cluster scope reaches a conversation pinned to `conversationCluster`. Someone
 * not limited to clusters reaches every conversation; someone limited reaches only those pinned to a cluster in their
 * scope — not one pinned elsewhere, and not one pinned to no cluster (what it is about cannot be told: fail closed).
 * A scope limited to namespaces only does not narrow this: a conversation is pinned to a cluster, not a namespace
 * (the namespaces still limit what that person may request and approve).
 */
export function scopeReaches(actorScope: MemberScope | undefined, conversationCluster: string | undefined): boolean {
  if (!actorScope?.clusters) return true;
  return conversationCluster !== undefined && clusterInScope(actorScope, conversationCluster);
}

export interface ConversationAccessInput {
  policy: ApprovalPolicyName;
  actor: { id: string; role: Role };
  conversationOwnerId: string;
  /**
   * The actor's cluster scope and the conversation's pinned cluster (issue 74 item 8). Required, so no caller can
   * forget the scope: pass `undefined` scope only for a person who is not limited (or the owner, who always may).
   */
  reach: { actorScope: MemberScope | undefined; conversationCluster: string | undefined };
}

/** The capacity in which `actor` may do `action` with the conversation, or undefined when they may not. */
export function conversationAccess(input: ConversationAccessInput, action: ConversationAction): AccessGrant | undefined {
  if (input.actor.id === input.conversationOwnerId) return 'owner';
  const grant = othersConversationGrant(input.policy, input.actor.role, action);
  return grant && scopeReaches(input.reach.actorScope, input.reach.conversationCluster) ? grant : undefined;
}
