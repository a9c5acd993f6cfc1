/**
 * A call bound to a cluster's API server that is no longer configured (issue 37 item 7: the kubeconfig changed, e.g.
 * after a restart) cannot run as shown. One pure check, read by the decision rules (tool-calls/decide) — which both
 * the pending list and POST /agent/approvals/:id ask — so the queue and the decision say the same thing.
 */
export interface ConfiguredCluster {
  name: string;
  server: string;
}

/** Why a call can no longer run where it was approved for, or undefined (no binding, or its API server is still configured). */
export function staleReasonOf(record: { cluster?: { name: string; server: string } | undefined }, configured: ReadonlyArray<ConfiguredCluster> | undefined): string | undefined {
  // [] is an MCP server that predates clusters (cluster-directory.ts): nothing is known to be gone; undefined: unknown
  if (!record.cluster || !configured || configured.length === 0) return undefined;
  const { name, server } = record.cluster;
  if (configured.some((cluster) => cluster.name === name && cluster.server === server)) return undefined;
  const renamed = configured.find((cluster) => cluster.name === name);
  return renamed
    ? `Stale: this call is bound to cluster ${name} at ${server}, but ${name} now points at ${renamed.server} (the kubeconfig changed); it cannot run as shown. Deny it and ask again.`
    : `Stale: this call is bound to cluster ${name} at ${server}, which is no longer configured (the kubeconfig changed); it cannot run as shown. Deny it and ask again.`;
}
