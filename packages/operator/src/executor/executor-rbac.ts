/**
 * What an install grants the executor's own identity (ServiceAccount `skyflo-executor`), written once: the chart and
 * the operator template these rules, and the executor tests give the executor exactly these and nothing more.
 *
 * The executor holds no write verb on any workload, Secret or config: it may only record approvals, create the
 * per-approval ServiceAccounts and their tokens, and create Roles (`escalate`: rules it does not hold itself) bound
 * only to those accounts (`bind`). The API server's RBAC escalation check makes `escalate`/`bind` necessary; the
 * executor's signature check is what decides which rules it writes.
 */
import type { PolicyRule } from '../rbac/tool-permissions.ts';

export const executorServiceAccountName = 'skyflo-executor';

/** A Role in the install's namespace (bound to skyflo-executor by a RoleBinding there). */
export const executorInstallNamespaceRules: PolicyRule[] = [
  { apiGroups: ['skyflo.ai'], resources: ['skyfloapprovals'], verbs: ['get', 'list', 'watch', 'create', 'patch'] },
  { apiGroups: ['skyflo.ai'], resources: ['skyfloapprovals/status'], verbs: ['get', 'update', 'patch'] },
  // issue 35: the approver key registry (immutable keys; the status keeps the last accepted signature counter)
  { apiGroups: ['skyflo.ai'], resources: ['skyfloapproverkeys'], verbs: ['get', 'list', 'create', 'delete'] },
  { apiGroups: ['skyflo.ai'], resources: ['skyfloapproverkeys/status'], verbs: ['get', 'update'] },
  // issue 76: the emergency stop annotation on the SkyfloAI object (read on every mint, never written), and the stop
  // engaged in Skyflo shown in its status (status.emergencyStop, for `kubectl get sky`) — the status only
  { apiGroups: ['skyflo.ai'], resources: ['skyfloais'], verbs: ['get', 'list'] },
  { apiGroups: ['skyflo.ai'], resources: ['skyfloais/status'], verbs: ['get', 'update'] },
  // issue 76: the team's policies and change freezes as the cluster holds them, judged again at each mint (read only:
  // nothing the executor does can change them)
  { apiGroups: ['skyflo.ai'], resources: ['skyflopolicies', 'skyflofreezes'], verbs: ['get', 'list'] },
  { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['get', 'list', 'create', 'delete'] },
  { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] },
];

/**
 * In every namespace the executor may grant access in: a ClusterRole bound by a RoleBinding in each of
 * `allowedNamespaces` (namespace-limited install), or by a ClusterRoleBinding (cluster-wide install).
 */
export const executorGrantRules: PolicyRule[] = [
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: ['get', 'create', 'update', 'delete', 'escalate', 'bind'] },
];

/** Cluster-wide installs only: grants on cluster-scoped objects (a namespace-limited executor refuses those). */
export const executorClusterScopeRules: PolicyRule[] = [
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles', 'clusterrolebindings'], verbs: ['get', 'create', 'update', 'delete', 'escalate', 'bind'] },
];

/**
 * The dry-run proxy (dry-run-proxy.ts): RBAC authorizes a server-side dry-run exactly like the write and has no
 * dry-run-only verb, so the identity that runs the previews' dry-runs must hold the write verbs. The proxy forces
 * dryRun=All on every request it sends; an install that binds these rules trusts the executor process with them
 * (it already holds `escalate`/`bind`, i.e. it can grant itself anything).
 */
export const executorDryRunRules: PolicyRule[] = [
  { apiGroups: ['*'], resources: ['*'], verbs: ['create', 'update', 'patch', 'delete'] },
  // Issue 73: the reads a grant is computed from, with the executor's own identity (never the MCP server's word): a
  // workload before its image change, the revisions a rollback restores, the pods a drain evicts, whether an object a
  // manifest names exists and which release owns it.
  { apiGroups: [''], resources: ['pods', 'nodes', 'namespaces', 'services', 'configmaps', 'serviceaccounts', 'persistentvolumeclaims', 'replicationcontrollers'], verbs: ['get', 'list'] },
  { apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets', 'replicasets', 'controllerrevisions'], verbs: ['get', 'list'] },
  { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: ['get', 'list'] },
  { apiGroups: ['argoproj.io'], resources: ['rollouts'], verbs: ['get', 'list'] },
  { apiGroups: ['networking.k8s.io', 'policy', 'autoscaling', 'rbac.authorization.k8s.io'], resources: ['*'], verbs: ['get', 'list'] },
  // Issue 73 item 6: Helm previews run as the executor (POST /v1/helm/render), and helm reads a release's storage
  // Secrets (`helm get`, `history`, `upgrade --dry-run=server` list them by label and get them). The answer to the MCP
  // server holds no Secret value. No new power: the `patch` above already shows the executor any Secret through an empty
  // dry-run patch, and escalate/bind let it grant itself anything; naming the read keeps the audit log honest.
  { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] },
];
