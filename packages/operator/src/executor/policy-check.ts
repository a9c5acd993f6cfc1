/**
 * Issue 76 ("enforced twice"): the team's policies and change freezes, judged again by the executor on what it is
 * about to mint for, so a call the engine should have refused — its check removed, or the engine taken over — still
 * meets them in the cluster. The executor does not take them from the engine (the more exposed process): it reads
 * SkyfloPolicy and SkyfloFreeze objects in its own namespace with its own identity on every mint, objects an admin or
 * GitOps installs and that only cluster admins may write. The evaluator is the engine's own (@skyflo/safety).
 *
 * Decisions, all failing closed:
 * - the objects cannot be listed (RBAC, API server down) → nothing is minted (a deny nobody can read may be the one
 *   that applies). No such kind installed (404) means there are none, as with the emergency stop;
 * - an object that does not validate with the engine's schemas (policyInputSchema, freezeInputSchema), an enabled
 *   policy whose expression does not compile, or a freeze whose window or time zone is unusable → every mint is
 *   refused, naming the object and the problem, until it is fixed or disabled: the executor cannot tell whether the
 *   broken rule would have applied, and a refusal is what a person notices and fixes;
 * - a compiled expression failing on one call (a field the call lacks) did not apply, exactly as in the engine;
 * - `deny` → POLICY_DENIED; a freeze holding for the grant's cluster and namespaces → FROZEN, with when it ends —
 *   unless the approval carries an admin's break-glass of exactly that freeze (status.breakGlass, engine-signed) and
 *   the object names who may break it (spec.break_glass.approvers): then the approver's own passkey must verify and
 *   belong to one of them (approver-signature.ts), so neither the engine nor a stolen engine key breaks a freeze;
 * - `require_approvers: N` → N distinct people other than the requester, each counted only by their own passkey (or
 *   device key) proof over this approval's facts — the decider's and each co-approver's (status.coApprovals), checked
 *   against their SkyfloApproverKeys (approver-signature.ts); `require_role` → the approver's own proof, by a key of
 *   someone this cluster says holds the role (SKYFLO_EXECUTOR_ROLE_MEMBERS, from the SkyfloAI — never the engine's
 *   user roles; none declared → refused), and each person a require_approvers policy counts likewise;
 *   `require_passkey` → the approver's own passkey proof is checked as if the approval asked for it; `warn` → nothing.
 */
import type { KubeObject, RoleMembers } from '@skyflo/protocol';
import { freezeFromObject, policyFromObject, skyfloFreezeKind, skyfloPolicyKind } from '@skyflo/safety/declared';
import { activeFreezes, type Freeze } from '@skyflo/safety/freezes';
import { checkExpression, demandsOf, judge, type EnabledPolicy } from '@skyflo/safety/policies';
import { isNotFound, type KubeRest } from '../kube/kube-rest.ts';
import { ExecutorError, type ExecutorLogger } from './executor-options.ts';
import type { MintDemands, SignerAmong } from './approver-signature.ts';
import { mintObjects, mintNamespaces, mintPolicyInput, type MintFacts } from './mint-policy-input.ts';
import type { OwnKube } from './grant/own-kube.ts';

const apiVersion = 'skyflo.ai/v1alpha1';

// the mapping of an object to the API's schemas is shared with the engine, which keeps the same objects as policies
export { freezeFromObject, policyFromObject, skyfloFreezeKind, skyfloPolicyKind };

const nameOf = (object: KubeObject) => object.metadata?.name ?? '(unnamed)';

export interface PolicyCheckDeps {
  /** the executor's own identity: the lists of SkyfloPolicy and SkyfloFreeze objects */
  kube: Pick<KubeRest, 'request'>;
  /** reads the objects' live state (`before`) */
  ownKube: Pick<OwnKube, 'resolve' | 'get' | 'path'>;
  namespace: string;
  clusterName: string;
  clusterLabels?: Readonly<Record<string, string>> | undefined;
  /** who holds each role in this cluster (SKYFLO_EXECUTOR_ROLE_MEMBERS), for a require_role policy */
  roleMembers?: RoleMembers | undefined;
  logger: ExecutorLogger;
}

export interface PolicyCheck {
  /**
   * Throws POLICY_DENIED or FROZEN when the mint must not happen. Answers what the matched policies still ask of the
   * mint that this module does not decide itself: `passkeyRequiredBy`, why the approver's passkey proof must be
   * checked (approver-signature.ts), when a require_passkey policy matched.
   */
  check(facts: Omit<MintFacts, 'clusterName' | 'clusterLabels'>): Promise<MintDemands>;
}

const plurals: Record<string, string> = { [skyfloPolicyKind]: 'skyflopolicies', [skyfloFreezeKind]: 'skyflofreezes' };

async function listOf(deps: PolicyCheckDeps, kind: string): Promise<KubeObject[]> {
  try {
    const list = await deps.kube.request<{ items?: KubeObject[] }>('GET', `/apis/${apiVersion}/namespaces/${encodeURIComponent(deps.namespace)}/${plurals[kind]}`);
    return list.items ?? [];
  } catch (error) {
    // the kind is not installed: there are no such objects (as with the emergency stop's SkyfloAI)
    if (isNotFound(error)) return [];
    const code = kind === skyfloFreezeKind ? 'FROZEN' : 'POLICY_DENIED';
    throw new ExecutorError(code, `the executor could not read the ${kind} objects in ${deps.namespace} (${(error as Error).message}); nothing is minted until it can (skyflo-executor needs get/list on ${plurals[kind]}.skyflo.ai)`);
  }
}

export function createPolicyCheck(deps: PolicyCheckDeps): PolicyCheck {
  function refuse(code: 'POLICY_DENIED' | 'FROZEN', message: string, fields: Record<string, unknown>): never {
    deps.logger.warn({ code, ...fields, reason: message }, 'mint refused by a cluster guardrail');
    throw new ExecutorError(code, message);
  }

  /** Who holds `role` in this cluster (an admin also counts as an approver); refused when nobody is declared. */
  function roleDemand(role: 'approver' | 'admin', policy: string, approval: string): SignerAmong {
    const who = [...(deps.roleMembers?.[role] ?? []), ...(role === 'approver' ? (deps.roleMembers?.admin ?? []) : [])];
    if (who.length === 0) {
      refuse('POLICY_DENIED', `SkyfloPolicy "${policy}" asks for the ${role} role, and this cluster declares nobody who holds it (SkyfloAI spec.approvals.roleMembers.${role}, the executor's SKYFLO_EXECUTOR_ROLE_MEMBERS) — the engine's user roles are not the cluster's to trust; nothing is minted`, { approval, policy });
    }
    return { who, what: `the ${role} role's members in this cluster (SkyfloAI spec.approvals.roleMembers)`, doing: `needs the ${role} role (SkyfloPolicy "${policy}")`, code: 'POLICY_DENIED', everyApprover: true };
  }

  return {
    async check(facts) {
      const { document } = facts;
      const approval = document.name;
      const [policyObjects, freezeObjects] = [await listOf(deps, skyfloPolicyKind), await listOf(deps, skyfloFreezeKind)];
      const scope = { cluster: deps.clusterName, namespaces: mintNamespaces(facts.args, facts.access) };

      const freezes: Freeze[] = [];
      for (const object of freezeObjects) {
        const read = freezeFromObject(object);
        if ('problem' in read) refuse('FROZEN', `SkyfloFreeze ${deps.namespace}/${nameOf(object)} cannot be read (${read.problem}); the executor fails closed and mints nothing until it is fixed or removed`, { approval, freeze: nameOf(object) });
        freezes.push(read.freeze);
      }
      const holding = activeFreezes(freezes, scope, facts.now.getTime());
      const broken = document.status.breakGlass;
      for (const hit of holding) {
        const held = `the change freeze "${hit.name}" (SkyfloFreeze ${deps.namespace}/${hit.name}) holds until ${hit.endsAt.toISOString()}${hit.reason ? ` (${hit.reason})` : ''}`;
        if (broken?.freeze !== hit.name) refuse('FROZEN', `${held}; nothing in its scope is minted until it ends`, { approval, freeze: hit.name, until: hit.endsAt.toISOString() });
        if (!hit.freeze.breakGlassBy) refuse('FROZEN', `${held}, and it names nobody who may break it in the cluster (spec.break_glass.approvers); the break-glass approved in Skyflo mints nothing here — edit or delete the SkyfloFreeze to let the change run`, { approval, freeze: hit.name, breakGlass: broken.reason });
      }
      const breakGlass = broken && holding.length > 0
        ? { freeze: broken.freeze, approvers: holding[0]!.freeze.breakGlassBy!, why: `breaking the change freeze "${broken.freeze}" (SkyfloFreeze ${deps.namespace}/${broken.freeze}) needs the approver's own passkey` }
        : undefined;
      if (breakGlass) deps.logger.warn({ approval, freeze: breakGlass.freeze, reason: broken!.reason }, 'a break-glass of a change freeze: minting only with a passkey of a person the freeze names');

      const policies: EnabledPolicy[] = [];
      for (const object of policyObjects) {
        const read = policyFromObject(object);
        if ('problem' in read) refuse('POLICY_DENIED', `SkyfloPolicy ${deps.namespace}/${nameOf(object)} cannot be read (${read.problem}); the executor fails closed and mints nothing until it is fixed or disabled`, { approval, policy: nameOf(object) });
        if (!read.enabled) continue;
        const problem = checkExpression(read.policy.expression);
        if (problem) refuse('POLICY_DENIED', `SkyfloPolicy ${deps.namespace}/${read.policy.name} does not compile (${problem.message}); the executor fails closed and mints nothing until it is fixed or disabled`, { approval, policy: read.policy.name });
        policies.push(read.policy);
      }
      const breakGlassDemand: MintDemands = breakGlass
        ? { passkeyRequiredBy: breakGlass.why, signersAmong: [{ who: breakGlass.approvers, what: `SkyfloFreeze ${deps.namespace}/${breakGlass.freeze}'s break_glass.approvers`, doing: 'breaks a change freeze', code: 'FROZEN' }] }
        : {};
      if (policies.length === 0) return breakGlassDemand;

      const input = mintPolicyInput({ ...facts, clusterName: deps.clusterName, clusterLabels: deps.clusterLabels }, await mintObjects(facts, deps.ownKube));
      const judgement = judge(policies, input);
      for (const error of judgement.errors) deps.logger.info({ approval, policy: error.name, reason: error.message }, 'a policy could not be evaluated on this call; it did not apply');
      const demands = demandsOf(judgement.verdicts);
      if (demands.denied) {
        const message = demands.denied.message.trim().replace(/[.!]$/, '');
        refuse('POLICY_DENIED', `SkyfloPolicy "${demands.denied.name}" denies this ${document.spec.tool} call${message ? `: ${message}` : ''}; nothing is minted`, { approval, policy: demands.denied.name });
      }
      // a role: the people this cluster says hold it, recognised by their own proof (approver-signature.ts)
      const role = demands.role ? roleDemand(demands.role.role, demands.role.by.name, approval) : undefined;
      // N people: each counted by their own proof (approver-signature.ts), so the decider's is required as well
      const approvers = demands.approversBy ? { count: demands.approvers, by: `SkyfloPolicy "${demands.approversBy.name}"` } : undefined;
      const passkeyRequiredBy = demands.passkeyBy
        ? `SkyfloPolicy "${demands.passkeyBy.name}" asks for the approver's passkey on this call`
        : approvers ? `${approvers.by} asks for ${approvers.count} approvers, each confirmed by their own passkey`
        : demands.role ? `SkyfloPolicy "${demands.role.by.name}" asks for the ${demands.role.role} role, confirmed by the approver's own passkey`
        : breakGlassDemand.passkeyRequiredBy;
      const signersAmong = [...(breakGlassDemand.signersAmong ?? []), ...(role ? [role] : [])];
      return { ...(passkeyRequiredBy ? { passkeyRequiredBy } : {}), ...(signersAmong.length ? { signersAmong } : {}), ...(approvers ? { approvers } : {}) };
    },
  };
}
