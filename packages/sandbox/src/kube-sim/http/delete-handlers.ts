/** DELETE of one object or of a collection: options, preconditions, propagation to dependents, admission. */
import { ApiError, type KubeObject, type ResourceType } from '../cluster-types.ts';
import { badRequest, notFound } from '../errors/api-errors.ts';
import { isPlainObject } from '../util/json-values.ts';
import { selectObjects, sendObject } from './read-handlers.ts';
import { parseBody } from './request-body.ts';
import { groupVersion, isDryRun, type ResourceRequest } from './request-context.ts';
import { sendJson } from './respond.ts';

interface DeleteOptions {
  propagationPolicy?: string;
  dryRun?: string[];
  preconditions?: { uid?: string; resourceVersion?: string };
  orphanDependents?: boolean;
  gracePeriodSeconds?: number;
}

function deleteOptions(context: ResourceRequest): DeleteOptions {
  const body = context.bodyText.trim() ? parseBody(context.bodyText, 'application/json') : undefined;
  const options: DeleteOptions = isPlainObject(body) ? (body as DeleteOptions) : {};
  const policy = context.url.searchParams.get('propagationPolicy');
  if (policy) options.propagationPolicy = policy;
  const grace = context.url.searchParams.get('gracePeriodSeconds');
  if (grace !== null) options.gracePeriodSeconds = grace.trim() === '' ? Number.NaN : Number(grace);
  if (options.gracePeriodSeconds !== undefined && options.gracePeriodSeconds !== null && !Number.isInteger(options.gracePeriodSeconds)) {
    throw badRequest(`DeleteOptions.meta.k8s.io "" is invalid: gracePeriodSeconds: Invalid value: ${JSON.stringify(String(grace ?? options.gracePeriodSeconds))}: must be a whole number of seconds (0 deletes a pod at once)`);
  }
  if (options.gracePeriodSeconds === null) delete options.gracePeriodSeconds;
  if (options.orphanDependents === true && !options.propagationPolicy) options.propagationPolicy = 'Orphan';
  if (options.propagationPolicy && !['Orphan', 'Background', 'Foreground'].includes(options.propagationPolicy)) {
    throw badRequest(`DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${options.propagationPolicy}": supported values: "Foreground", "Background", "Orphan"`);
  }
  return options;
}

const undeletableNamespaces = new Set(['default', 'kube-system', 'kube-public']);

/** Deletes one object with the requested propagation; returns what the API answers with. */
function deleteOne(context: ResourceRequest, resource: ResourceType, namespace: string | undefined, name: string, options: DeleteOptions, dryRun: boolean): KubeObject {
  const { store } = context.cluster;
  const existing = store.get(resource, namespace, name);
  if (!existing) throw notFound(resource, name);
  if (resource.group === '' && resource.resource === 'namespaces' && undeletableNamespaces.has(name)) {
    throw new ApiError(403, 'Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`, { name, kind: 'namespaces' });
  }
  if (options.preconditions?.uid && options.preconditions.uid !== existing.metadata.uid) {
    throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${resource.resource} "${name}": Precondition failed: UID in precondition: ${options.preconditions.uid}, UID in object meta: ${existing.metadata.uid}`);
  }
  if (options.preconditions?.resourceVersion && options.preconditions.resourceVersion !== existing.metadata.resourceVersion) {
    throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${resource.resource} "${name}": Precondition failed: ResourceVersion in precondition: ${options.preconditions.resourceVersion}, ResourceVersion in object meta: ${existing.metadata.resourceVersion}`);
  }
  if (dryRun) return existing;
  const uid = existing.metadata.uid!;
  if (options.propagationPolicy === 'Orphan') {
    for (const dependent of store.dependentsOf(uid)) {
      store.mutate(dependent.resource, dependent.object.metadata.namespace, dependent.object.metadata.name!, (object) => {
        object.metadata.ownerReferences = (object.metadata.ownerReferences ?? []).filter((reference) => reference.uid !== uid);
        if (object.metadata.ownerReferences.length === 0) delete object.metadata.ownerReferences;
        return object;
      });
    }
  } else if (options.propagationPolicy === 'Foreground') {
    // Dependents go first (depth first), then the owner, as the foreground GC finalizer would arrange.
    for (const dependent of store.dependentsOf(uid)) {
      try {
        deleteOne(context, dependent.resource, dependent.object.metadata.namespace, dependent.object.metadata.name!, options, false);
      } catch {
        // already gone
      }
    }
  }
  return store.delete(resource, namespace, name, { gracePeriodSeconds: options.gracePeriodSeconds }).object;
}

export async function handleDelete(context: ResourceRequest): Promise<void> {
  const { resource, namespace, name } = context.path;
  const options = deleteOptions(context);
  const existing = context.cluster.store.get(resource, namespace, name!);
  if (existing) await context.admit?.({ operation: 'DELETE', resource, namespace, name: name!, oldObject: existing, dryRun: isDryRun(context.url, options), user: context.user });
  const object = deleteOne(context, resource, namespace, name!, options, isDryRun(context.url, options));
  sendObject(context, object);
}

export async function handleDeleteCollection(context: ResourceRequest): Promise<void> {
  const { resource } = context.path;
  const options = deleteOptions(context);
  const dryRun = isDryRun(context.url, options);
  const selected = [...selectObjects(context)];
  for (const object of selected) {
    await context.admit?.({ operation: 'DELETE', resource, namespace: object.metadata.namespace, name: object.metadata.name, oldObject: object, dryRun, user: context.user });
  }
  const deleted = selected.map((object) => deleteOne(context, resource, object.metadata.namespace, object.metadata.name!, options, dryRun));
  sendJson(context.response, 200, { kind: resource.listKind, apiVersion: groupVersion(context.path), metadata: { resourceVersion: context.cluster.store.currentResourceVersion() }, items: deleted });
}

