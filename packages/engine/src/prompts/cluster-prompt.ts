/**
 * The part of the system prompt that names the clusters (issue 22): which exist, which one this conversation is
 * pinned to (a call without `context` runs there), and the requester's scope. Short: it is paid on every turn.
 */
import type { ClusterStatus, MemberScope } from '@skyflo/protocol';
import { clusterInScope } from '../clusters/member-scope.ts';

export function clusterPrompt(input: { clusters: readonly ClusterStatus[]; pinned: string | undefined; scope?: MemberScope | undefined }): string | undefined {
  const visible = input.clusters.filter((cluster) => clusterInScope(input.scope, cluster.name));
  if (visible.length === 0 || !input.pinned) return undefined;
  const lines = visible.map((cluster) => {
    const facts = [cluster.label, cluster.reachable ? undefined : 'unreachable', cluster.policy === 'read_only' ? 'read-only: no changes' : undefined].filter(Boolean);
    return `- ${cluster.name}${facts.length > 0 ? ` (${facts.join(', ')})` : ''}`;
  });
  const scope = input.scope?.namespaces ? `\nYou may only use the namespaces ${input.scope.namespaces.join(', ')}: always pass namespace, never all_namespaces.` : '';
  return `Clusters:\n${lines.join('\n')}\nThis conversation is pinned to cluster ${input.pinned}: Kubernetes, Helm and Argo calls without \`context\` run there. Pass \`context\` only to act on another cluster, and always say which cluster and namespace you act on.${scope}`;
}
