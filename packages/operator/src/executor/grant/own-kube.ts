/**
 * The cluster as the executor sees it with its own identity (issue 73): discovery, the reads a grant is computed from,
 * and server-side dry-runs (forced `dryRun=All`; the admission webhook refuses any real write of the executor outside
 * its bookkeeping). Nothing here comes from the MCP server: what a call may write is computed from this view alone.
 */
import { findResource, resourcePath, resourcesOf, type ApiResourceList, type KubeObject, type ResourceInfo } from '@skyflo/protocol';
import { isNotFound, KubeRequestError, type KubeRest } from '../../kube/kube-rest.ts';
import { ExecutorError } from '../executor-options.ts';

export type { ResourceInfo } from '@skyflo/protocol';

export interface OwnKube {
  /** The resource a call's `resource_type` (or a manifest's kind.group) names; UNSUPPORTED when the cluster serves none. */
  resolve(resourceType: string): Promise<ResourceInfo>;
  get(path: string): Promise<KubeObject | undefined>;
  list(path: string, query?: Record<string, string>): Promise<KubeObject[]>;
  /** A server-side dry-run of the write the call will send: the object the API server would store. */
  dryRun(method: 'POST' | 'PATCH' | 'PUT', path: string, body: unknown, options?: { contentType?: string; query?: Record<string, string | boolean> }): Promise<KubeObject>;
  path: typeof resourcePath;
}

const discoveryTtlMs = 60_000;

/**
 * `allowedNamespaces`: a namespace-limited executor computes nothing outside them — a call that writes elsewhere is
 * refused before any request (NOT_APPROVED, naming the namespace), and the namespaces themselves are taken as existing
 * (such an install creates them; it may not read cluster-scoped objects).
 */
export function createOwnKube(kube: KubeRest, options: { allowedNamespaces?: string[] | undefined; now?: () => number } = {}): OwnKube {
  const now = options.now ?? Date.now;
  const allowed = options.allowedNamespaces;
  let cached: { at: number; resources: Promise<ResourceInfo[]> } | undefined;

  async function load(): Promise<ResourceInfo[]> {
    const groups = await kube.request<{ groups?: Array<{ preferredVersion?: { groupVersion: string }; versions: Array<{ groupVersion: string }> }> }>('GET', '/apis');
    const groupVersions = ['v1', ...(groups.groups ?? []).map((group) => group.preferredVersion?.groupVersion ?? group.versions[0]?.groupVersion).filter((value): value is string => !!value)];
    const lists = await Promise.all(groupVersions.map((groupVersion) => kube.request<ApiResourceList>('GET', groupVersion === 'v1' ? '/api/v1' : `/apis/${groupVersion}`).catch(() => undefined)));
    return resourcesOf(lists);
  }

  function resources(fresh = false): Promise<ResourceInfo[]> {
    if (fresh || !cached || now() - cached.at > discoveryTtlMs) {
      const loading = load();
      cached = { at: now(), resources: loading };
      loading.catch(() => (cached = undefined));
    }
    return cached.resources;
  }

  /** Refuses a request outside a namespace-limited executor's namespaces; a Namespace object counts as its own namespace. */
  function inScope(path: string): void {
    if (!allowed) return;
    const namespace = /\/namespaces\/([^/?]+)/.exec(path)?.[1];
    const where = namespace ? decodeURIComponent(namespace) : undefined;
    if (where && allowed.includes(where)) return;
    throw new ExecutorError('NOT_APPROVED', `this executor may grant access only in namespace(s) ${allowed.join(', ')}; the approved call writes ${where ? `in namespace "${where}"` : 'cluster-scoped objects'}, outside them, so nothing is minted`);
  }

  const withQuery = (path: string, query: Record<string, string | boolean> = {}) => {
    const search = new URLSearchParams(Object.entries(query).map(([key, value]) => [key, String(value)])).toString();
    return search ? `${path}?${search}` : path;
  };

  return {
    async resolve(resourceType) {
      const found = findResource(await resources(), resourceType) ?? findResource(await resources(true), resourceType);
      if (!found) throw new ExecutorError('UNSUPPORTED', `the cluster serves no resource type "${resourceType}", so the executor cannot tell what the call writes`);
      return found;
    },
    async get(path) {
      inScope(path);
      if (allowed && /^\/api\/v1\/namespaces\/[^/]+$/.test(path)) return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: decodeURIComponent(path.split('/').pop()!) } };
      try {
        return await kube.request<KubeObject>('GET', path);
      } catch (error) {
        if (isNotFound(error)) return undefined;
        // a kind the executor may not read (a Secret a chart updates): the dry-run of an empty patch shows it to the
        // executor alone — it holds that power for previews anyway, and nothing read here leaves the process
        if (error instanceof KubeRequestError && error.status === 403) {
          try {
            return await kube.request<KubeObject>('PATCH', `${path}?dryRun=All`, {}, 'application/merge-patch+json');
          } catch (fallback) {
            if (isNotFound(fallback)) return undefined;
            throw fallback;
          }
        }
        throw error;
      }
    },
    async list(path, query) {
      inScope(path);
      const list = await kube.request<{ items?: KubeObject[] }>('GET', withQuery(path, query));
      return list.items ?? [];
    },
    async dryRun(method, path, body, options = {}) {
      inScope(path);
      // dryRun last: nothing a caller put in the query can turn this into a write
      return kube.request<KubeObject>(method, withQuery(path, { ...options.query, dryRun: 'All' }), body, options.contentType ?? 'application/json');
    },
    path: resourcePath,
  };
}
