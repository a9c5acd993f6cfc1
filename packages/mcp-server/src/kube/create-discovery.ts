/**
 * Cached API discovery: turns what a user types ("po", "deploy", "deployments.apps", "Rollout") into
 * the group/version/resource the API serves. Cached for a few minutes and refreshed once on a miss, so
 * a CRD installed a moment ago is still found.
 */
import { ToolInputError } from '../errors.ts';
import type { KubeHttp } from './create-kube-http.ts';

export interface ResourceInfo {
  group: string;
  version: string;
  /** plural, e.g. deployments */
  resource: string;
  kind: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  verbs: string[];
}

export interface Discovery {
  resolve(resourceType: string): Promise<ResourceInfo>;
  all(): Promise<ResourceInfo[]>;
  invalidate(): void;
}

interface ApiResourceList {
  groupVersion: string;
  resources: Array<{ name: string; singularName?: string; kind: string; namespaced: boolean; shortNames?: string[]; verbs?: string[] }>;
}

export function createDiscovery(kubeHttp: KubeHttp, options: { ttlMs?: number; now?: () => number } = {}): Discovery {
  const ttlMs = options.ttlMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  let cache: { at: number; resources: Promise<ResourceInfo[]> } | undefined;

  async function load(): Promise<ResourceInfo[]> {
    const groupVersions = ['v1'];
    const groups = await kubeHttp.json<{ groups: Array<{ name: string; preferredVersion?: { groupVersion: string }; versions: Array<{ groupVersion: string }> }> }>({ path: '/apis' });
    for (const group of groups.groups ?? []) {
      const preferred = group.preferredVersion?.groupVersion ?? group.versions[0]?.groupVersion;
      if (preferred) groupVersions.push(preferred);
    }
    const lists = await Promise.all(
      groupVersions.map((groupVersion) =>
        kubeHttp.json<ApiResourceList>({ path: groupVersion === 'v1' ? '/api/v1' : `/apis/${groupVersion}` }).catch(() => undefined),
      ),
    );
    const resources: ResourceInfo[] = [];
    for (const list of lists) {
      if (!list) continue;
      const [group, version] = list.groupVersion.includes('/') ? list.groupVersion.split('/') : ['', list.groupVersion];
      for (const resource of list.resources ?? []) {
        if (resource.name.includes('/')) continue; // subresources such as pods/log
        resources.push({
          group,
          version,
          resource: resource.name,
          kind: resource.kind,
          singular: resource.singularName || resource.kind.toLowerCase(),
          namespaced: resource.namespaced,
          shortNames: resource.shortNames ?? [],
          verbs: resource.verbs ?? [],
        });
      }
    }
    return resources;
  }

  function current(): Promise<ResourceInfo[]> {
    if (!cache || now() - cache.at > ttlMs) {
      const resources = load();
      cache = { at: now(), resources };
      resources.catch(() => {
        cache = undefined;
      });
    }
    return cache.resources;
  }

  function find(resources: ResourceInfo[], resourceType: string): ResourceInfo | undefined {
    const wanted = resourceType.trim();
    const lower = wanted.toLowerCase();
    const dot = lower.indexOf('.');
    const name = dot >= 0 ? lower.slice(0, dot) : lower;
    const group = dot >= 0 ? lower.slice(dot + 1).replace(/\/.*$/, '') : undefined;
    const matches = resources.filter(
      (info) =>
        (group === undefined || info.group === group || `${info.version}.${info.group}` === group) &&
        (info.resource === name || info.singular === name || info.kind.toLowerCase() === name || info.shortNames.includes(name)),
    );
    // Prefer the core group and the built-in groups when names clash (events vs events.k8s.io).
    const rank = (info: ResourceInfo): number => (info.group === '' ? 0 : info.group.includes('.') && !info.group.endsWith('k8s.io') ? 2 : 1);
    return matches.sort((a, b) => rank(a) - rank(b))[0];
  }

  return {
    async resolve(resourceType) {
      let resources = await current();
      let info = find(resources, resourceType);
      if (!info) {
        cache = undefined;
        resources = await current();
        info = find(resources, resourceType);
      }
      if (!info) {
        throw new ToolInputError(`Unknown resource type "${resourceType}": the cluster does not serve it.`, {
          hint: 'use a plural name such as pods, deployments, services, or a short name such as po/deploy/svc; for CRDs use <plural>.<group>',
          code: 'NOT_FOUND',
        });
      }
      return info;
    },
    all: current,
    invalidate() {
      cache = undefined;
    },
  };
}

/** The REST path of a resource collection or object. */
export function resourcePath(info: ResourceInfo, options: { namespace?: string; name?: string; subresource?: string } = {}): string {
  const prefix = info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
  const namespacePart = info.namespaced && options.namespace ? `/namespaces/${encodeURIComponent(options.namespace)}` : '';
  const namePart = options.name ? `/${encodeURIComponent(options.name)}` : '';
  const subresourcePart = options.name && options.subresource ? `/${options.subresource}` : '';
  return `${prefix}${namespacePart}/${info.resource}${namePart}${subresourcePart}`;
}

export function apiVersionOf(info: ResourceInfo): string {
  return info.group === '' ? info.version : `${info.group}/${info.version}`;
}
