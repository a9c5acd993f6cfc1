/**
 * The MCP server ServiceAccount's ClusterRoles and Roles, built from the per-tool table in @skyflo/protocol
 * (tool-permissions.ts), which the MCP server also lists on each tool (`_meta["skyflo.ai/rbac"]`): one table, so the
 * role granted and the requirements a client reads cannot disagree. Never cluster-admin.
 */
import { mergeRules, permissionSets, toolPermissions, type PolicyRule } from '@skyflo/protocol';

export { toolPermissions, type PolicyRule };

/**
 * The access profiles of the MCP server's ServiceAccount (docs: README "Access profiles"):
 * - `read-only`: what the read-only tools need, minus Secrets (no release or credential reads): get/list/watch, plus
 *   creating access reviews (k8s_auth_can_i asks the API server a question, nothing changes). No pods/exec.
 * - `operate` (`cluster-admin-like`): what every tool needs, cluster-wide (still never escalate/bind/impersonate).
 */
export function profileRules(profile: 'read-only' | 'operate'): PolicyRule[] {
  const rows = Object.values(toolPermissions).filter((row) => profile === 'operate' || row.readOnly);
  const needs = rows.flatMap((row) => row.needs).filter((need) => profile === 'operate' || need !== 'readSecrets');
  return mergeRules(needs.flatMap((need) => permissionSets[need]));
}

/** Resources that exist only cluster-wide: a Role cannot grant them, so the namespaced profile leaves them out. */
const clusterScopedResources: Record<string, string[]> = { '': ['namespaces', 'nodes', 'persistentvolumes'], 'metrics.k8s.io': ['nodes'] };
/** API groups whose resources (as the tools use them) are cluster-scoped: storage classes, CRDs, priority classes, access reviews. */
const clusterScopedGroups = new Set(['storage.k8s.io', 'apiextensions.k8s.io', 'scheduling.k8s.io', 'authorization.k8s.io', 'certificates.k8s.io']);

/**
 * `namespaced`: the `operate` rules (or, with cluster-enforced approvals, the `read-only` ones: `base`) that a Role can
 * hold (namespaced resources only), for one Role in each listed namespace. Nothing cluster-wide is granted, so nothing outside those namespaces can be read or changed.
 */
export function namespacedRules(base: PolicyRule[] = profileRules('operate')): PolicyRule[] {
  const perGroup = base.flatMap((rule) =>
    rule.apiGroups
      .filter((group) => !clusterScopedGroups.has(group))
      .map((group) => ({ apiGroups: [group], resources: rule.resources.filter((resource) => !(clusterScopedResources[group] ?? []).includes(resource)), verbs: rule.verbs })),
  );
  return mergeRules(perGroup.filter((rule) => rule.resources.length > 0));
}
