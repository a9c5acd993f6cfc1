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
 * - `require_approvers: N` → refused, since a SkyfloApproval records one approver (status.decidedBy) and the
 *   executor cannot confirm N; `require_role` likewise (it carries no role); `require_passkey` → the approver's own
 *   passkey proof is checked (approver-signature.ts) as if the approval asked for it; `warn` → nothing.
 */
import type { KubeObject, PolicyEffect } from '@skyflo/protocol';
import { freezeFromObject, policyFromObject, skyfloFreezeKind, skyfloPolicyKind } from '@skyflo/safety/declared';
import { activeFreezes, type Freeze } from '@skyflo/safety/freezes';
import { checkExpression, demandsOf, effectText, judge, type EnabledPolicy } from '@skyflo/safety/policies';
import { isNotFound, type KubeRest } from '../kube/kube-rest.ts';
import { ExecutorError, type ExecutorLogger } from './executor-options.ts';
import type { SignerAmong } from './approver-signature.ts';
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
  logger: ExecutorLogger;
}

/** What the matched policies and a break-glass still ask of the mint, checked with the approver's signature. */
export interface MintDemands {
  /** why the approver's own passkey (or device key) proof must verify */
  passkeyRequiredBy?: string;
  /** a break-glass: the key that signed must belong to one of `who` (emails or user ids), as `what` names them */
  signerAmong?: SignerAmong;
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

const unconfirmable = (effect: PolicyEffect): string | undefined => {
  if (typeof effect !== 'object') return undefined;
  if ('require_approvers' in effect) return `this executor cannot confirm ${effect.require_approvers} approver${effect.require_approvers === 1 ? '' : 's'} (a SkyfloApproval records one, status.decidedBy)`;
  return `this executor cannot confirm the approver's role (a SkyfloApproval records none)`;
};

export function createPolicyCheck(deps: PolicyCheckDeps): PolicyCheck {
  function refuse(code: 'POLICY_DENIED' | 'FROZEN', message: string, fields: Record<string, unknown>): never {
    deps.logger.warn({ code, ...fields, reason: message }, 'mint refused by a cluster guardrail');
    throw new ExecutorError(code, message);
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
      const breakGlassDemand = breakGlass ? { passkeyRequiredBy: breakGlass.why, signerAmong: { who: breakGlass.approvers, what: `SkyfloFreeze ${deps.namespace}/${breakGlass.freeze}'s break_glass.approvers` } } : {};
      if (policies.length === 0) return breakGlassDemand;

      const input = mintPolicyInput({ ...facts, clusterName: deps.clusterName, clusterLabels: deps.clusterLabels }, await mintObjects(facts, deps.ownKube));
      const judgement = judge(policies, input);
      for (const error of judgement.errors) deps.logger.info({ approval, policy: error.name, reason: error.message }, 'a policy could not be evaluated on this call; it did not apply');
      const demands = demandsOf(judgement.verdicts);
      if (demands.denied) {
        const message = demands.denied.message.trim().replace(/[.!]$/, '');
        refuse('POLICY_DENIED', `SkyfloPolicy "${demands.denied.name}" denies this ${document.spec.tool} call${message ? `: ${message}` : ''}; nothing is minted`, { approval, policy: demands.denied.name });
      }
      for (const verdict of [demands.approversBy, demands.role?.by]) {
        if (!verdict) continue;
        refuse('POLICY_DENIED', `SkyfloPolicy "${verdict.name}" asks to ${effectText(verdict.effect)}, and ${unconfirmable(verdict.effect)}; nothing is minted`, { approval, policy: verdict.name });
      }
      return demands.passkeyBy ? { ...breakGlassDemand, passkeyRequiredBy: `SkyfloPolicy "${demands.passkeyBy.name}" asks for the approver's passkey on this call` } : breakGlassDemand;
    },
  };
}
