/**
 * Reads what the SkyfloPolicy → ValidatingAdmissionPolicy translation (desired/policy-admission.ts) needs — the
 * install's SkyfloPolicy objects, and whether this API server serves ValidatingAdmissionPolicy at all — and says the
 * outcome as the SkyfloAI's PoliciesInCluster condition. Only with cluster-enforced approvals: without the executor
 * there are no per-approval identities to bind the policies to.
 */
import type { SkyfloAiObject } from '../desired/names.ts';
import type { SkyfloAiSpec } from '../spec/skyfloai-spec.ts';
import { admissionApiVersion, policyAdmissionPlan, type PolicyAdmissionPlan } from '../desired/policy-admission.ts';
import { isForbidden, isNotFound, type KubeObject, type KubeRest } from '../kube/kube-rest.ts';
import type { Condition } from './status.ts';

export interface PolicyAdmissionState {
  plan?: PolicyAdmissionPlan;
  condition: Condition;
}

const conditionType = 'PoliciesInCluster';

function summary(plan: PolicyAdmissionPlan): string {
  const installed = plan.installed.map((entry) => `${entry.name} (${entry.action})`).join(', ');
  const skipped = plan.skipped.map((entry) => `${entry.name}: ${entry.why}`).join('; ');
  return [
    installed ? `ValidatingAdmissionPolicies bound to this install's approval accounts: ${installed}` : '',
    skipped ? `Not installed in the API server (the executor still judges them when it mints): ${skipped}` : '',
  ]
    .filter(Boolean)
    .join('. ');
}

export async function readPolicyAdmission(kube: KubeRest, owner: SkyfloAiObject, spec?: Pick<SkyfloAiSpec, 'approvals'>): Promise<PolicyAdmissionState> {
  const generation = owner.metadata.generation;
  const namespace = owner.metadata.namespace ?? 'default';
  const said = (status: Condition['status'], reason: string, message: string): Condition => ({ type: conditionType, status, reason, message, observedGeneration: generation });
  try {
    await kube.list({ apiVersion: admissionApiVersion, kind: 'ValidatingAdmissionPolicy' }, 'skyflo.ai/policy=none');
  } catch (error) {
    if (isNotFound(error)) {
      return { condition: said('False', 'NotSupported', 'this API server does not serve admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy (Kubernetes 1.30+): SkyfloPolicies are judged by the executor alone, when it mints') };
    }
    if (isForbidden(error)) {
      return { condition: said('False', 'NotPermitted', 'this install does not let the operator manage ValidatingAdmissionPolicies: run helm upgrade (the chart grants it); SkyfloPolicies are judged by the executor alone meanwhile') };
    }
    throw error;
  }
  let policies: KubeObject[] = [];
  try {
    policies = await kube.list({ apiVersion: 'skyflo.ai/v1alpha1', kind: 'SkyfloPolicy', namespace });
  } catch (error) {
    // the SkyfloPolicy CRD is not installed: there are none
    if (!isNotFound(error)) throw error;
  }
  const plan = policyAdmissionPlan(owner, policies, spec);
  if (plan.installed.length === 0 && plan.skipped.length === 0) return { plan, condition: said('True', 'NoPolicies', `no enabled SkyfloPolicy in ${namespace}`) };
  return { plan, condition: said(plan.skipped.length ? 'False' : 'True', plan.skipped.length ? 'NotAllInstalled' : 'Installed', summary(plan)) };
}
