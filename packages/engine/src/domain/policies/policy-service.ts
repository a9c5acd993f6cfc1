/**
 * Managing policies like code (issue 76): create, change and remove them (admin only, each change audited in the
 * same transaction), refusing a broken expression when it is saved; and "what would this have done": a draft judged
 * against the last N recorded calls before anyone enables it.
 */
import { SkyfloError } from '../../platform/errors/skyflo-error.ts';
import type { Policy, PolicyEffect, PolicyEvaluateResponse, PolicyInput } from '@skyflo/protocol';
import type { ApprovalRecord, ApprovalStore, PolicyRecord, PolicyStore, TransactionalStores } from '../../platform/ports/index.ts';
import { checkExpression, effectText, judge, policyInput, type ExpressionProblem } from '@skyflo/safety/policies';
import { requesterFacts, type PolicyGateDeps } from './policy-gate.ts';
import { managedRefusal } from '@skyflo/safety/declared';

export class PolicyError extends SkyfloError {
  constructor(
    readonly statusCode: 400 | 403 | 404 | 409,
    readonly code: string,
    message: string,
    readonly problem?: ExpressionProblem,
  ) {
    super(message);
    this.name = 'PolicyError';
  }
}

export const toWire = (record: PolicyRecord): Policy => ({
  id: record.id,
  name: record.name,
  expression: record.expression,
  effect: record.effect,
  message: record.message,
  enabled: record.enabled,
  version: record.version,
  managed_by: record.managedBy,
  created_at: record.createdAt.toISOString(),
  updated_at: record.updatedAt.toISOString(),
});

export interface PolicyServiceDeps extends Pick<PolicyGateDeps, 'users' | 'groupsByRole' | 'clusterLabels'> {
  store: PolicyStore;
  approvals: Pick<ApprovalStore, 'listRecent'>;
  atomically<T>(work: (stores: TransactionalStores) => Promise<T>): Promise<T>;
}

interface Actor {
  id: string;
  ip?: string | undefined;
}

export function expressionRefusal(expression: string): PolicyError | undefined {
  const problem = checkExpression(expression);
  if (!problem) return undefined;
  const where = problem.position ? ` at line ${problem.position.line}, column ${problem.position.column}` : '';
  return new PolicyError(400, 'INVALID_EXPRESSION', `The expression does not compile${where}: ${problem.message}`, problem);
}

/** What the audit record keeps of a policy: everything that decides what it does. */
const audited = (record: PolicyRecord) => ({ name: record.name, version: record.version, expression: record.expression, effect: record.effect, message: record.message, enabled: record.enabled });

/** A recorded call's facts as a policy would have seen them (its shown arguments; the dry run's objects are not kept). */
async function recordedInput(deps: PolicyServiceDeps, record: ApprovalRecord, requesters: Map<string, Promise<Awaited<ReturnType<typeof requesterFacts>>>>) {
  const key = record.requestedByAlert !== undefined ? `alert:${record.requestedByAlert}` : (record.requestedBy ?? '');
  const requester = requesters.get(key) ?? requesters.set(key, requesterFacts(deps, { id: record.requestedBy ?? '', alert: record.requestedByAlert })).get(key)!;
  return policyInput(
    {
      tool: record.tool,
      args: record.args,
      cluster: record.cluster,
      namespaces: record.namespaces ?? (record.namespace !== undefined ? [record.namespace] : []),
      objects: [],
      // the flags the gate found, not those earlier policies added
      risks: record.risks.filter((risk) => !risk.code.startsWith('POLICY_')),
      requester: await requester,
      now: record.requestedAt,
    },
    deps.clusterLabels,
  );
}

export function createPolicyService(deps: PolicyServiceDeps) {
  return {
    async list(): Promise<Policy[]> {
      return (await deps.store.list()).map(toWire);
    },

    async create(actor: Actor, input: PolicyInput): Promise<Policy> {
      const broken = expressionRefusal(input.expression);
      if (broken) throw broken;
      return deps.atomically(async (stores) => {
        const created = await stores.policies.insert({ ...input, createdBy: actor.id });
        if (!created) throw new PolicyError(409, 'POLICY_NAME_TAKEN', `A policy named "${input.name}" already exists; change it (PUT /policies/:id) or choose another name.`);
        await stores.audit.record({ actorId: actor.id, action: 'policy.created', subjectType: 'policy', subjectId: created.id, details: audited(created), ...(actor.ip ? { ip: actor.ip } : {}) });
        return toWire(created);
      });
    },

    async update(actor: Actor, id: string, input: PolicyInput): Promise<Policy> {
      const broken = expressionRefusal(input.expression);
      if (broken) throw broken;
      return deps.atomically(async (stores) => {
        const before = await stores.policies.get(id);
        if (!before) throw new PolicyError(404, 'POLICY_NOT_FOUND', `No policy ${id}.`);
        if (before.managedBy) throw new PolicyError(409, 'MANAGED_BY_DECLARATION', managedRefusal(`Policy "${before.name}"`, before.managedBy));
        // checked first: a refused statement would end the transaction the audit record needs
        if (input.name !== before.name && (await stores.policies.list()).some((other) => other.name === input.name)) throw new PolicyError(409, 'POLICY_NAME_TAKEN', `A policy named "${input.name}" already exists.`);
        const updated = await stores.policies.update(id, input);
        if (updated === 'name_taken') throw new PolicyError(409, 'POLICY_NAME_TAKEN', `A policy named "${input.name}" already exists.`);
        if (!updated) throw new PolicyError(404, 'POLICY_NOT_FOUND', `No policy ${id}.`);
        await stores.audit.record({ actorId: actor.id, action: 'policy.changed', subjectType: 'policy', subjectId: id, details: { ...audited(updated), previous: audited(before) }, ...(actor.ip ? { ip: actor.ip } : {}) });
        return toWire(updated);
      });
    },

    async remove(actor: Actor, id: string): Promise<void> {
      await deps.atomically(async (stores) => {
        const found = await stores.policies.get(id);
        if (found?.managedBy) throw new PolicyError(409, 'MANAGED_BY_DECLARATION', managedRefusal(`Policy "${found.name}"`, found.managedBy));
        const removed = await stores.policies.remove(id);
        if (!removed) throw new PolicyError(404, 'POLICY_NOT_FOUND', `No policy ${id}.`);
        await stores.audit.record({ actorId: actor.id, action: 'policy.deleted', subjectType: 'policy', subjectId: id, details: audited(removed), ...(actor.ip ? { ip: actor.ip } : {}) });
      });
    },

    /** "What would this have done": the draft over the last `limit` recorded calls, newest first. */
    async evaluate(draft: { expression: string; effect: PolicyEffect; limit: number }): Promise<PolicyEvaluateResponse> {
      const broken = expressionRefusal(draft.expression);
      if (broken) throw broken;
      const recorded = deps.approvals.listRecent ? await deps.approvals.listRecent(draft.limit) : [];
      const requesters = new Map();
      const response: PolicyEvaluateResponse = { evaluated: recorded.length, matched: [], errors: [] };
      const policy = { name: 'draft', version: 0, expression: draft.expression, effect: draft.effect, message: '' };
      for (const record of recorded) {
        const judgement = judge([policy], await recordedInput(deps, record, requesters));
        if (judgement.errors[0]) response.errors.push({ call_id: record.callId, message: judgement.errors[0].message });
        else if (judgement.verdicts.length > 0) {
          response.matched.push({
            conversation_id: record.conversationId,
            call_id: record.callId,
            tool: record.tool,
            requested_at: record.requestedAt.toISOString(),
            status: record.status,
            cluster: record.cluster?.name ?? null,
            verdict: effectText(draft.effect),
          });
        }
      }
      return response;
    },
  };
}

export type PolicyService = ReturnType<typeof createPolicyService>;
