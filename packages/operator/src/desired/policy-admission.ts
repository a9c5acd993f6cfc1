/**
 * Issue 76, "enforced twice" in the cluster itself: each enabled SkyfloPolicy that the API server can judge from the
 * write alone becomes a ValidatingAdmissionPolicy (GA in Kubernetes 1.30) and a binding that apply only to the
 * per-approval identities of this install (`skyflo-approval-*` ServiceAccounts in its namespace). So a write by such
 * an identity that the executor never checked — a leaked token, a credential used for more than its approval — still
 * meets the policy, in the API server.
 *
 * The policy's own expression is kept as written. The names it reads are bound to what admission knows, with the CEL
 * every API server has (a one-element list's `all()` binds a name): `objects` is the object written, before
 * (oldObject) and after (object; null on a delete); `namespaces` the write's namespace; `cluster` the name and labels
 * the executor itself uses. A write to a `scale` subresource carries an autoscaling/v1 Scale, so `after` is the
 * scaled kind (Deployment, StatefulSet, ReplicaSet, ReplicationController) with its metadata and spec.replicas only.
 *
 * What is not installed, and why (said in the SkyfloAI's PoliciesInCluster condition; docs/policies.md):
 * - an expression reading `tool`, `args`, `risks`, `requester` or `now`: the API server cannot know them at admission;
 * - effects other than deny and warn: require_approvers, require_passkey and require_role ask about the approval,
 *   which the executor checks at mint; warn becomes a binding with validationActions Warn (kubectl prints it);
 * - a policy whose expression does not compile (the executor already refuses every mint while it exists).
 *
 * An expression failing on one write (a field that write lacks) did not apply, as in the engine and the executor:
 * failurePolicy Ignore.
 */
import { approvalServiceAccountPrefix, unboundClusterName, type KubeObject as ProtocolObject } from '@skyflo/protocol';
import { policyFromObject } from '@skyflo/safety/declared';
import { checkExpression, namesBeyond, type PolicyInputName } from '@skyflo/safety/policies';
import type { KubeObject } from '../kube/kube-rest.ts';
import { clusterOwnerLabels, instanceLabels, type SkyfloAiObject } from './names.ts';
import type { SkyfloAiSpec } from '../spec/skyfloai-spec.ts';

export const admissionApiVersion = 'admissionregistration.k8s.io/v1';
export const policyKinds = ['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding'] as const;

/** The names a policy may read to be judged at admission. */
const knownAtAdmission: PolicyInputName[] = ['objects', 'namespaces', 'cluster'];

export interface PolicyAdmissionPlan {
  objects: KubeObject[];
  /** policy name → the policy that was installed and how (Deny or Warn) */
  installed: Array<{ name: string; action: 'Deny' | 'Warn' }>;
  /** policy name → why it is not installed */
  skipped: Array<{ name: string; why: string }>;
}

/** The cluster as the executor this operator runs names it (no --cluster: the in-cluster cluster), with the SkyfloAI's labels. */
export const executorClusterOf = (_owner: SkyfloAiObject, spec?: Pick<SkyfloAiSpec, 'approvals'>) => ({ name: unboundClusterName, labels: { ...(spec?.approvals.clusterLabels ?? {}) } as Record<string, string> });

/** Kinds of the objects whose scale subresource a Scale stands for. */
const scaledKinds = { deployments: 'Deployment', statefulsets: 'StatefulSet', replicasets: 'ReplicaSet', replicationcontrollers: 'ReplicationController' };

const celString = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const celMap = (entries: Record<string, string>) => `{${Object.entries(entries).map(([key, value]) => `${celString(key)}: ${celString(value)}`).join(', ')}}`;

/** `x` (object or oldObject) as the policy input's object: a Scale becomes the scaled kind with its replicas. */
function asWritten(x: 'object' | 'oldObject'): string {
  const apiVersion = "request.resource.group == '' ? request.resource.version : request.resource.group + '/' + request.resource.version";
  const kind = `request.resource.resource in ${celMap(scaledKinds)} ? ${celMap(scaledKinds)}[request.resource.resource] : ${x}.kind`;
  // every branch and map value is dyn, so kube-apiserver's type checker (cel-go) joins them without complaint
  return `${x} == null ? ${x} : (request.subResource == 'scale' ? dyn({'apiVersion': dyn(${apiVersion}), 'kind': dyn(${kind}), 'metadata': ${x}.metadata, 'spec': dyn({'replicas': ${x}.spec.replicas})}) : ${x})`;
}

export function policyAdmissionName(owner: SkyfloAiObject, policyName: string): string {
  return `skyflo-${owner.metadata.namespace ?? 'default'}-${owner.metadata.name}-${policyName}`.slice(0, 253);
}

function translate(owner: SkyfloAiObject, cluster: ReturnType<typeof executorClusterOf>, name: string, expression: string, message: string, action: 'Deny' | 'Warn'): KubeObject[] {
  const namespace = owner.metadata.namespace ?? 'default';
  const objectName = policyAdmissionName(owner, name);
  const metadata = { name: objectName, labels: { ...instanceLabels(owner, 'rbac'), ...clusterOwnerLabels(owner), 'skyflo.ai/policy': name } };
  const said = message.trim().replace(/[.!]$/, '');
  const policy = {
    apiVersion: admissionApiVersion,
    kind: 'ValidatingAdmissionPolicy',
    metadata,
    spec: {
      failurePolicy: 'Ignore',
      matchConstraints: { resourceRules: [{ apiGroups: ['*'], apiVersions: ['*'], operations: ['CREATE', 'UPDATE', 'DELETE'], resources: ['*', '*/scale'] }] },
      matchConditions: [{ name: 'skyflo-approval-accounts', expression: `request.userInfo.username.startsWith(${celString(`system:serviceaccount:${namespace}:${approvalServiceAccountPrefix}`)})` }],
      variables: [
        { name: 'objects', expression: `[{'before': ${asWritten('oldObject')}, 'after': ${asWritten('object')}}]` },
        { name: 'namespaces', expression: "request.namespace == '' ? [] : [request.namespace]" },
        { name: 'cluster', expression: `{'name': dyn(${celString(cluster.name)}), 'labels': dyn(${celMap(cluster.labels)})}` },
      ],
      validations: [
        {
          expression: `!([variables.objects].all(objects, [variables.namespaces].all(namespaces, [variables.cluster].all(cluster, (${expression})))))`,
          message: `SkyfloPolicy "${name}" ${action === 'Deny' ? 'denies' : 'warns about'} this change${said ? `: ${said}` : ''}`,
          reason: 'Forbidden',
        },
      ],
    },
  };
  const binding = { apiVersion: admissionApiVersion, kind: 'ValidatingAdmissionPolicyBinding', metadata, spec: { policyName: objectName, validationActions: [action] } };
  return [policy as KubeObject, binding as KubeObject];
}

/** What the install's SkyfloPolicy objects become in the API server, and what cannot. */
export function policyAdmissionPlan(owner: SkyfloAiObject, skyfloPolicies: readonly ProtocolObject[], spec?: Pick<SkyfloAiSpec, 'approvals'>): PolicyAdmissionPlan {
  const plan: PolicyAdmissionPlan = { objects: [], installed: [], skipped: [] };
  for (const object of skyfloPolicies) {
    const name = object.metadata?.name ?? '';
    const read = policyFromObject(object);
    if ('problem' in read) {
      plan.skipped.push({ name, why: `cannot be read (${read.problem})` });
      continue;
    }
    if (!read.enabled) continue;
    const { effect, expression, message } = read.policy;
    if (effect !== 'deny' && effect !== 'warn') {
      plan.skipped.push({ name, why: 'its effect asks about the approval, which the executor checks when it mints' });
      continue;
    }
    const problem = checkExpression(expression);
    if (problem) {
      plan.skipped.push({ name, why: `its expression does not compile (${problem.message})` });
      continue;
    }
    const beyond = namesBeyond(expression, knownAtAdmission);
    if (beyond) {
      plan.skipped.push({ name, why: `it reads ${beyond.join(', ')}, which the API server cannot know at admission` });
      continue;
    }
    const action = effect === 'deny' ? 'Deny' : 'Warn';
    plan.objects.push(...translate(owner, executorClusterOf(owner, spec), name, expression, message, action));
    plan.installed.push({ name, action });
  }
  return plan;
}
