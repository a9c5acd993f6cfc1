import type { CustomApiGroup, ResourceType } from '../cluster-types.ts';
import type { SimResourceRegistry } from '../resources/resource-registry.ts';

/** What discovery needs: the registry's groups plus custom groups such as metrics.k8s.io. */
export interface DiscoverySource {
  registry: SimResourceRegistry;
  apiGroups(): CustomApiGroup[];
}

const subresourceVerbs: Record<string, string[]> = {
  status: ['get', 'patch', 'update'],
  scale: ['get', 'patch', 'update'],
  log: ['get'],
  exec: ['create', 'get'],
  attach: ['create', 'get'],
  portforward: ['create', 'get'],
  eviction: ['create'],
  binding: ['create'],
  proxy: ['create', 'delete', 'get', 'patch', 'update'],
  token: ['create'],
  finalize: ['update'],
  ephemeralcontainers: ['get', 'patch', 'update'],
};

function subresourceKind(resource: ResourceType, subresource: string): { group: string; version: string; kind: string } {
  if (subresource === 'scale') return { group: 'autoscaling', version: 'v1', kind: 'Scale' };
  if (subresource === 'eviction') return { group: 'policy', version: 'v1', kind: 'Eviction' };
  if (subresource === 'token') return { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' };
  if (subresource === 'binding') return { group: '', version: 'v1', kind: 'Binding' };
  if (['log', 'exec', 'attach', 'portforward', 'proxy'].includes(subresource)) return { group: '', version: 'v1', kind: subresource === 'log' ? 'Pod' : `${resource.kind}${subresource[0].toUpperCase()}${subresource.slice(1)}Options` };
  return { group: resource.group, version: resource.version, kind: resource.kind };
}

function groupVersionString(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** Groups and versions in discovery order: the registry's, then custom API groups. */
function allGroups(source: DiscoverySource): Array<{ group: string; versions: string[] }> {
  const groups = source.registry.groups().map((entry) => ({ group: entry.group, versions: [...entry.versions] }));
  for (const custom of source.apiGroups()) {
    const existing = groups.find((entry) => entry.group === custom.group);
    if (existing) {
      if (!existing.versions.includes(custom.version)) existing.versions.push(custom.version);
    } else groups.push({ group: custom.group, versions: [custom.version] });
  }
  return groups;
}

function resourcesAt(source: DiscoverySource, group: string, version: string): ResourceType[] {
  const custom = source.apiGroups().filter((entry) => entry.group === group && entry.version === version).flatMap((entry) => entry.resources);
  return [...source.registry.resourcesOf(group, version), ...custom];
}

export function apiVersions(serverAddress: string) {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

export function apiGroupList(source: DiscoverySource) {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: allGroups(source)
      .filter((entry) => entry.group !== '')
      .map((entry) => ({
        name: entry.group,
        versions: entry.versions.map((version) => ({ groupVersion: `${entry.group}/${version}`, version })),
        preferredVersion: { groupVersion: `${entry.group}/${entry.versions[0]}`, version: entry.versions[0] },
      })),
  };
}

export function apiGroup(source: DiscoverySource, group: string) {
  const entry = allGroups(source).find((candidate) => candidate.group === group);
  if (!entry) return undefined;
  return {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name: group,
    versions: entry.versions.map((version) => ({ groupVersion: `${group}/${version}`, version })),
    preferredVersion: { groupVersion: `${group}/${entry.versions[0]}`, version: entry.versions[0] },
  };
}

/** Legacy APIResourceList for /api/v1 or /apis/<group>/<version>; undefined when not served. */
export function apiResourceList(source: DiscoverySource, group: string, version: string) {
  const resources = resourcesAt(source, group, version);
  if (resources.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupVersionString(group, version),
    resources: resources.flatMap((resource) => [
      {
        name: resource.resource,
        singularName: resource.singular,
        namespaced: resource.namespaced,
        kind: resource.kind,
        verbs: resource.verbs,
        ...(resource.shortNames?.length ? { shortNames: resource.shortNames } : {}),
        ...(resource.categories?.length ? { categories: resource.categories } : {}),
      },
      ...resource.subresources.map((subresource) => {
        const kind = subresourceKind(resource, subresource);
        return {
          name: `${resource.resource}/${subresource}`,
          singularName: '',
          namespaced: resource.namespaced,
          ...(kind.group !== resource.group || kind.version !== resource.version ? { group: kind.group, version: kind.version } : {}),
          kind: kind.kind,
          verbs: subresourceVerbs[subresource] ?? ['get'],
        };
      }),
    ]),
  };
}

/**
 * Aggregated discovery (apidiscovery.k8s.io/v2 APIGroupDiscoveryList): one document for /api (core) or
 * /apis (every other group) so kubectl needs two requests instead of one per group version.
 */
export function aggregatedDiscovery(source: DiscoverySource, core: boolean, apiVersion: 'v2' | 'v2beta1') {
  const groups = allGroups(source).filter((entry) => (entry.group === '') === core);
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${apiVersion}`,
    metadata: {},
    items: groups.map((entry) => ({
      metadata: { name: entry.group, creationTimestamp: null },
      versions: entry.versions.map((version) => ({
        version,
        freshness: 'Current',
        resources: resourcesAt(source, entry.group, version).map((resource) => ({
          resource: resource.resource,
          responseKind: { group: resource.group, version: resource.version, kind: resource.kind },
          scope: resource.namespaced ? 'Namespaced' : 'Cluster',
          singularResource: resource.singular,
          verbs: resource.verbs,
          ...(resource.shortNames?.length ? { shortNames: resource.shortNames } : {}),
          ...(resource.categories?.length ? { categories: resource.categories } : {}),
          ...(resource.subresources.length
            ? {
                subresources: resource.subresources.map((subresource) => ({
                  subresource,
                  responseKind: subresourceKind(resource, subresource),
                  verbs: subresourceVerbs[subresource] ?? ['get'],
                })),
              }
            : {}),
        })),
      })),
    })),
  };
}
