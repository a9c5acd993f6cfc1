/**
 * The part of the system prompt that names the clusters (issue 22): which exist, which one this conversation is
 * pinned to (a call without `context` runs there), and the requester's scope: only the clusters inside it are named,
 * with the namespaces it allows. Short: it is paid on every turn.
 */
import type { ClusterStatus, MemberScope } from '@skyflo/protocol';
import { clusterInScope } from './member-scope.ts';

export function clusterPrompt(input: { clusters: readonly ClusterStatus[]; pinned: string | undefined; scope?: MemberScope | undefined }): string | undefined {
  const visible = input.clusters.filter((cluster) => clusterInScope(input.scope, cluster.name));
  if (visible.length === 0 || !input.pinned) return undefined;
  const lines = visible.map((cluster) => {
    const facts = [cluster.label, cluster.reachable ? undefined : 'unreachable', cluster.policy === 'read_only' ? 'read-only: no changes' : undefined].filter(Boolean);
    return `- ${cluster.name}${facts.length > 0 ? ` (${facts.join(', ')})` : ''}`;
  });
  const clusters = input.scope?.clusters ? `\nYour scope allows only the clusters listed above; calls elsewhere are refused.` : '';
  const namespaces = input.scope?.namespaces
    ? `\nYour scope allows only the namespaces ${input.scope.namespaces.join(', ') || '(none)'}: pass one of them as namespace. A listing across all namespaces is limited to these (its answer says so: never present it as the whole cluster). Cluster-scoped objects (nodes, namespaces, cluster roles, persistent volumes, CRDs) are outside your scope.`
    : '';
  // A scope narrowed after the conversation was pinned: say so rather than invite calls that are refused.
  const pinnedOutside = visible.some((cluster) => cluster.name === input.pinned) ? '' : ` (now outside your scope: name one of the clusters above in \`context\`)`;
  return `Clusters:\n${lines.join('\n')}\nThis conversation is pinned to cluster ${input.pinned}${pinnedOutside}: Kubernetes, Helm and Argo calls without \`context\` run there. Pass \`context\` only to act on another cluster, and always say which cluster and namespace you act on.${clusters}${namespaces}`;
}
