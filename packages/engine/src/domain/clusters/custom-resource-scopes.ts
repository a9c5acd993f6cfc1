/**
 * Which custom resources of a cluster live outside namespaces, from the cluster's own CustomResourceDefinitions
 * (`spec.scope: Cluster`), asked through the MCP server (k8s_get, as the engine's identity) and cached per cluster.
 * Built-in kinds are in cluster-scoped-kinds.ts; this covers what that table cannot know (a ClusterIssuer, a
 * ClusterPolicy...). Only asked for a member limited to namespaces, for a type or kind the table does not place.
 */
import type { ToolGateway } from '../../platform/ports/tool-gateway.ts';
import { isClusterScopedKind, isClusterScopedResource, manifestObjects } from './cluster-scoped-kinds.ts';

interface CustomResource {
  group: string;
  kind: string;
  /** plural, singular, short names (lower case) */
  names: string[];
  clusterScoped: boolean;
}

export interface CustomResourceScopes {
  /**
   * Whether the call names a custom resource type (resource_type) or a manifest kind that the cluster defines as
   * cluster-scoped. `unknown` when the definitions could not be read (callers decide: fail closed for a scoped member).
   */
  outsideNamespaces(cluster: string, args: Record<string, unknown>): Promise<boolean | 'unknown'>;
  /**
   * For each manifest kind (a Helm chart's objects): whether the cluster defines it as a cluster-scoped custom resource.
   * Kinds the built-in table places are answered without asking; `unknown` when the definitions were needed and
   * could not be read.
   */
  clusterScopedKinds(cluster: string, kinds: ReadonlyArray<{ kind: string; apiVersion?: string }>): Promise<boolean[] | 'unknown'>;
}

/** A manifest kind whose scope only the cluster's CRDs tell (its group is neither core nor a built-in `*.k8s.io`). */
export function isCustomKind(kind: string, apiVersion?: string): boolean {
  if (isClusterScopedKind(kind, apiVersion)) return false;
  const group = apiVersion?.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : '';
  return group.includes('.') && !group.endsWith('.k8s.io');
}

/** Built-in namespaced names kubectl users type most: these never need the CRD listing. */
const builtInNamespaced = new Set(
  'pods po deployments deployment deploy replicasets replicaset rs statefulsets statefulset sts daemonsets daemonset ds jobs job cronjobs cronjob cj services service svc configmaps configmap cm secrets secret serviceaccounts serviceaccount sa endpoints ep endpointslices events ev ingresses ingress ing networkpolicies netpol persistentvolumeclaims persistentvolumeclaim pvc roles role rolebindings rolebinding horizontalpodautoscalers hpa poddisruptionbudgets pdb limitranges limits resourcequotas quota leases all rollouts rollout ro analysisruns experiments'.split(' '),
);

const shared = new WeakMap<object, CustomResourceScopes>();

/** One cache per tool gateway (so per engine), shared by every run's gate. */
export function customResourceScopesFor(tools: Pick<ToolGateway, 'callTool'>): CustomResourceScopes {
  let scopes = shared.get(tools);
  if (!scopes) shared.set(tools, (scopes = createCustomResourceScopes({ tools })));
  return scopes;
}

export function createCustomResourceScopes(deps: { tools: Pick<ToolGateway, 'callTool'>; ttlMs?: number; now?: () => number }): CustomResourceScopes {
  const ttlMs = deps.ttlMs ?? 60_000;
  const now = deps.now ?? Date.now;
  const cache = new Map<string, { at: number; resources: CustomResource[] }>();

  async function definitions(cluster: string): Promise<CustomResource[] | undefined> {
    const cached = cache.get(cluster);
    if (cached && now() - cached.at < ttlMs) return cached.resources;
    try {
      const outcome = await deps.tools.callTool({ name: 'k8s_get', args: { resource_type: 'customresourcedefinitions', output: 'json', context: cluster }, timeoutMs: 15_000 });
      if (outcome.isError) return undefined;
      const list = JSON.parse(outcome.text) as { items?: Array<{ spec?: { group?: string; scope?: string; names?: { kind?: string; plural?: string; singular?: string; shortNames?: string[] } } }> };
      const resources = (list.items ?? []).map((item) => ({
        group: item.spec?.group ?? '',
        kind: item.spec?.names?.kind ?? '',
        names: [item.spec?.names?.plural, item.spec?.names?.singular, ...(item.spec?.names?.shortNames ?? [])].filter((name): name is string => !!name).map((name) => name.toLowerCase()),
        clusterScoped: item.spec?.scope === 'Cluster',
      }));
      cache.set(cluster, { at: now(), resources });
      return resources;
    } catch {
      return undefined;
    }
  }

  /** The resource types and manifest kinds of the call that the built-in tables do not place. */
  function unplaced(args: Record<string, unknown>): { types: string[]; kinds: Array<{ kind: string; apiVersion?: string }> } {
    const types: string[] = [];
    for (const key of ['resource_type', 'resource', 'kind']) {
      const value = args[key];
      if (typeof value !== 'string') continue;
      const type = value.trim().toLowerCase();
      if (!type || builtInNamespaced.has(type) || isClusterScopedResource(type)) continue;
      // a type of a built-in group ("deployments.apps", "pods.metrics.k8s.io"): the built-in table places it
      if (/\.(apps|batch|autoscaling|policy|[a-z0-9.-]*k8s\.io)$/.test(type)) continue;
      types.push(type);
    }
    const kinds: Array<{ kind: string; apiVersion?: string }> = [];
    for (const key of ['content', 'manifest', 'yaml']) {
      const text = args[key];
      if (typeof text !== 'string') continue;
      for (const object of manifestObjects(text)) {
        // a core or well-known built-in group: placed by the built-in table (namespaced when not listed there)
        if (!object.kind || !isCustomKind(object.kind, object.apiVersion)) continue;
        kinds.push({ kind: object.kind, ...(object.apiVersion ? { apiVersion: object.apiVersion } : {}) });
      }
    }
    return { types, kinds };
  }

  const kindIsCluster = (resources: CustomResource[], { kind, apiVersion }: { kind: string; apiVersion?: string }) => {
    const group = apiVersion?.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : undefined;
    return resources.some((resource) => resource.clusterScoped && resource.kind === kind && (group === undefined || resource.group === group));
  };

  return {
    async clusterScopedKinds(cluster, kinds) {
      const custom = kinds.map((entry) => isCustomKind(entry.kind, entry.apiVersion));
      if (!custom.some(Boolean)) return kinds.map((entry) => isClusterScopedKind(entry.kind, entry.apiVersion));
      const resources = await definitions(cluster);
      if (!resources) return 'unknown';
      return kinds.map((entry, index) => (custom[index] ? kindIsCluster(resources, entry) : isClusterScopedKind(entry.kind, entry.apiVersion)));
    },
    async outsideNamespaces(cluster, args) {
      const { types, kinds } = unplaced(args);
      if (types.length === 0 && kinds.length === 0) return false;
      const resources = await definitions(cluster);
      if (!resources) return 'unknown';
      const typeIsCluster = (type: string) => {
        const [name, ...group] = type.split('.');
        return resources.some((resource) => resource.clusterScoped && resource.names.includes(name!) && (group.length === 0 || resource.group === group.join('.')));
      };
      return types.some(typeIsCluster) || kinds.some((kind) => kindIsCluster(resources, kind));
    },
  };
}
