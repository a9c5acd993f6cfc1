import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject, SimUser } from '../cluster-types.ts';
import type { Authorizer } from '../auth/rbac-authorizer.ts';
import type { ValidatingAdmission } from '../admission/validating-webhooks.ts';
import { notFound } from '../errors/api-errors.ts';
import { convertToVersion } from '../resources/version-conversion.ts';
import type { SimClusterInternals } from '../cluster.ts';
import type { ResourceRequestPath } from './resource-path.ts';

/** Everything a resource handler needs about one request. */
export interface ResourceRequest {
  cluster: SimClusterInternals;
  authorizer: Authorizer;
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
  user: SimUser;
  path: ResourceRequestPath;
  /** raw request body text (writes only) */
  bodyText: string;
  /** validating admission (webhooks) run before a write is stored; absent means none configured */
  admit?: ValidatingAdmission;
  /** open watch streams register here so the server can end them on close */
  trackStream(end: () => void): () => void;
}

export function groupVersion(path: Pick<ResourceRequestPath, 'group' | 'version'>): string {
  return path.group ? `${path.group}/${path.version}` : path.version;
}

/** Shows a stored object through the requested version (stored objects keep the version they were written in). */
export function asRequestedVersion(object: KubeObject, path: Pick<ResourceRequestPath, 'group' | 'version'>): KubeObject {
  const apiVersion = groupVersion(path);
  return object.apiVersion === apiVersion ? object : convertToVersion(object, apiVersion);
}

export function isDryRun(url: URL, body?: { dryRun?: string[] }): boolean {
  return url.searchParams.getAll('dryRun').includes('All') || (Array.isArray(body?.dryRun) && body.dryRun.includes('All'));
}

export function wantsTable(request: IncomingMessage): boolean {
  return /as=Table/.test(String(request.headers.accept ?? ''));
}

/** The object the request names, as it is now (a copy), or the API's 404. */
export function existingOrNotFound(context: ResourceRequest): KubeObject {
  const { resource, namespace, name } = context.path;
  const existing = context.cluster.store.get(resource, namespace, name!);
  if (!existing) throw notFound(resource, name!);
  return existing;
}
