/**
 * What a resource type a user (or a tool call's `resource_type`) names means: "po", "deploy", "deployments.apps",
 * "Rollout" → the group/version/resource the API serves. Written once, pure: the MCP server resolves a call's
 * arguments with it and the cluster's executor (issue 73) resolves the same arguments with it to compute what the call
 * may write — the same words must name the same objects on both sides. Each side loads discovery its own way.
 */

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

/** One /api/v1 or /apis/<group>/<version> discovery document, as the API server serves it. */
export interface ApiResourceList {
  groupVersion: string;
  resources: Array<{ name: string; singularName?: string; kind: string; namespaced: boolean; shortNames?: string[]; verbs?: string[] }>;
}

/** The resources of discovery documents (subresources such as pods/log left out). */
export function resourcesOf(lists: Array<ApiResourceList | undefined>): ResourceInfo[] {
  const resources: ResourceInfo[] = [];
  for (const list of lists) {
    if (!list) continue;
    const [group, version] = list.groupVersion.includes('/') ? (list.groupVersion.split('/') as [string, string]) : ['', list.groupVersion];
    for (const resource of list.resources ?? []) {
      if (resource.name.includes('/')) continue;
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

/**
 * The resource `resourceType` names, kubectl's way: plural, singular, kind or short name, optionally qualified by
 * `.group` or `.version.group`; the core group first, then Kubernetes' own groups, then the rest.
 */
export function findResource(resources: ResourceInfo[], resourceType: string): ResourceInfo | undefined {
  const lower = resourceType.trim().toLowerCase();
  const dot = lower.indexOf('.');
  const name = dot >= 0 ? lower.slice(0, dot) : lower;
  const group = dot >= 0 ? lower.slice(dot + 1).replace(/\/.*$/, '') : undefined;
  const matches = resources.filter(
    (info) =>
      (group === undefined || info.group === group || `${info.version}.${info.group}` === group) &&
      (info.resource === name || info.singular === name || info.kind.toLowerCase() === name || info.shortNames.includes(name)),
  );
  const rank = (info: ResourceInfo): number => (info.group === '' ? 0 : info.group.includes('.') && !info.group.endsWith('k8s.io') ? 2 : 1);
  return matches.sort((a, b) => rank(a) - rank(b))[0];
}

/** The REST path of a resource collection, an object, or one of its subresources. */
export function resourcePath(info: Pick<ResourceInfo, 'group' | 'version' | 'resource' | 'namespaced'>, options: { namespace?: string | undefined; name?: string | undefined; subresource?: string | undefined } = {}): string {
  const prefix = info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
  const namespacePart = info.namespaced && options.namespace ? `/namespaces/${encodeURIComponent(options.namespace)}` : '';
  const namePart = options.name ? `/${encodeURIComponent(options.name)}` : '';
  const subresourcePart = options.name && options.subresource ? `/${options.subresource}` : '';
  return `${prefix}${namespacePart}/${info.resource}${namePart}${subresourcePart}`;
}

export function apiVersionOf(info: Pick<ResourceInfo, 'group' | 'version'>): string {
  return info.group === '' ? info.version : `${info.group}/${info.version}`;
}
