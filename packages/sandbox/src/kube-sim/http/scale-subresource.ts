import fastJsonPatch from 'fast-json-patch';
import { ApiError, type KubeObject } from '../cluster-types.ts';
import { badRequest, conflict, notFound, unsupportedMediaType } from '../errors/api-errors.ts';
import { applyMergePatch } from '../patch/merge-patch.ts';
import { applyStrategicMergePatch } from '../patch/strategic-merge-patch.ts';
import { formatStructuredSelector } from '../selectors/label-selector.ts';
import { evaluateJsonPath } from '../tables/simple-json-path.ts';
import { clone, isPlainObject } from '../util/json-values.ts';
import { crdVersionFor } from './read-handlers.ts';
import { parseBody } from './request-body.ts';
import { existingOrNotFound, type ResourceRequest } from './request-context.ts';
import { sendJson } from './respond.ts';
import { retryUnconditionalWrite } from './unconditional-writes.ts';

interface ScalePaths {
  spec: string;
  status: string;
  selector?: string;
}

const builtinScale: ScalePaths = { spec: '.spec.replicas', status: '.status.replicas' };

function scalePaths(context: ResourceRequest): ScalePaths | undefined {
  const { resource } = context.path;
  if (!resource.subresources.includes('scale')) return undefined;
  const crdScale = crdVersionFor(context)?.subresources?.scale;
  if (crdScale) return { spec: crdScale.specReplicasPath, status: crdScale.statusReplicasPath, selector: crdScale.labelSelectorPath };
  return builtinScale;
}

function setPath(object: KubeObject, path: string, value: unknown): void {
  const parts = path.replace(/^\./, '').split('.');
  let current: any = object;
  for (const part of parts.slice(0, -1)) {
    if (!isPlainObject(current[part])) current[part] = {};
    current = current[part];
  }
  current[parts[parts.length - 1]] = value;
}

function toScale(object: KubeObject, paths: ScalePaths) {
  const selector = paths.selector ? evaluateJsonPath(object, paths.selector)[0] : formatStructuredSelector(object.spec?.selector);
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: object.metadata.name,
      namespace: object.metadata.namespace,
      uid: object.metadata.uid,
      resourceVersion: object.metadata.resourceVersion,
      creationTimestamp: object.metadata.creationTimestamp,
    },
    spec: { replicas: Number(evaluateJsonPath(object, paths.spec)[0] ?? 0) },
    status: { replicas: Number(evaluateJsonPath(object, paths.status)[0] ?? 0), ...(selector && selector !== '<none>' ? { selector } : {}) },
  };
}

/** The autoscaling/v1 Scale subresource (GET, PUT, PATCH) of deployments, replica sets, stateful sets and CRDs declaring one. */
export async function handleScale(context: ResourceRequest): Promise<void> {
  const { resource, name } = context.path;
  const paths = scalePaths(context);
  if (!paths) throw notFound(resource, name!);
  const existing = existingOrNotFound(context);
  const method = context.request.method;
  if (method === 'GET') {
    sendJson(context.response, 200, toScale(existing, paths));
    return;
  }
  if (method !== 'PUT' && method !== 'PATCH') throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
  const contentType = String(context.request.headers['content-type'] ?? '').split(';')[0].trim();
  const body = parseBody(context.bodyText, method === 'PATCH' && contentType.includes('yaml') ? 'yaml' : 'json');
  const updated = await retryUnconditionalWrite(context, existing, namesResourceVersion(body), (current) => scaleOnce(context, current, paths, method, contentType, clone(body)));
  sendJson(context.response, 200, toScale(updated, paths));
}

/** The Scale (or the patch of one) sets a resourceVersion: a precondition, refused when the object has moved on. */
function namesResourceVersion(body: unknown): boolean {
  if (Array.isArray(body)) return body.some((operation) => isPlainObject(operation) && operation.path === '/metadata/resourceVersion');
  return isPlainObject(body) && isPlainObject(body.metadata) && body.metadata.resourceVersion !== undefined;
}

/** One attempt of a scale, on the object as it is now; what it stored (the object itself on a dry run). */
async function scaleOnce(context: ResourceRequest, existing: KubeObject, paths: ScalePaths, method: 'PUT' | 'PATCH', contentType: string, body: unknown): Promise<KubeObject> {
  const { resource, namespace, name } = context.path;
  const { store } = context.cluster;
  const current = toScale(existing, paths);
  let desired: any;
  if (method === 'PUT') {
    desired = body;
  } else {
    if (contentType === 'application/merge-patch+json') desired = applyMergePatch(current, body);
    else if (contentType === 'application/strategic-merge-patch+json' || contentType === 'application/apply-patch+yaml') desired = applyStrategicMergePatch(current, body);
    else if (contentType === 'application/json-patch+json') {
      try {
        desired = fastJsonPatch.applyPatch(clone(current), body as any, true, false).newDocument;
      } catch (error) {
        throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      }
    } else throw unsupportedMediaType(contentType);
  }
  const replicas = desired?.spec?.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw new ApiError(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`, {
      name,
      group: 'autoscaling',
      kind: 'Scale',
      causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`, field: 'spec.replicas' }],
    });
  }
  const requestedVersion = desired?.metadata?.resourceVersion;
  if (requestedVersion && requestedVersion !== existing.metadata.resourceVersion) throw conflict(resource, name!);
  if (!isPlainObject(desired)) throw badRequest('invalid Scale object');
  const dryRun = context.url.searchParams.getAll('dryRun').includes('All');
  // Webhooks see the write as the real server sends it: an UPDATE of <resource>/scale whose objects are Scales.
  await context.admit?.({
    operation: 'UPDATE',
    resource,
    subresource: 'scale',
    kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
    namespace,
    name,
    object: { ...current, spec: { replicas } } as KubeObject,
    oldObject: current as KubeObject,
    dryRun,
    user: context.user,
  });
  setPath(existing, paths.spec, replicas);
  return dryRun ? existing : store.update(resource, existing);
}
