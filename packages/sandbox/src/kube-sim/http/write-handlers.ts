import { randomBytes } from 'node:crypto';
import fastJsonPatch from 'fast-json-patch';
import { ApiError, type KubeObject, type ResourceType } from '../cluster-types.ts';
import { crdProblems } from '../crds/crd-resources.ts';
import { validationRuleCauses } from '../crds/crd-validation-rules.ts';
import { pruneCustomResource } from '../crds/crd-pruning.ts';
import { webhookConfigurationProblems } from '../admission/validating-webhooks.ts';
import { bindingProblems, policyProblems } from '../admission/policies/policy-validation.ts';
import { checkRbacEscalation } from '../auth/rbac-escalation.ts';
import { badRequest, invalid, notFound, unsupportedMediaType, type FieldCause } from '../errors/api-errors.ts';
import { applyMergePatch } from '../patch/merge-patch.ts';
import { fieldsOf, managerFromUserAgent, recordManager, removeUnappliedFields, type FieldsTree, type ManagedFieldsEntry } from '../patch/managed-fields.ts';
import { applyConfiguration, applyStrategicMergePatch } from '../patch/strategic-merge-patch.ts';
import { applyDefaults, initialStatus } from '../resources/object-defaults.ts';
import { validateObject } from '../resources/object-validation.ts';
import { admitCreate, admitUpdate } from '../resources/storage-admission.ts';
import { toStorageVersion } from '../resources/version-conversion.ts';
import { checkAppliedFields, checkDecodedFields, checkPatchedFields, fieldValidationDirective, settleCustomFields } from './field-validation.ts';
import { clone, formatTimestamp, isPlainObject } from '../util/json-values.ts';
import { sendObject } from './read-handlers.ts';
import { parseBody } from './request-body.ts';
import { asRequestedVersion, existingOrNotFound, groupVersion, isDryRun, type ResourceRequest } from './request-context.ts';
import { retryUnconditionalWrite } from './unconditional-writes.ts';

function hasStatusSubresource(resource: ResourceType): boolean {
  return resource.subresources.includes('status');
}

function isCustomResource(context: ResourceRequest): boolean {
  const { resource } = context.path;
  const crds = context.cluster.registry.byResource('apiextensions.k8s.io', 'customresourcedefinitions')!;
  return !!context.cluster.store.getShared(crds, undefined, `${resource.resource}.${resource.group}`);
}

function decodeObject(context: ResourceRequest): KubeObject {
  const body = parseBody(context.bodyText, String(context.request.headers['content-type'] ?? 'application/json'));
  if (!isPlainObject(body)) throw badRequest('the request body must be a JSON object');
  const object = body as KubeObject;
  const { resource } = context.path;
  const expected = groupVersion(context.path);
  if (object.apiVersion && object.apiVersion !== expected && !(object.apiVersion.split('/')[0] === resource.group && resource.group)) {
    throw badRequest(`the API version in the data (${object.apiVersion}) does not match the expected API version (${expected})`);
  }
  if (object.kind && object.kind !== resource.kind) {
    throw badRequest(`${object.kind} in version "${context.path.version}" cannot be handled as a ${resource.kind}: the kind in the data does not match the expected kind ${resource.kind}`);
  }
  object.apiVersion = expected;
  object.kind = resource.kind;
  object.metadata = isPlainObject(object.metadata) ? object.metadata : {};
  return object;
}

function checkNamespace(context: ResourceRequest, object: KubeObject): void {
  const { resource, namespace } = context.path;
  if (!resource.namespaced) {
    delete object.metadata.namespace;
    return;
  }
  if (object.metadata.namespace && namespace && object.metadata.namespace !== namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  object.metadata.namespace = namespace;
}

function validate(context: ResourceRequest, object: KubeObject): void {
  const { resource } = context.path;
  const causes: FieldCause[] = validateObject(resource, object);
  if (resource.group === 'apiextensions.k8s.io' && resource.resource === 'customresourcedefinitions') causes.push(...crdProblems(object));
  if (resource.group === 'admissionregistration.k8s.io' && resource.resource === 'validatingwebhookconfigurations') causes.push(...webhookConfigurationProblems(object));
  if (resource.group === 'admissionregistration.k8s.io' && resource.resource === 'validatingadmissionpolicies') causes.push(...policyProblems(object));
  if (resource.group === 'admissionregistration.k8s.io' && resource.resource === 'validatingadmissionpolicybindings') causes.push(...bindingProblems(object));
  if (causes.length) throw invalid(resource, object.metadata.name ?? '', causes);
  if (resource.group === 'rbac.authorization.k8s.io') {
    checkRbacEscalation({ authorizer: context.authorizer, store: context.cluster.store, registry: context.cluster.registry, user: context.user, resource: resource.resource, object });
  }
}

/**
 * A custom resource against its CRD's schema: the fields it does not declare are dropped (crds/crd-pruning.ts, judged by
 * the request's field validation), then its x-kubernetes-validations run (transition rules only with an old object).
 */
function checkCustomResource(context: ResourceRequest, object: KubeObject, oldObject: KubeObject | undefined): void {
  const { resource } = context.path;
  const crds = context.cluster.registry.byResource('apiextensions.k8s.io', 'customresourcedefinitions')!;
  const crd = context.cluster.store.getShared(crds, undefined, `${resource.resource}.${resource.group}`);
  if (!crd) return;
  settleCustomFields(context, pruneCustomResource(crd, resource.version, object));
  const causes = validationRuleCauses(crd, resource.version, object, oldObject);
  if (causes.length) throw invalid(resource, object.metadata.name ?? '', causes);
}

function fieldManager(context: ResourceRequest): string {
  return context.url.searchParams.get('fieldManager') ?? managerFromUserAgent(context.request.headers['user-agent']);
}

/** The fields an Update touched, for its managedFields entry (metadata reduced to labels/annotations). */
function updateFields(source: unknown): FieldsTree {
  if (!isPlainObject(source)) return {};
  const { metadata, status: _status, ...rest } = source;
  const trimmed: Record<string, unknown> = { ...rest };
  if (isPlainObject(metadata)) {
    const kept: Record<string, unknown> = {};
    for (const key of ['labels', 'annotations', 'finalizers', 'ownerReferences']) if (metadata[key] !== undefined) kept[key] = metadata[key];
    if (Object.keys(kept).length) trimmed.metadata = kept;
  }
  return fieldsOf(trimmed);
}

function managerEntry(context: ResourceRequest, operation: 'Apply' | 'Update', fields: FieldsTree, subresource?: string): ManagedFieldsEntry {
  return {
    manager: fieldManager(context),
    operation,
    apiVersion: groupVersion(context.path),
    time: formatTimestamp(context.cluster.clock.now()),
    fieldsType: 'FieldsV1',
    fieldsV1: fields,
    ...(subresource ? { subresource } : {}),
  };
}

/** What create and dry-run create share: the object as the server would store it. */
function prepareCreate(context: ResourceRequest, decoded: KubeObject, operation: 'Apply' | 'Update', fields: FieldsTree): KubeObject {
  const object = toStorageVersion(decoded);
  checkNamespace(context, object);
  if (hasStatusSubresource(context.path.resource)) delete object.status;
  for (const key of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'generation']) delete object.metadata[key];
  applyDefaults(context.path.resource, object);
  admitCreate(context.cluster, context.path.resource, object);
  initialStatus(context.path.resource, object);
  validate(context, object);
  checkCustomResource(context, object, undefined);
  object.metadata.managedFields = [managerEntry(context, operation, fields)];
  return object;
}

/** Validating admission (webhooks) on the object as it would be stored, after defaulting and validation. */
async function admit(context: ResourceRequest, operation: 'CREATE' | 'UPDATE', object: KubeObject | undefined, oldObject: KubeObject | undefined, dryRun: boolean): Promise<void> {
  const { resource, subresource, namespace, name } = context.path;
  await context.admit?.({ operation, resource, subresource, namespace, name: name ?? object?.metadata.name, object, oldObject, dryRun, user: context.user });
}

async function storeCreate(context: ResourceRequest, object: KubeObject): Promise<KubeObject> {
  const { resource } = context.path;
  await admit(context, 'CREATE', object, undefined, isDryRun(context.url));
  if (isDryRun(context.url)) {
    const { store } = context.cluster;
    if (object.metadata.name && store.getShared(resource, object.metadata.namespace, object.metadata.name)) {
      return store.create(resource, object); // throws AlreadyExists exactly as a real create would
    }
    const namespace = object.metadata.namespace;
    if (resource.namespaced && namespace && !store.getShared(context.cluster.registry.byResource('', 'namespaces')!, undefined, namespace)) {
      throw new ApiError(404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' });
    }
    return {
      ...object,
      metadata: {
        ...object.metadata,
        name: object.metadata.name ?? `${object.metadata.generateName ?? ''}${randomBytes(3).toString('hex').slice(0, 5)}`,
        uid: '00000000-0000-0000-0000-000000000000',
        creationTimestamp: formatTimestamp(context.cluster.clock.now()),
        generation: 1,
      },
    };
  }
  return context.cluster.store.create(resource, object);
}

export async function handleCreate(context: ResourceRequest): Promise<void> {
  const object = decodeObject(context);
  checkDecodedFields(context, object);
  const created = await storeCreate(context, prepareCreate(context, object, 'Update', updateFields(object)));
  sendObject(context, created, 201);
}

/**
 * Writes `next` over `existing` as an update of the main resource or of its status subresource:
 * writes to the main resource keep the stored status, writes to /status change only the status.
 */
async function storeUpdate(context: ResourceRequest, existing: KubeObject, next: KubeObject, entry: ManagedFieldsEntry): Promise<KubeObject> {
  const { resource, subresource } = context.path;
  let object: KubeObject;
  if (subresource === 'status') {
    object = { ...clone(existing), status: toStorageVersion({ ...next, apiVersion: groupVersion(context.path) }).status };
    if (next.metadata?.resourceVersion) object.metadata.resourceVersion = next.metadata.resourceVersion;
  } else {
    next.apiVersion = groupVersion(context.path);
    next.kind = resource.kind;
    object = toStorageVersion(next);
    if (hasStatusSubresource(resource)) {
      if (existing.status === undefined) delete object.status;
      else object.status = existing.status;
    }
    checkNamespace(context, object);
    applyDefaults(resource, object);
    validate(context, object);
    admitUpdate(context.cluster, resource, object, existing);
  }
  checkCustomResource(context, object, existing);
  object.metadata.managedFields = recordManager(isPlainObject(next.metadata) && Array.isArray(next.metadata.managedFields) ? next.metadata.managedFields : existing.metadata.managedFields, entry);
  await admit(context, 'UPDATE', object, existing, isDryRun(context.url));
  if (isDryRun(context.url)) {
    if (object.metadata.resourceVersion && object.metadata.resourceVersion !== existing.metadata.resourceVersion) {
      return context.cluster.store.update(resource, object); // throws the same Conflict a real update would
    }
    return { ...object, metadata: { ...object.metadata, resourceVersion: existing.metadata.resourceVersion, uid: existing.metadata.uid, creationTimestamp: existing.metadata.creationTimestamp } };
  }
  return context.cluster.store.update(resource, object);
}

export async function handleUpdate(context: ResourceRequest): Promise<void> {
  const object = decodeObject(context);
  const { name } = context.path;
  if (object.metadata.name && object.metadata.name !== name) {
    throw badRequest(`the name of the object (${object.metadata.name}) does not match the name on the URL (${name})`);
  }
  object.metadata.name = name;
  checkDecodedFields(context, object);
  const conditional = Boolean(object.metadata.resourceVersion);
  const updated = await retryUnconditionalWrite(context, existingOrNotFound(context), conditional, (existing) => {
    const next = clone(object);
    // unconditional: written over the object as read here, so a write by someone else meanwhile is not overwritten
    if (!conditional) next.metadata.resourceVersion = existing.metadata.resourceVersion;
    return storeUpdate(context, existing, next, managerEntry(context, 'Update', updateFields(object), context.path.subresource));
  });
  sendObject(context, updated);
}

function patchDocument(context: ResourceRequest, contentType: string): unknown {
  return parseBody(context.bodyText, contentType);
}

export async function handlePatch(context: ResourceRequest): Promise<void> {
  const contentType = String(context.request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (contentType === 'application/apply-patch+yaml' || contentType === 'application/apply-patch+cbor') {
    await handleApply(context);
    return;
  }
  const known = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];
  if (!known.includes(contentType)) throw unsupportedMediaType(contentType);
  if (contentType === 'application/strategic-merge-patch+json' && isCustomResource(context)) {
    throw new ApiError(415, 'UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml');
  }
  fieldValidationDirective(context);
  // a missing object is answered before a malformed patch, as the real server reads the object first
  const existing = existingOrNotFound(context);
  const patch = patchDocument(context, 'application/json');
  if (contentType === 'application/json-patch+json' && !Array.isArray(patch)) throw badRequest('json patch must be an array of operations');
  // A patch only conflicts when it names a resourceVersion itself.
  const patchVersion = isPlainObject(patch) && isPlainObject(patch.metadata) ? (patch.metadata.resourceVersion as string | undefined) : undefined;
  const updated = await retryUnconditionalWrite(context, existing, patchVersion !== undefined, (current) => patchOnce(context, current, contentType, clone(patch), patchVersion));
  sendObject(context, updated);
}

/** One attempt of a patch, on the object as it is now. */
function patchOnce(context: ResourceRequest, existing: KubeObject, contentType: string, patch: unknown, patchVersion: string | undefined): Promise<KubeObject> {
  // Patches apply to the object as the requested version shows it (an autoscaling/v1 HPA has no `metrics`).
  const view = asRequestedVersion(existing, context.path);
  let patched: KubeObject;
  if (contentType === 'application/json-patch+json') {
    try {
      patched = fastJsonPatch.applyPatch(clone(view), patch as any, true, false).newDocument as KubeObject;
    } catch (error) {
      const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
      throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${message}`);
    }
  } else if (contentType === 'application/merge-patch+json') {
    patched = applyMergePatch(view, patch);
  } else {
    patched = applyStrategicMergePatch(view, patch) as KubeObject;
  }
  if (!isPlainObject(patched) || !isPlainObject(patched.metadata)) throw badRequest('the patch removed the object metadata');
  if (!context.path.subresource) checkPatchedFields(context, patched, contentType === 'application/json-patch+json' ? undefined : context.bodyText);
  patched.metadata.resourceVersion = patchVersion ?? existing.metadata.resourceVersion;
  patched.metadata.name = existing.metadata.name;
  return storeUpdate(context, existing, patched, managerEntry(context, 'Update', updateFields(patch), context.path.subresource));
}

/** Server-side apply: create if missing, else merge the applied fields and drop fields this manager stopped applying. */
async function handleApply(context: ResourceRequest): Promise<void> {
  const manager = context.url.searchParams.get('fieldManager');
  if (!manager) {
    throw invalid({ group: 'meta.k8s.io', kind: 'PatchOptions' }, '', [{ field: 'fieldManager', message: 'Required value: is required for apply patch', reason: 'FieldValueRequired' }]);
  }
  const applied = parseBody(context.bodyText, 'application/yaml');
  if (!isPlainObject(applied)) throw badRequest('the apply patch must be an object');
  const { resource, name, subresource } = context.path;
  if (applied.metadata?.name && applied.metadata.name !== name) {
    throw badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`);
  }
  const appliedObject = applied as KubeObject;
  appliedObject.metadata = { ...(applied.metadata ?? {}), name };
  if (!subresource) checkAppliedFields(context, appliedObject);
  const { name: _name, namespace: _namespace, ...ownedMetadata } = isPlainObject(applied.metadata) ? applied.metadata : {};
  const fields = fieldsOf(subresource === 'status' ? { status: applied.status } : { ...applied, metadata: Object.keys(ownedMetadata).length ? ownedMetadata : undefined });
  const existing = context.cluster.store.get(resource, context.path.namespace, name!);
  if (!existing) {
    if (subresource) throw notFound(resource, name!);
    const object = clone(appliedObject);
    object.apiVersion = groupVersion(context.path);
    object.kind = resource.kind;
    const created = await storeCreate(context, prepareCreate(context, object, 'Apply', fields));
    sendObject(context, created, 201);
    return;
  }
  const appliedVersion = appliedObject.metadata.resourceVersion as string | undefined;
  // a copy per attempt: the merge and the defaults write into what they are given
  const updated = await retryUnconditionalWrite(context, existing, appliedVersion !== undefined, (current) => applyOnce(context, current, manager, clone(appliedObject), fields));
  sendObject(context, updated);
}

/** One attempt of a server-side apply to an object that exists, as it is now. */
function applyOnce(context: ResourceRequest, existing: KubeObject, manager: string, appliedObject: KubeObject, fields: FieldsTree): Promise<KubeObject> {
  const { subresource } = context.path;
  const entries = (existing.metadata.managedFields ?? []) as ManagedFieldsEntry[];
  const previous = entries.find((entry) => entry.manager === manager && entry.operation === 'Apply' && (entry.subresource ?? '') === (subresource ?? ''));
  const { metadata: appliedMetadata, ...appliedRest } = appliedObject;
  const { managedFields: _ignored, resourceVersion: appliedVersion, ...metadataFields } = appliedMetadata;
  const merged = applyConfiguration(asRequestedVersion(existing, context.path), { ...appliedRest, metadata: metadataFields }) as KubeObject;
  if (previous) {
    const others = entries.filter((entry) => entry !== previous).map((entry) => entry.fieldsV1 ?? {});
    // metadata itself is never "unapplied": a manager that stops applying labels/annotations removes those, not the object's identity.
    removeUnappliedFields(merged, previous.fieldsV1 ?? {}, { 'f:metadata': {}, ...fields }, others);
  }
  merged.metadata.resourceVersion = (appliedVersion as string | undefined) ?? existing.metadata.resourceVersion;
  merged.metadata.managedFields = existing.metadata.managedFields;
  return storeUpdate(context, existing, merged, managerEntry(context, 'Apply', fields, subresource));
}
