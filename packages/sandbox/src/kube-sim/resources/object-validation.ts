import type { KubeObject, ResourceType } from '../cluster-types.ts';
import type { FieldCause } from '../errors/api-errors.ts';
import { matchesStructuredSelector } from '../selectors/label-selector.ts';

const subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Kinds whose names must be RFC 1123 labels (no dots), as in the real API server. */
const labelNamedKinds = new Set(['/namespaces', '/services']);
/** Kinds whose names are path segments only (RBAC allows `system:` names and other characters). */
const pathNamedKinds = new Set(['rbac.authorization.k8s.io/roles', 'rbac.authorization.k8s.io/clusterroles', 'rbac.authorization.k8s.io/rolebindings', 'rbac.authorization.k8s.io/clusterrolebindings', '/events', 'events.k8s.io/events']);

function goMap(labels: Record<string, string> | undefined): string {
  return `map[string]string{${Object.entries(labels ?? {}).map(([key, value]) => `"${key}":"${value}"`).join(', ')}}`;
}

function validateName(resource: ResourceType, name: string | undefined): FieldCause[] {
  if (!name) return [];
  const kindKey = `${resource.group}/${resource.resource}`;
  if (pathNamedKinds.has(kindKey)) {
    return /[/%]/.test(name) || name === '.' || name === '..' ? [{ field: 'metadata.name', message: `Invalid value: "${name}": may not contain '/' or '%'` }] : [];
  }
  if (labelNamedKinds.has(kindKey)) {
    if (name.length > 63 || !label.test(name)) {
      return [{ field: 'metadata.name', message: `Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')` }];
    }
    return [];
  }
  if (name.length > 253 || !subdomain.test(name)) {
    return [{ field: 'metadata.name', message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')` }];
  }
  return [];
}

function validateContainers(spec: any, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  if (!spec || !Array.isArray(spec.containers) || spec.containers.length === 0) {
    return [{ field: `${path}.containers`, message: 'Required value', reason: 'FieldValueRequired' }];
  }
  const names = new Set<string>();
  spec.containers.forEach((container: any, index: number) => {
    if (!container?.name) causes.push({ field: `${path}.containers[${index}].name`, message: 'Required value', reason: 'FieldValueRequired' });
    else if (names.has(container.name)) causes.push({ field: `${path}.containers[${index}].name`, message: `Duplicate value: "${container.name}"`, reason: 'FieldValueDuplicate' });
    else names.add(container.name);
    if (!container?.image) causes.push({ field: `${path}.containers[${index}].image`, message: 'Required value', reason: 'FieldValueRequired' });
  });
  return causes;
}

function validateReplicas(value: unknown, field: string): FieldCause[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    return [{ field, message: `Invalid value: ${JSON.stringify(value)}: must be greater than or equal to 0` }];
  }
  return [];
}

function validateWorkload(object: KubeObject, requireReplicas: boolean): FieldCause[] {
  const spec = object.spec ?? {};
  const causes: FieldCause[] = [];
  if (requireReplicas) causes.push(...validateReplicas(spec.replicas, 'spec.replicas'));
  if (!spec.selector) causes.push({ field: 'spec.selector', message: 'Required value', reason: 'FieldValueRequired' });
  else if (!spec.selector.matchLabels && !spec.selector.matchExpressions) {
    causes.push({ field: 'spec.selector', message: 'Invalid value: "null": empty selector is invalid for deployment' });
  } else if (!matchesStructuredSelector(spec.selector, spec.template?.metadata?.labels)) {
    causes.push({ field: 'spec.template.metadata.labels', message: `Invalid value: ${goMap(spec.template?.metadata?.labels)}: \`selector\` does not match template \`labels\`` });
  }
  causes.push(...validateContainers(spec.template?.spec, 'spec.template.spec'));
  return causes;
}

const accessModes = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const quoted = (values: string[]) => values.map((value) => `"${value}"`).join(', ');

function validateAccessModes(modes: unknown, field: string): FieldCause[] {
  if (!Array.isArray(modes) || modes.length === 0) return [{ field, message: 'Required value: at least 1 access mode is required', reason: 'FieldValueRequired' }];
  return modes.filter((mode) => !accessModes.includes(mode)).map((mode) => ({ field, message: `Unsupported value: "${mode}": supported values: ${quoted(accessModes)}`, reason: 'FieldValueNotSupported' as const }));
}

function validateClaimSpec(spec: any, path: string): FieldCause[] {
  const causes = validateAccessModes(spec?.accessModes, `${path}.accessModes`);
  if (spec?.resources?.requests?.storage === undefined) causes.push({ field: `${path}.resources[storage]`, message: 'Required value', reason: 'FieldValueRequired' });
  return causes;
}

/** Volume sources a PersistentVolume may name (`spec: Required value: must specify a volume type` otherwise). */
const persistentVolumeSources = ['hostPath', 'local', 'csi', 'nfs', 'iscsi', 'fc', 'awsElasticBlockStore', 'gcePersistentDisk', 'azureDisk', 'azureFile', 'cephfs', 'rbd', 'cinder', 'flexVolume', 'glusterfs', 'vsphereVolume', 'portworxVolume', 'scaleIO', 'storageos', 'quobyte', 'photonPersistentDisk', 'flocker'];

function validateMinimum(value: unknown, minimum: number, field: string): FieldCause[] {
  if (value === undefined || value === null) return [];
  return typeof value === 'number' && value >= minimum ? [] : [{ field, message: `Invalid value: ${JSON.stringify(value)}: must be greater than or equal to ${minimum}` }];
}

function validateAutoscaler(object: KubeObject): FieldCause[] {
  const spec = object.spec ?? {};
  const causes: FieldCause[] = [];
  if (!spec.scaleTargetRef?.kind) causes.push({ field: 'spec.scaleTargetRef.kind', message: 'Required value', reason: 'FieldValueRequired' });
  if (!spec.scaleTargetRef?.name) causes.push({ field: 'spec.scaleTargetRef.name', message: 'Required value', reason: 'FieldValueRequired' });
  causes.push(...validateMinimum(spec.minReplicas, 1, 'spec.minReplicas'));
  if (typeof spec.maxReplicas !== 'number' || spec.maxReplicas < 1) causes.push({ field: 'spec.maxReplicas', message: `Invalid value: ${JSON.stringify(spec.maxReplicas ?? 0)}: must be greater than or equal to 1` });
  else if (typeof spec.minReplicas === 'number' && spec.maxReplicas < spec.minReplicas) causes.push({ field: 'spec.maxReplicas', message: `Invalid value: ${spec.maxReplicas}: must be greater than or equal to \`minReplicas\`` });
  (spec.metrics ?? []).forEach((metric: any, index: number) => {
    const utilization = metric?.resource?.target?.averageUtilization ?? metric?.containerResource?.target?.averageUtilization;
    const source = metric?.type === 'ContainerResource' ? 'containerResource' : 'resource';
    if (utilization !== undefined && !(utilization > 0)) causes.push({ field: `spec.metrics[${index}].${source}.target.averageUtilization`, message: `Invalid value: ${JSON.stringify(utilization)}: must be greater than 0` });
  });
  return causes;
}

/** The subset of the API server's validation that users notice; returns field causes for a 422. */
export function validateObject(resource: ResourceType, object: KubeObject): FieldCause[] {
  const causes = validateName(resource, object.metadata?.name);
  const key = `${resource.group}/${resource.resource}`;
  switch (key) {
    case '/pods':
      causes.push(...validateContainers(object.spec, 'spec'));
      break;
    case 'apps/deployments':
    case 'apps/replicasets':
    case 'apps/statefulsets':
      causes.push(...validateWorkload(object, true));
      if (key === 'apps/statefulsets') {
        (object.spec?.volumeClaimTemplates ?? []).forEach((template: any, index: number) => causes.push(...validateClaimSpec(template?.spec, `spec.volumeClaimTemplates[${index}].spec`)));
      }
      break;
    case 'apps/daemonsets':
      causes.push(...validateWorkload(object, false));
      break;
    case 'batch/jobs':
      causes.push(...validateContainers(object.spec?.template?.spec, 'spec.template.spec'));
      break;
    case 'batch/cronjobs':
      if (!object.spec?.schedule) causes.push({ field: 'spec.schedule', message: 'Required value', reason: 'FieldValueRequired' });
      causes.push(...validateContainers(object.spec?.jobTemplate?.spec?.template?.spec, 'spec.jobTemplate.spec.template.spec'));
      break;
    case '/persistentvolumeclaims':
      causes.push(...validateClaimSpec(object.spec, 'spec'));
      break;
    case '/persistentvolumes': {
      const spec = object.spec ?? {};
      if (spec.capacity?.storage === undefined) causes.push({ field: 'spec.capacity', message: 'Required value', reason: 'FieldValueRequired' });
      causes.push(...validateAccessModes(spec.accessModes, 'spec.accessModes'));
      if (!persistentVolumeSources.some((source) => spec[source])) causes.push({ field: 'spec', message: 'Required value: must specify a volume type', reason: 'FieldValueRequired' });
      const policies = ['Delete', 'Recycle', 'Retain'];
      if (spec.persistentVolumeReclaimPolicy && !policies.includes(spec.persistentVolumeReclaimPolicy)) {
        causes.push({ field: 'spec.persistentVolumeReclaimPolicy', message: `Unsupported value: "${spec.persistentVolumeReclaimPolicy}": supported values: ${quoted(policies)}`, reason: 'FieldValueNotSupported' });
      }
      break;
    }
    case 'storage.k8s.io/storageclasses':
      if (!object.provisioner) causes.push({ field: 'provisioner', message: 'Required value', reason: 'FieldValueRequired' });
      if (object.reclaimPolicy && !['Delete', 'Retain'].includes(object.reclaimPolicy)) causes.push({ field: 'reclaimPolicy', message: `Unsupported value: "${object.reclaimPolicy}": supported values: "Delete", "Retain"`, reason: 'FieldValueNotSupported' });
      if (object.volumeBindingMode && !['Immediate', 'WaitForFirstConsumer'].includes(object.volumeBindingMode)) {
        causes.push({ field: 'volumeBindingMode', message: `Unsupported value: "${object.volumeBindingMode}": supported values: "Immediate", "WaitForFirstConsumer"`, reason: 'FieldValueNotSupported' });
      }
      break;
    case 'autoscaling/horizontalpodautoscalers':
      causes.push(...validateAutoscaler(object));
      break;
    case '/services':
      (object.spec?.ports ?? []).forEach((port: any, index: number) => {
        if (typeof port?.port !== 'number' || port.port < 1 || port.port > 65535) {
          causes.push({ field: `spec.ports[${index}].port`, message: `Invalid value: ${JSON.stringify(port?.port ?? 0)}: must be between 1 and 65535, inclusive` });
        }
      });
      break;
  }
  return causes;
}
