/**
 * Which cluster and namespace a tool call acts on, read from its arguments. Kubernetes, Helm and Argo tools take an
 * optional `context` (the cluster's name); a call without one gets the conversation's cluster, never a silent default.
 */
import type { ToolInfo } from '../../platform/ports/tool-gateway.ts';
import { isClusterScopedKind, isClusterScopedResource, manifestObjects } from './cluster-scoped-kinds.ts';

const clusterToolsets = new Set(['k8s', 'helm', 'argo']);

/** A Kubernetes, Helm or Argo tool: it acts on a cluster. */
export function isClusterTool(tool: string, info: ToolInfo | undefined): boolean {
  if (info?.toolset) return clusterToolsets.has(info.toolset);
  return /^(k8s|helm|argo)_/.test(tool);
}

/** Whether the tool's listed arguments include `context` (an MCP server from before clusters drops it silently). */
export function acceptsContext(info: ToolInfo | undefined): boolean {
  const properties = (info?.inputSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return !!properties && Object.prototype.hasOwnProperty.call(properties, 'context');
}

export interface CallTarget {
  /** the cluster the call names, if it names one */
  context?: string;
  /** the namespace named in the arguments (`namespace`), if any */
  namespace?: string;
  /** a listing across every namespace (`all_namespaces: true`, kubectl's -A) */
  allNamespaces: boolean;
  /** namespaces named inside a manifest argument (k8s_apply `content`), which the call also writes to */
  manifestNamespaces: string[];
}

export function targetOf(args: Record<string, unknown>): CallTarget {
  const context = typeof args['context'] === 'string' && args['context'] ? args['context'] : undefined;
  const namespace = typeof args['namespace'] === 'string' && args['namespace'] ? args['namespace'] : undefined;
  const manifestNamespaces: string[] = [];
  // A manifest may name its own namespaces (metadata.namespace of each object); each one is a target.
  for (const text of manifestsOf(args)) for (const object of manifestObjects(text)) if (object.namespace) manifestNamespaces.push(object.namespace);
  return { ...(context ? { context } : {}), ...(namespace ? { namespace } : {}), allNamespaces: args['all_namespaces'] === true, manifestNamespaces };
}

function manifestsOf(args: Record<string, unknown>): string[] {
  return ['content', 'manifest', 'yaml'].map((key) => args[key]).filter((text): text is string => typeof text === 'string');
}

/**
 * Tools that only act outside namespaces: nodes (cordon, uncordon, drain, top nodes) and the cluster's own endpoints
 * (cluster-info). Outside a namespace-limited scope, and not offered to a member limited to namespaces.
 */
export const clusterScopedTools: ReadonlySet<string> = new Set(['k8s_cordon', 'k8s_uncordon', 'k8s_drain', 'k8s_top_nodes', 'k8s_cluster_info']);

/**
 * Whether the call acts on something outside every namespace: a node tool, a cluster-scoped resource type
 * (cluster-scoped-kinds.ts: nodes, namespaces, cluster roles, PVs, CRDs...), or a manifest with a cluster-scoped
 * object. A manifest document whose kind cannot be read counts as outside (it cannot be placed in a namespace).
 */
export function actsOutsideNamespaces(tool: string, args: Record<string, unknown>): boolean {
  if (clusterScopedTools.has(tool)) return true;
  for (const key of ['resource_type', 'resource', 'kind']) {
    const value = args[key];
    if (typeof value === 'string' && isClusterScopedResource(value)) return true;
  }
  for (const text of manifestsOf(args)) {
    for (const object of manifestObjects(text)) if (object.kind === undefined || isClusterScopedKind(object.kind, object.apiVersion)) return true;
  }
  return false;
}
