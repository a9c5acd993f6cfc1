/**
 * The executor's own access and the names of the objects that hold it, shared by the chart (files/executor-rules.json,
 * written by scripts/write-chart-rbac.ts from these rules) and the operator (which checks that they exist).
 *
 * The rules are packages/operator/src/executor/executor-rbac.ts's (the executor's module, issue 34): recording
 * approvals, creating the per-approval ServiceAccounts and their tokens, and Roles for them. The executor writes Roles
 * with rules it does not hold itself, so RBAC's escalation check needs `escalate` and `bind` on roles (and, cluster-wide,
 * on clusterroles): the executor never holds a standing write verb on any workload, and what it grants is decided by
 * the engine's signature on each SkyfloApproval. Why the chart and not the operator creates this RBAC: the creator of a
 * role holding `escalate` must hold `escalate` itself, which would make the operator able to grant anything; the person
 * installing the chart already can.
 */
import { executorClusterScopeRules, executorGrantRules, executorInstallNamespaceRules, executorServiceAccountName } from '../executor/executor-rbac.ts';

export { executorClusterScopeRules, executorGrantRules, executorInstallNamespaceRules, executorServiceAccountName };

/** The names the chart gives the executor's RBAC (deploy/helm/skyflo/templates/executor-rbac.yaml). */
export function executorRbacNames(namespace: string) {
  return {
    serviceAccount: executorServiceAccountName,
    /** Role and RoleBinding in the install's namespace */
    installRole: executorServiceAccountName,
    /** the grant ClusterRole, and its ClusterRoleBinding (cluster-wide) or RoleBindings (one per allowed namespace) */
    grant: `skyflo:${namespace}:executor`,
  };
}
