import type { CustomApiGroup, ResourceType } from '../cluster-types.ts';
import { ApiError } from '../cluster-types.ts';
import type { SimResourceRegistry } from '../resources/resource-registry.ts';

export interface ResourceRequestPath {
  group: string;
  version: string;
  resource: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export type ParsedPath =
  | { type: 'resource'; path: ResourceRequestPath }
  | { type: 'custom'; group: CustomApiGroup; rest: string[] }
  | { type: 'unknown' };

/**
 * Splits `/api/v1/namespaces/ns/pods/name/log` or `/apis/apps/v1/deployments` into its parts. A
 * `namespaces/<ns>/<x>` prefix only scopes the request when `<x>` is a namespaced resource of that group
 * version; otherwise it is the namespaces resource itself (`/api/v1/namespaces/ns/status`).
 */
export function parseResourcePath(segments: string[], registry: SimResourceRegistry, customGroups: CustomApiGroup[]): ParsedPath {
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api' && segments.length >= 3) {
    group = '';
    version = segments[1];
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    group = segments[1];
    version = segments[2];
    rest = segments.slice(3);
    const custom = customGroups.find((candidate) => candidate.group === group && candidate.version === version);
    if (custom && !registry.resourcesOf(group, version).length) return { type: 'custom', group: custom, rest };
  } else return { type: 'unknown' };

  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const scoped = registry.lookup(group, version, rest[2]);
    if (scoped?.namespaced) {
      namespace = decodeURIComponent(rest[1]);
      rest = rest.slice(2);
    }
  }
  const resource = registry.lookup(group, version, rest[0]);
  if (!resource || rest.length > 3) return { type: 'unknown' };
  if (namespace === undefined && rest.length >= 2 && resource.namespaced) {
    // GET /api/v1/pods/x is not a valid path: namespaced objects are addressed through their namespace.
    throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  }
  return {
    type: 'resource',
    path: {
      group,
      version,
      resource,
      namespace,
      name: rest[1] !== undefined ? decodeURIComponent(rest[1]) : undefined,
      subresource: rest[2],
    },
  };
}
