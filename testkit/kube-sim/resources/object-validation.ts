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
