/**
 * Completion values (`completion/complete`) read from the clusters this server acts on: cluster names, the
 * namespaces of a cluster and the workloads of a namespace, for the prompts' and the resource template's arguments.
 * An IDE asks on every keystroke, so each list is read once and kept for a few seconds, each request is short, and
 * a cluster that cannot be read completes nothing rather than failing the request.
 *
 * Who sees what: exactly what the caller could already list with k8s_get (the prompts and resources offer these only
 * when k8s_get is in this server's catalogue), read with the server's own identity, the one read-only tools use.
 */
import { clusterRegistryOf, depsForContext } from '../kube/context-deps.ts';
import { kubeClientsFor } from '../kube/kube-clients.ts';
import type { ToolDeps } from '../deps/deps.ts';

/** The spec's limit on values in one completion result (the SDK cuts there too). */
const maxValues = 100;
const cacheMs = 5000;
const requestTimeoutMs = 3000;

export type WorkloadKind = 'pods' | 'deployments' | 'statefulsets' | 'daemonsets' | 'cronjobs' | 'rollouts';

const workloadPaths: Record<WorkloadKind, (namespace: string) => string> = {
  pods: (namespace) => `/api/v1/namespaces/${namespace}/pods`,
  deployments: (namespace) => `/apis/apps/v1/namespaces/${namespace}/deployments`,
  statefulsets: (namespace) => `/apis/apps/v1/namespaces/${namespace}/statefulsets`,
  daemonsets: (namespace) => `/apis/apps/v1/namespaces/${namespace}/daemonsets`,
  cronjobs: (namespace) => `/apis/batch/v1/namespaces/${namespace}/cronjobs`,
  // Argo Rollouts: a cluster without the CRD answers 404, which completes nothing
  rollouts: (namespace) => `/apis/argoproj.io/v1alpha1/namespaces/${namespace}/rollouts`,
};

/** A Kubernetes object name as a path segment (RFC 1123 subdomain): anything else is never sent to the API. */
const objectName = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export interface ClusterCompletions {
  clusters(value: string): string[];
  /** the namespaces of `cluster` (the current context when omitted) */
  namespaces(value: string, cluster?: string): Promise<string[]>;
  /** the names of the workloads of these kinds in `namespace` (the context's default namespace when omitted) */
  workloads(value: string, kinds: WorkloadKind[], where: { cluster?: string; namespace?: string }): Promise<string[]>;
}

/** Names that start with what was typed first, then the ones that contain it; at most the spec's hundred. */
export function rankCompletions(names: Iterable<string>, value: string): string[] {
  const typed = value.toLowerCase();
  const unique = [...new Set(names)].sort();
  const starting = unique.filter((name) => name.toLowerCase().startsWith(typed));
  const containing = typed ? unique.filter((name) => !name.toLowerCase().startsWith(typed) && name.toLowerCase().includes(typed)) : [];
  return [...starting, ...containing].slice(0, maxValues);
}

export function createClusterCompletions(deps: ToolDeps): ClusterCompletions {
  const cache = new Map<string, { expires: number; names: Promise<string[]> }>();

  /** the object names at `path` of `cluster`; [] when the cluster, the path or the identity's rights say no */
  function namesAt(cluster: string | undefined, path: string): Promise<string[]> {
    const key = `${cluster ?? ''}\n${path}`;
    const now = Date.now();
    const cached = cache.get(key);
    if (cached && cached.expires > now) return cached.names;
    if (cache.size > 200) cache.clear();
    const names = (async () => {
      try {
        const { http } = kubeClientsFor(depsForContext(deps, cluster).kubeConfig);
        const list = await http.json<{ items?: Array<{ metadata?: { name?: string } }> }>({ path, query: { limit: 500 }, timeoutMs: requestTimeoutMs });
        return (list.items ?? []).map((item) => item.metadata?.name ?? '').filter(Boolean);
      } catch {
        return [];
      }
    })();
    cache.set(key, { expires: now + cacheMs, names });
    return names;
  }

  function defaultNamespace(cluster: string | undefined): string | undefined {
    try {
      return kubeClientsFor(depsForContext(deps, cluster).kubeConfig).defaultNamespace;
    } catch {
      return undefined;
    }
  }

  return {
    clusters: (value) => rankCompletions(clusterRegistryOf(deps).clusters().filter((cluster) => !cluster.problem).map((cluster) => cluster.name), value),
    namespaces: async (value, cluster) => rankCompletions(await namesAt(cluster || undefined, '/api/v1/namespaces'), value),
    async workloads(value, kinds, where) {
      const namespace = where.namespace || defaultNamespace(where.cluster || undefined);
      if (!namespace || !objectName.test(namespace)) return [];
      const lists = await Promise.all(kinds.map((kind) => namesAt(where.cluster || undefined, workloadPaths[kind](namespace))));
      return rankCompletions(lists.flat(), value);
    },
  };
}
