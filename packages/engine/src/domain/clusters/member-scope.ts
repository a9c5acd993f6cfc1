/**
 * What a team member may touch (issue 22): an admin may limit a member to clusters and namespaces (globs allowed).
 * A call outside the scope is refused before it is previewed. A read across all namespaces by a member limited to
 * namespaces is not refused but limited (limited-listing.ts): it runs in each allowed namespace and says so, so the
 * answer never reads as "there is nothing else". Cluster-scoped objects (nodes, namespaces, cluster roles, PVs, CRDs)
 * stay refused for such a member, with the reason.
 */
import type { MemberScope } from '@skyflo/protocol';
import { actsOutsideNamespaces, type CallTarget } from './cluster-target.ts';
import { globMatches } from '@skyflo/safety/patterns';

export function clusterInScope(scope: MemberScope | undefined, cluster: string): boolean {
  if (!scope?.clusters) return true;
  return scope.clusters.some((pattern) => globMatches(pattern, cluster));
}

export function namespaceInScope(scope: MemberScope | undefined, namespace: string): boolean {
  if (!scope?.namespaces) return true;
  return scope.namespaces.some((pattern) => globMatches(pattern, namespace));
}

/**
 * Why the call is outside the member's scope, in words for the model and the user; undefined when it is inside.
 * `limitable`: the call is a read across all namespaces that the gate can run per allowed namespace instead
 * (it takes a `namespace`), so all_namespaces is not a reason to refuse it.
 */
export function scopeRefusal(input: {
  scope: MemberScope | undefined;
  tool: string;
  args: Record<string, unknown>;
  cluster: string;
  target: CallTarget;
  defaultNamespace: string;
  limitable?: boolean;
  /** the cluster says the call names a cluster-scoped custom resource (custom-resource-scopes.ts) */
  customClusterScoped?: boolean;
}): string | undefined {
  const { scope, cluster, target } = input;
  if (!scope) return undefined;
  if (!clusterInScope(scope, cluster)) {
    return `Refused: cluster ${cluster} is outside your scope (you may use ${scope.clusters!.length > 0 ? scope.clusters!.join(', ') : 'no cluster'}). Nothing was run.`;
  }
  if (!scope.namespaces) return undefined;
  const allowed = scope.namespaces.join(', ') || 'none';
  if (input.customClusterScoped || actsOutsideNamespaces(input.tool, input.args)) {
    return `Refused: ${input.tool} acts on cluster-scoped objects (outside any namespace: nodes, namespaces, cluster roles, persistent volumes, CRDs...), and your scope is limited to the namespaces ${allowed}. Nothing was run.`;
  }
  if (target.allNamespaces) {
    if (input.limitable) return undefined;
    return `Refused: ${input.tool} across all namespaces is outside your scope, and it cannot be limited to your namespaces (${allowed}). Name one namespace (namespace argument) instead. Nothing was run.`;
  }
  const namespaces = [target.namespace ?? input.defaultNamespace, ...target.manifestNamespaces];
  const outside = namespaces.filter((namespace) => !namespaceInScope(scope, namespace));
  if (outside.length > 0) {
    return `Refused: namespace ${[...new Set(outside)].join(', ')} in cluster ${cluster} is outside your scope (you may use ${allowed}). Nothing was run.`;
  }
  return undefined;
}
