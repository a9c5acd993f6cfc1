/**
 * What a team member may touch (issue 22): an admin may limit a member to clusters and namespaces (globs allowed).
 * A call outside the scope is refused before it is previewed; a listing across all namespaces is refused for a
 * namespace-limited member with the namespaces to ask for instead (not silently narrowed: a listing that quietly
 * left namespaces out would read as "there is nothing else", which is not true).
 */
import type { MemberScope } from '@skyflo/protocol';
import { actsOutsideNamespaces, type CallTarget } from './cluster-target.ts';
import { globMatches } from './glob.ts';

export function clusterInScope(scope: MemberScope | undefined, cluster: string): boolean {
  if (!scope?.clusters) return true;
  return scope.clusters.some((pattern) => globMatches(pattern, cluster));
}

export function namespaceInScope(scope: MemberScope | undefined, namespace: string): boolean {
  if (!scope?.namespaces) return true;
  return scope.namespaces.some((pattern) => globMatches(pattern, namespace));
}

/** Why the call is outside the member's scope, in words for the model and the user; undefined when it is inside. */
export function scopeRefusal(input: { scope: MemberScope | undefined; tool: string; args: Record<string, unknown>; cluster: string; target: CallTarget; defaultNamespace: string }): string | undefined {
  const { scope, cluster, target } = input;
  if (!scope) return undefined;
  if (!clusterInScope(scope, cluster)) {
    return `Refused: cluster ${cluster} is outside your scope (you may use ${scope.clusters!.length > 0 ? scope.clusters!.join(', ') : 'no cluster'}). Nothing was run.`;
  }
  if (!scope.namespaces) return undefined;
  const allowed = scope.namespaces.join(', ') || 'none';
  if (target.allNamespaces) {
    return `Refused: listing across all namespaces is outside your scope; you may use the namespaces ${allowed}. Ask for each of them by name (namespace argument) instead.`;
  }
  if (actsOutsideNamespaces(input.tool, input.args)) {
    return `Refused: ${input.tool} acts on cluster-wide objects (outside any namespace), and your scope is limited to the namespaces ${allowed}. Nothing was run.`;
  }
  const namespaces = [target.namespace ?? input.defaultNamespace, ...target.manifestNamespaces];
  const outside = namespaces.filter((namespace) => !namespaceInScope(scope, namespace));
  if (outside.length > 0) {
    return `Refused: namespace ${[...new Set(outside)].join(', ')} in cluster ${cluster} is outside your scope (you may use ${allowed}). Nothing was run.`;
  }
  return undefined;
}
