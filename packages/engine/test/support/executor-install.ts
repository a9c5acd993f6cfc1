/**
 * The executor's identity exactly as an install grants it (its ServiceAccount, a Role in the install's namespace, the
 * cluster-wide grant rules with the dry-runs and reads a grant is computed from, issue 73), and a kubeconfig holding a token of that account: what the enforcement tests start
 * their executor with.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { executorClusterScopeRules, executorDryRunRules, executorGrantRules, executorInstallNamespaceRules, executorServiceAccountName } from '@skyflo/operator/executor';
import { stringify as toYaml } from 'yaml';

export async function installExecutorIdentity(options: {
  /** applies objects as the cluster's admin */
  apply(objects: unknown[]): Promise<unknown>;
  /** runs kubectl as the cluster's admin; resolves with its stdout */
  kubectl(...args: string[]): Promise<string>;
  kubeUrl: string;
  installNamespace: string;
  /** where the executor's kubeconfig is written */
  dir: string;
}): Promise<KubeConfig> {
  const { installNamespace } = options;
  const rbac = 'rbac.authorization.k8s.io';
  const subjects = [{ kind: 'ServiceAccount', name: executorServiceAccountName, namespace: installNamespace }];
  await options.apply([
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: executorServiceAccountName, namespace: installNamespace } },
    { apiVersion: `${rbac}/v1`, kind: 'Role', metadata: { name: 'skyflo-executor', namespace: installNamespace }, rules: executorInstallNamespaceRules },
    { apiVersion: `${rbac}/v1`, kind: 'RoleBinding', metadata: { name: 'skyflo-executor', namespace: installNamespace }, roleRef: { apiGroup: rbac, kind: 'Role', name: 'skyflo-executor' }, subjects },
    { apiVersion: `${rbac}/v1`, kind: 'ClusterRole', metadata: { name: 'skyflo-executor-grant' }, rules: [...executorGrantRules, ...executorClusterScopeRules, ...executorDryRunRules] },
    { apiVersion: `${rbac}/v1`, kind: 'ClusterRoleBinding', metadata: { name: 'skyflo-executor-grant' }, roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: 'skyflo-executor-grant' }, subjects },
  ]);
  const token = await options.kubectl('create', 'token', executorServiceAccountName, '-n', installNamespace, '--duration=2h');
  const file = path.join(options.dir, 'executor.kubeconfig');
  writeFileSync(
    file,
    toYaml({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'executor',
      clusters: [{ name: 'sim', cluster: { server: options.kubeUrl, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'executor', user: { token } }],
      contexts: [{ name: 'executor', context: { cluster: 'sim', user: 'executor', namespace: installNamespace } }],
    }),
  );
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(file);
  return kubeConfig;
}
