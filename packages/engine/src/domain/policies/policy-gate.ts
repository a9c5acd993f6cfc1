/**
 * The policies as the gate asks them (issue 76): the enabled ones, read from the database on every proposed call
 * (only mutating calls are proposed, so this is one small read per approval card, and every replica sees a change at
 * once), judged over the call's facts with the requester as they are now.
 */
import type { AuditLog, PolicyStore, Role, User } from '../../platform/ports/index.ts';
import { judge, policyInput, type EnabledPolicy, type Judgement, type PolicyFacts } from '@skyflo/safety/policies';

export interface PolicyGateDeps {
  store: Pick<PolicyStore, 'list'>;
  users: { findById(id: string): Promise<Pick<User, 'email' | 'role'> | undefined> };
  /** CLUSTER_LABELS: the labels policies see per cluster name */
  clusterLabels: Readonly<Record<string, Record<string, string>>>;
  /** IMPERSONATION_GROUPS: the groups a role stands for (`requester.groups`) */
  groupsByRole: Partial<Record<Role, string[]>>;
  audit?: Pick<AuditLog, 'record'>;
  now?: () => Date;
}

export interface PolicyGate {
  /** the enabled policies that match the call (a gate that cannot read them throws: the call is not proposed) */
  judge(facts: Omit<PolicyFacts, 'requester' | 'now'> & { requester: { id: string; email?: string | undefined; alert?: string | undefined } }): Promise<Judgement>;
  /** the denial's audit record (who asked, which policy, which call) */
  recordDenial(input: { conversationId: string; callId: string; tool: string; requesterId: string; verdict: Judgement['verdicts'][number] }): Promise<void>;
}

export async function enabledPolicies(store: Pick<PolicyStore, 'list'>): Promise<EnabledPolicy[]> {
  return (await store.list()).filter((policy) => policy.enabled).map(({ name, version, expression, effect, message }) => ({ name, version, expression, effect, message }));
}

/** Who asked, as policies see them: an alert's call is asked for by the alert (role member, no groups). */
export async function requesterFacts(deps: Pick<PolicyGateDeps, 'users' | 'groupsByRole'>, requester: { id: string; email?: string | undefined; alert?: string | undefined }): Promise<PolicyFacts['requester']> {
  if (requester.alert !== undefined) return { email: `alert:${requester.alert}`, role: 'member', groups: [] };
  const user = await deps.users.findById(requester.id);
  const role = user?.role ?? 'member';
  return { email: user?.email ?? requester.email ?? '', role, groups: deps.groupsByRole[role] ?? [] };
}

export function createPolicyGate(deps: PolicyGateDeps): PolicyGate {
  return {
    async judge(facts) {
      const policies = await enabledPolicies(deps.store);
      if (policies.length === 0) return { verdicts: [], errors: [] };
      const requester = await requesterFacts(deps, facts.requester);
      return judge(policies, policyInput({ ...facts, requester, now: deps.now?.() ?? new Date() }, deps.clusterLabels));
    },
    async recordDenial({ conversationId, callId, tool, requesterId, verdict }) {
      await deps.audit?.record({
        actorId: requesterId,
        action: 'policy.denied',
        subjectType: 'tool_call',
        subjectId: callId,
        conversationId,
        tool,
        details: { conversation_id: conversationId, tool, policies: [verdict] },
      });
    },
  };
}
