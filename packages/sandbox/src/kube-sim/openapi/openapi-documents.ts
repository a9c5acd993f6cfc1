import { createHash } from 'node:crypto';
import type { SimResourceRegistry } from '../resources/resource-registry.ts';

function groupVersionPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32).toUpperCase();
}

/**
 * The minimal OpenAPI v3 document for a group version: one PATCH operation per resource path carrying
 * `x-kubernetes-group-version-kind` and a `fieldValidation` parameter. That is what kubectl looks for to
 * decide the server validates fields itself (it then skips client-side schema validation).
 */
export function groupVersionDocument(registry: SimResourceRegistry, group: string, version: string) {
  const resources = registry.resourcesOf(group, version);
  if (resources.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  const prefix = `/${groupVersionPath(group, version)}`;
  for (const resource of resources) {
    const gvk = { group: resource.group, version: resource.version, kind: resource.kind };
    const operation = (verb: string) => ({
      operationId: `${verb}${resource.kind}`,
      'x-kubernetes-action': verb,
      'x-kubernetes-group-version-kind': gvk,
      parameters: [
        { name: 'dryRun', in: 'query', schema: { type: 'string', uniqueItems: true } },
        { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
        { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
      ],
      responses: { '200': { description: 'OK' } },
    });
    const itemPath = resource.namespaced ? `${prefix}/namespaces/{namespace}/${resource.resource}/{name}` : `${prefix}/${resource.resource}/{name}`;
    const collectionPath = resource.namespaced ? `${prefix}/namespaces/{namespace}/${resource.resource}` : `${prefix}/${resource.resource}`;
    paths[collectionPath] = { post: operation('post') };
    paths[itemPath] = { patch: operation('patch'), put: operation('put') };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.3' },
    paths,
    components: { schemas: {} },
  };
}

/** The /openapi/v3 root: one entry per served group version, each with a content hash. */
export function openapiRoot(registry: SimResourceRegistry) {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const { group, versions } of registry.groups()) {
    for (const version of versions) {
      const document = groupVersionDocument(registry, group, version);
      const path = groupVersionPath(group, version);
      paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hashOf(document)}` };
    }
  }
  return { paths };
}

