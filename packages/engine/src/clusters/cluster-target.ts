/**
 * Which cluster and namespace a tool call acts on, read from its arguments. Kubernetes, Helm and Argo tools take an
 * optional `context` (the cluster's name); a call without one gets the conversation's cluster, never a silent default.
 */
import type { ToolInfo } from '../mcp/tool-gateway.ts';

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
  for (const key of ['content', 'manifest', 'yaml']) {
    const text = args[key];
    if (typeof text !== 'string') continue;
    // A manifest may name its own namespaces; each one is a target (scope is checked against all of them).
    for (const match of text.matchAll(/^\s*namespace:\s*["']?([a-z0-9][a-z0-9.-]*)["']?\s*$/gm)) manifestNamespaces.push(match[1]!);
  }
  return { ...(context ? { context } : {}), ...(namespace ? { namespace } : {}), allNamespaces: args['all_namespaces'] === true, manifestNamespaces };
}

/** Tools that act on cluster-scoped objects (nodes): outside any namespace, so outside a namespace-limited scope. */
const clusterScopedTools: ReadonlySet<string> = new Set(['k8s_cordon', 'k8s_uncordon', 'k8s_drain', 'k8s_top_nodes']);

/** Kinds that live outside namespaces: a call naming one is outside a namespace-limited scope whatever `namespace` says. */
const clusterScopedKinds = /^(nodes?|no|namespaces?|ns|persistentvolumes?|pv|storageclass(es)?|sc|clusterroles?|clusterrolebindings?|customresourcedefinitions?|crds?|priorityclass(es)?|pc|mutatingwebhookconfigurations?|validatingwebhookconfigurations?|apiservices?|csidrivers?|csinodes?|volumeattachments?|ingressclass(es)?|runtimeclass(es)?)(\..*)?$/i;

/** Whether the call acts on something outside every namespace (nodes, namespaces themselves, cluster roles...). */
export function actsOutsideNamespaces(tool: string, args: Record<string, unknown>): boolean {
  if (clusterScopedTools.has(tool)) return true;
  for (const key of ['resource_type', 'resource', 'kind']) {
    const value = args[key];
    if (typeof value === 'string' && clusterScopedKinds.test(value.trim())) return true;
  }
  // k8s_apply's manifest: a cluster-scoped kind anywhere in it
  for (const key of ['content', 'manifest', 'yaml']) {
    const text = args[key];
    if (typeof text === 'string' && /^\s*kind:\s*["']?(Namespace|Node|ClusterRole|ClusterRoleBinding|PersistentVolume|StorageClass|CustomResourceDefinition|PriorityClass|MutatingWebhookConfiguration|ValidatingWebhookConfiguration|APIService|IngressClass|RuntimeClass)["']?\s*$/m.test(text)) return true;
  }
  return false;
}
