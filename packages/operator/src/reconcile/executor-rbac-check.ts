/**
 * The executor's ServiceAccount and RBAC are the chart's (rbac/executor-rules.ts says why the operator does not create
 * them). When they are missing, the executor's pods cannot start or cannot mint, so the SkyfloAI says so and how to fix it.
 */
import type { SkyfloAiObject } from '../desired/names.ts';
import type { KubeRest } from '../kube/kube-rest.ts';
import { executorRbacNames } from '../rbac/executor-rules.ts';

export async function executorRbacProblem(kube: KubeRest, owner: SkyfloAiObject, profile: string): Promise<string | undefined> {
  const namespace = owner.metadata.namespace ?? 'default';
  const names = executorRbacNames(namespace);
  const missing: string[] = [];
  if (!(await kube.get({ apiVersion: 'v1', kind: 'ServiceAccount', name: names.serviceAccount, namespace }))) missing.push(`ServiceAccount ${names.serviceAccount}`);
  if (!(await kube.get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', name: names.installRole, namespace }))) missing.push(`RoleBinding ${names.installRole}`);
  if (!(await kube.get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: names.grant }))) missing.push(`ClusterRole ${names.grant}`);
  if (missing.length === 0) return undefined;
  return (
    `approvals.enforcement is cluster but the executor's identity is missing in ${namespace} (${missing.join(', ')}): ` +
    `create them as the chart does (helm template skyflo deploy/helm/skyflo -n ${namespace} --set skyfloai.accessProfile=${profile} ` +
    `--show-only templates/executor-rbac.yaml | kubectl apply -f -), ` +
    `or set spec.approvals.enforcement=engine to run without cluster enforcement`
  );
}
