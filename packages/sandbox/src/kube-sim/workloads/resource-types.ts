import type { ResourceRegistry, ResourceType } from '../cluster-types.ts';

/** Looks up served resource types by group and plural at call time, so CRDs registered later are found. */
export interface ResourceTypes {
  get(group: string, resource: string): ResourceType;
  find(group: string, resource: string): ResourceType | undefined;
  pods(): ResourceType;
  nodes(): ResourceType;
}

export function createResourceTypes(registry: ResourceRegistry): ResourceTypes {
  const find = (group: string, resource: string) => registry.byResource(group, resource);
  const get = (group: string, resource: string) => {
    const type = find(group, resource);
    if (!type) {
      throw new Error(`kube-sim workloads need the resource ${resource}${group ? `.${group}` : ''}, but the API server does not serve it`);
    }
    return type;
  };
  return { get, find, pods: () => get('', 'pods'), nodes: () => get('', 'nodes') };
}
