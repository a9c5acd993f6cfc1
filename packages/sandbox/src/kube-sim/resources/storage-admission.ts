import { ApiError, type KubeObject, type ObjectStore, type ResourceRegistry, type ResourceType } from '../cluster-types.ts';
import { invalid, type FieldCause } from '../errors/api-errors.ts';
import { deepEqual, isPlainObject } from '../util/json-values.ts';
import { parseQuantity } from '../runtime/quantity.ts';

/**
 * The admission plugins and update validation a v1.32 API server applies to storage objects:
 * DefaultStorageClass and StorageObjectInUseProtection on create, PersistentVolumeClaimResize and the
 * PVC / StorageClass / StatefulSet immutability rules on update. Messages are the API server's.
 */

interface AdmissionDeps {
  store: ObjectStore;
  registry: ResourceRegistry;
}

const keyOf = (resource: Pick<ResourceType, 'group' | 'resource'>) => `${resource.group}/${resource.resource}`;

function storageClasses(deps: AdmissionDeps): KubeObject[] {
  const type = deps.registry.byResource('storage.k8s.io', 'storageclasses');
  return type ? deps.store.list(type) : [];
}

function isDefaultClass(storageClass: KubeObject): boolean {
  const annotations = storageClass.metadata.annotations ?? {};
  return annotations['storageclass.kubernetes.io/is-default-class'] === 'true' || annotations['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
}

function addFinalizer(object: KubeObject, finalizer: string): void {
  const finalizers = object.metadata.finalizers ?? [];
  if (!finalizers.includes(finalizer)) object.metadata.finalizers = [...finalizers, finalizer];
}

/** Mutating admission on create: a claim without a class gets the default one; claims and volumes get their protection finalizer. */
export function admitCreate(deps: AdmissionDeps, resource: ResourceType, object: KubeObject): void {
  switch (keyOf(resource)) {
    case '/persistentvolumeclaims': {
      object.spec ??= {};
      const hasClass = object.spec.storageClassName !== undefined && object.spec.storageClassName !== null;
      if (!hasClass && object.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] === undefined) {
        // With several defaults, the newest wins (DefaultStorageClass since v1.26).
        const defaults = storageClasses(deps).filter(isDefaultClass);
        defaults.sort((left, right) => String(right.metadata.creationTimestamp).localeCompare(String(left.metadata.creationTimestamp)) || String(left.metadata.name).localeCompare(String(right.metadata.name)));
        if (defaults[0]) object.spec.storageClassName = defaults[0].metadata.name;
      }
      addFinalizer(object, 'kubernetes.io/pvc-protection');
      break;
    }
    case '/persistentvolumes':
      addFinalizer(object, 'kubernetes.io/pv-protection');
      break;
  }
}

const specFieldNames: Record<string, string> = {
  accessModes: 'AccessModes',
  selector: 'Selector',
  resources: 'Resources',
  volumeName: 'VolumeName',
  storageClassName: 'StorageClassName',
  volumeMode: 'VolumeMode',
  dataSource: 'DataSource',
  dataSourceRef: 'DataSourceRef',
  volumeAttributesClassName: 'VolumeAttributesClassName',
};

/** A short rendering of what changed, in the spirit of the cmp.Diff the API server appends. */
function specDiff(before: Record<string, unknown>, after: Record<string, unknown>): string {
  const lines = ['  core.PersistentVolumeClaimSpec{'];
  let identical = 0;
  for (const key of Object.keys(specFieldNames)) {
    const left = JSON.stringify(before[key] ?? null);
    const right = JSON.stringify(after[key] ?? null);
    if (deepEqual(before[key], after[key])) {
      identical++;
      continue;
    }
    if (before[key] !== undefined) lines.push(`- \t${specFieldNames[key]}: ${left},`);
    if (after[key] !== undefined) lines.push(`+ \t${specFieldNames[key]}: ${right},`);
  }
  if (identical) lines.push(`  \t... // ${identical} identical fields`);
  lines.push('  }');
  return lines.join('\n');
}

function storageOf(spec: any): number | undefined {
  const value = spec?.resources?.requests?.storage;
  if (value === undefined) return undefined;
  const parsed = parseQuantity(value);
  return Number.isNaN(parsed) ? undefined : parsed;
}

function claimUpdateCauses(object: KubeObject, existing: KubeObject): FieldCause[] {
  const causes: FieldCause[] = [];
  const before = { ...(existing.spec ?? {}) };
  const after = { ...(object.spec ?? {}) };
  const bound = existing.status?.phase === 'Bound';
  // What may change: the requested size of a bound claim, the volume attributes class, a volumeName set for the
  // first time (binding) and a class set on a claim that had none (retroactive default class).
  const comparable = (spec: Record<string, any>) => {
    const copy = { ...spec };
    if (bound && copy.resources) copy.resources = { ...copy.resources, requests: { ...copy.resources.requests, storage: undefined } };
    delete copy.volumeAttributesClassName;
    if (!before.volumeName) delete copy.volumeName;
    if (before.storageClassName === undefined || before.storageClassName === null) delete copy.storageClassName;
    return copy;
  };
  if (!deepEqual(comparable(before), comparable(after))) {
    causes.push({ field: 'spec', message: `Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n${specDiff(before, after)}`, reason: 'FieldValueForbidden' });
  }
  const oldSize = storageOf(before);
  const newSize = storageOf(after);
  const statusSize = existing.status?.capacity?.storage !== undefined ? parseQuantity(existing.status.capacity.storage) : 0;
  // RecoverVolumeExpansionFailure (beta, on in v1.32): a request may shrink, but never to status.capacity or below.
  if (oldSize !== undefined && newSize !== undefined && newSize < oldSize && newSize <= statusSize) {
    causes.push({ field: 'spec.resources.requests.storage', message: 'Forbidden: field can not be less than status.capacity', reason: 'FieldValueForbidden' });
  }
  return causes;
}

const mutableStatefulSetFields = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

/**
 * Update validation and validating admission. Throws the 422 Invalid (validation) or 403 Forbidden
 * (PersistentVolumeClaimResize) a real API server answers with.
 */
export function admitUpdate(deps: AdmissionDeps, resource: ResourceType, object: KubeObject, existing: KubeObject): void {
  const name = object.metadata.name ?? '';
  switch (keyOf(resource)) {
    case '/persistentvolumeclaims': {
      const causes = claimUpdateCauses(object, existing);
      if (causes.length) throw invalid(resource, name, causes);
      const oldSize = storageOf(existing.spec);
      const newSize = storageOf(object.spec);
      if (oldSize === undefined || newSize === undefined || newSize <= oldSize) return;
      const forbidden = (message: string) => new ApiError(403, 'Forbidden', `persistentvolumeclaims "${name}" is forbidden: ${message}`, { name, kind: 'persistentvolumeclaims' });
      if (existing.status?.phase !== 'Bound') throw forbidden('Only bound persistent volume claims can be expanded');
      const className = object.spec?.storageClassName ?? '';
      const storageClass = className && className === (existing.spec?.storageClassName ?? '') ? storageClasses(deps).find((candidate) => candidate.metadata.name === className) : undefined;
      if (storageClass?.allowVolumeExpansion !== true) {
        throw forbidden('only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize');
      }
      return;
    }
    case 'storage.k8s.io/storageclasses': {
      const causes: FieldCause[] = [];
      if (!deepEqual(object.parameters ?? {}, existing.parameters ?? {})) causes.push({ field: 'parameters', message: 'Forbidden: updates to parameters are forbidden.', reason: 'FieldValueForbidden' });
      if (object.provisioner !== existing.provisioner) causes.push({ field: 'provisioner', message: 'Forbidden: updates to provisioner are forbidden.', reason: 'FieldValueForbidden' });
      if (object.reclaimPolicy !== existing.reclaimPolicy) causes.push({ field: 'reclaimPolicy', message: 'Forbidden: updates to reclaimPolicy are forbidden.', reason: 'FieldValueForbidden' });
      if (object.volumeBindingMode !== existing.volumeBindingMode) causes.push({ field: 'volumeBindingMode', message: `Invalid value: "${object.volumeBindingMode}": field is immutable` });
      if (causes.length) throw invalid(resource, name, causes);
      return;
    }
    case 'apps/statefulsets': {
      const frozen = (spec: unknown) => {
        const copy: Record<string, unknown> = isPlainObject(spec) ? { ...spec } : {};
        for (const field of mutableStatefulSetFields) delete copy[field];
        return copy;
      };
      if (!deepEqual(frozen(object.spec), frozen(existing.spec))) {
        throw invalid(resource, name, [{ field: 'spec', message: `Forbidden: updates to statefulset spec for fields other than ${mutableStatefulSetFields.slice(0, -1).map((field) => `'${field}'`).join(', ')} and 'minReadySeconds' are forbidden`, reason: 'FieldValueForbidden' }]);
      }
      return;
    }
  }
}
