import type { ResourceRegistry, ResourceType } from '../cluster-types.ts';

/** The registry plus the version-aware lookups the HTTP layer needs (a group may serve several versions). */
export interface SimResourceRegistry extends ResourceRegistry {
  /** the resource as served at one group/version, e.g. ('autoscaling', 'v1', 'horizontalpodautoscalers') */
  lookup(group: string, version: string, resource: string): ResourceType | undefined;
  /** every served group with its versions, preferred version first, core group first */
  groups(): Array<{ group: string; versions: string[] }>;
  /** resources served at group/version */
  resourcesOf(group: string, version: string): ResourceType[];
  /** registry changes (CRDs) invalidate discovery and openapi caches */
  generation(): number;
}

const key = (group: string, resource: string) => `${group}/${resource}`;

/**
 * In-memory registry. Each group/resource keeps its versions in registration order; the first one is the
 * preferred (storage) version returned by byResource/byKind.
 */
export function createResourceRegistry(initial: ResourceType[] = []): SimResourceRegistry {
  const versions = new Map<string, ResourceType[]>();
  const groupOrder: string[] = [];
  let generation = 0;

  const registry: SimResourceRegistry = {
    all() {
      return [...versions.values()].map((list) => list[0]);
    },
    byResource(group, resource) {
      return versions.get(key(group, resource))?.[0];
    },
    byKind(group, kind) {
      for (const list of versions.values()) {
        if (list[0].group === group && list[0].kind === kind) return list[0];
      }
      return undefined;
    },
    register(resource) {
      const list = versions.get(key(resource.group, resource.resource)) ?? [];
      const index = list.findIndex((existing) => existing.version === resource.version);
      if (index >= 0) list[index] = resource;
      else list.push(resource);
      versions.set(key(resource.group, resource.resource), list);
      if (!groupOrder.includes(resource.group)) groupOrder.push(resource.group);
      generation++;
    },
    unregister(group, resource) {
      versions.delete(key(group, resource));
      if (![...versions.values()].some((list) => list[0].group === group)) {
        groupOrder.splice(groupOrder.indexOf(group), 1);
      }
      generation++;
    },
    lookup(group, version, resource) {
      return versions.get(key(group, resource))?.find((candidate) => candidate.version === version);
    },
    groups() {
      return groupOrder.map((group) => {
        const groupVersions: string[] = [];
        for (const list of versions.values()) {
          for (const candidate of list) {
            if (candidate.group === group && !groupVersions.includes(candidate.version)) groupVersions.push(candidate.version);
          }
        }
        return { group, versions: groupVersions };
      });
    },
    resourcesOf(group, version) {
      const result: ResourceType[] = [];
      for (const list of versions.values()) {
        for (const candidate of list) {
          if (candidate.group === group && candidate.version === version) result.push(candidate);
        }
      }
      return result;
    },
    generation: () => generation,
  };
  for (const resource of initial) registry.register(resource);
  return registry;
}
