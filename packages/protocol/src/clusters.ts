/**
 * Clusters and scope (issue 22): which cluster and namespace the agent acts on, named everywhere.
 * A cluster is a kubeconfig context (or the in-cluster identity, named "in-cluster"), by name.
 */
import { deferred } from './deferred.ts';
import { z } from './zod.ts';

/** The cluster an approval is bound to: its name and API server URL are both in the call's args hash. */
export const clusterRefSchema = deferred(() => z.object({
  /** the context name (display name) */
  name: z.string(),
  /** the API server URL */
  server: z.string(),
  /** an optional label such as "prod" */
  label: z.string().optional(),
}));
export type ClusterRef = z.infer<typeof clusterRefSchema>;

export const clusterStatusSchema = deferred(() => clusterRefSchema.extend({
  /** the kubeconfig's current context (the default for a new conversation) */
  current: z.boolean(),
  reachable: z.boolean(),
  /** why it is not reachable, naming the file/context ("kubeconfig /x/config: context beta: connect ECONNREFUSED …") */
  error: z.string().optional(),
  /**
   * Issue 75: set when the API server answers but rejects the credentials (HTTP 401: expired, rotated, revoked):
   * `reachable` is then false too, since no call can succeed, and this says it is not the network.
   */
  credentials_rejected: z.boolean().optional(),
  /** server version, e.g. "v1.31.0" */
  version: z.string().optional(),
  /** who Skyflo is there (SelfSubjectReview), e.g. "system:serviceaccount:skyflo:skyflo" */
  identity: z.string().optional(),
  default_namespace: z.string().optional(),
  /** the approval policy for writes here: read_only | self | approver | four_eyes */
  policy: z.string().optional(),
  /**
   * Issue 34: who enforces approved writes here. `cluster`: the cluster's executor mints a credential per approval and
   * its admission webhook refuses anything else; `engine`: only Skyflo's own gate (the MCP server's identity writes)
   */
  approval_enforcement: z.enum(['cluster', 'engine']).optional(),
}));
export type ClusterStatus = z.infer<typeof clusterStatusSchema>;

export const clustersResponseSchema = deferred(() => z.object({ clusters: z.array(clusterStatusSchema) }));
export type ClustersResponse = z.infer<typeof clustersResponseSchema>;

/**
 * GET /clusters answers 503 with this body when the clusters cannot be listed at all (no kubeconfig, an unreadable
 * one, an MCP server that does not answer). `detail` is the reason in the engine's words and what to do about it
 * (for a missing kubeconfig: --kubeconfig, KUBECONFIG, or `npm run sandbox` for a simulated cluster), meant to be
 * shown as is: the same text /health reports and the start-up log prints.
 */
export const clustersUnavailableSchema = deferred(() => z.object({
  detail: z.string(),
  code: z.literal('CLUSTERS_UNAVAILABLE'),
}));
export type ClustersUnavailable = z.infer<typeof clustersUnavailableSchema>;

/** Approval policy by scope: per cluster, optionally narrowed by a namespace glob ("payments-*"). */
export const clusterPolicyModeSchema = deferred(() => z.enum(['read_only', 'self', 'approver', 'four_eyes']));
export type ClusterPolicyMode = z.infer<typeof clusterPolicyModeSchema>;
export const clusterPolicySchema = deferred(() => z.object({
  cluster: z.string().min(1, 'cluster is required'),
  namespace_pattern: z.string().optional(),
  mode: clusterPolicyModeSchema,
}));
export type ClusterPolicy = z.infer<typeof clusterPolicySchema>;
export const clusterPoliciesSchema = deferred(() => z.object({ policies: z.array(clusterPolicySchema) }));

/** What one team member may touch; absent = everything. Namespace globs apply in every allowed cluster. */
export const memberScopeSchema = deferred(() => z.object({
  clusters: z.array(z.string().max(253, 'a cluster name may be at most 253 characters')).max(500, 'a scope may name at most 500 clusters').optional(),
  namespaces: z.array(z.string().max(253, 'a namespace glob may be at most 253 characters')).max(500, 'a scope may name at most 500 namespaces').optional(),
}));
export type MemberScope = z.infer<typeof memberScopeSchema>;

/**
 * GET /health: `degraded` names what fails (the database, the event bus, or a cluster: "cluster beta": "error: …").
 * Why it fails is for a signed-in caller: anyone else reads just "error", and `reasons` says where the reasons are.
 * Loose: the engine may add readiness fields (the embedded MCP server's) that clients pass over.
 */
export const healthResponseSchema = deferred(() => z.looseObject({
  status: z.enum(['ok', 'degraded']),
  components: z.record(z.string(), z.string()).optional(),
  /** present when a failing component's reason was withheld from this caller (not signed in) */
  reasons: z.string().optional(),
  /** the clusters that fail, by name, with why */
  clusters: z.array(z.looseObject({ name: z.string(), reachable: z.boolean().optional(), error: z.string().optional() })).optional(),
}));
export type HealthResponse = z.infer<typeof healthResponseSchema>;

/**
 * SKYFLO_CLUSTER_LABELS ("prod-eu=prod,dev=dev": kubeconfig context = label), the labels clusters are shown with
 * (`label` above). Written once for the two processes that read it — the engine's configuration (which hands it to
 * its embedded MCP server) and `skyflo mcp`'s — so both accept and refuse the same text; an error names the bad entry.
 */
export function parseClusterLabels(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const part of (text ?? '').split(',').map((entry) => entry.trim()).filter(Boolean)) {
    const match = /^([^=\s]+)=([^=,]+)$/.exec(part);
    if (!match) throw new Error(`SKYFLO_CLUSTER_LABELS must be "context=label" pairs separated by commas (e.g. "prod-eu=prod,dev=dev"); "${part}" is not one.`);
    labels[match[1]!] = match[2]!.trim();
  }
  return labels;
}
