import type { KubeObject } from '../cluster-types.ts';
import { cpuMillis, memoryBytes, parseQuantity } from '../runtime/quantity.ts';
import type { ImageDefinition } from './image-catalogue.ts';

/** Reads the objects a container's configuration refers to (live, from the store). */
export interface ConfigLookup {
  configMap(namespace: string, name: string): KubeObject | undefined;
  secret(namespace: string, name: string): KubeObject | undefined;
  services(namespace: string): KubeObject[];
  node(name: string): KubeObject | undefined;
}

/** Why the kubelet cannot create the container (CreateContainerConfigError), in its own words. */
export class ContainerConfigError extends Error {}

const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** `$(VAR)` references in env values, command and args, as the kubelet expands them; `$$(VAR)` escapes. */
export function expandReferences(text: string, lookup: (name: string) => string | undefined): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    const value = lookup(name!);
    return value ?? match;
  });
}

/** The value of a downward-API fieldRef, or undefined for an unsupported path. */
export function fieldRefValue(pod: KubeObject, fieldPath: string, status: { podIP?: string; hostIP?: string }): string | undefined {
  const labelMatch = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (labelMatch) return (pod.metadata[labelMatch[1] as 'labels' | 'annotations'] ?? {})[labelMatch[2]] ?? '';
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata.name;
    case 'metadata.namespace':
      return pod.metadata.namespace;
    case 'metadata.uid':
      return pod.metadata.uid;
    case 'metadata.labels':
    case 'metadata.annotations':
      return Object.entries(pod.metadata[fieldPath.split('.')[1] as 'labels'] ?? {})
        .sort(([left], [right]) => (left < right ? -1 : 1))
        .map(([key, value]) => `${key}="${value}"`)
        .join('\n');
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? 'default';
    case 'status.podIP':
    case 'status.podIPs':
      return status.podIP ?? '';
    case 'status.hostIP':
    case 'status.hostIPs':
      return status.hostIP ?? '';
    default:
      return undefined;
  }
}

/** A resourceFieldRef: limits/requests of cpu or memory, divided by `divisor` and rounded up. */
export function resourceFieldValue(pod: KubeObject, defaultContainer: any, reference: any, node: KubeObject | undefined): string {
  const container = reference.containerName ? (pod.spec?.containers ?? []).find((candidate: any) => candidate.name === reference.containerName) ?? defaultContainer : defaultContainer;
  const [kind, resource] = String(reference.resource ?? '').split('.');
  const allocatable = node?.status?.allocatable ?? {};
  const configured = container?.resources?.[kind]?.[resource];
  if (resource === 'cpu') {
    const millis = configured !== undefined ? cpuMillis(configured) : kind === 'limits' ? cpuMillis(allocatable.cpu ?? '2') : 0;
    const divisor = cpuMillis(reference.divisor ?? '1') || 1000;
    return String(Math.ceil(millis / divisor));
  }
  const bytes = configured !== undefined ? memoryBytes(configured) : kind === 'limits' ? memoryBytes(allocatable[resource] ?? '8Gi') : 0;
  const divisor = parseQuantity(reference.divisor ?? '1') || 1;
  return String(Math.ceil(bytes / divisor));
}

function serviceLinkVariables(service: KubeObject): Array<[string, string]> {
  const ip = service.spec?.clusterIP;
  const ports: any[] = service.spec?.ports ?? [];
  if (!ip || ip === 'None' || ports.length === 0) return [];
  const name = String(service.metadata.name).toUpperCase().replace(/-/g, '_');
  const variables: Array<[string, string]> = [
    [`${name}_SERVICE_HOST`, ip],
    [`${name}_SERVICE_PORT`, String(ports[0].port)],
  ];
  for (const port of ports) if (port.name) variables.push([`${name}_SERVICE_PORT_${String(port.name).toUpperCase().replace(/-/g, '_')}`, String(port.port)]);
  const first = ports[0];
  variables.push([`${name}_PORT`, `${String(first.protocol ?? 'TCP').toLowerCase()}://${ip}:${first.port}`]);
  for (const port of ports) {
    const protocol = String(port.protocol ?? 'TCP');
    const prefix = `${name}_PORT_${port.port}_${protocol}`;
    variables.push([prefix, `${protocol.toLowerCase()}://${ip}:${port.port}`], [`${prefix}_PROTO`, protocol.toLowerCase()], [`${prefix}_PORT`, String(port.port)], [`${prefix}_ADDR`, ip]);
  }
  return variables;
}

const kubernetesServiceLinks: Array<[string, string]> = [
  ['KUBERNETES_SERVICE_HOST', '10.96.0.1'],
  ['KUBERNETES_SERVICE_PORT', '443'],
  ['KUBERNETES_SERVICE_PORT_HTTPS', '443'],
  ['KUBERNETES_PORT', 'tcp://10.96.0.1:443'],
  ['KUBERNETES_PORT_443_TCP', 'tcp://10.96.0.1:443'],
  ['KUBERNETES_PORT_443_TCP_PROTO', 'tcp'],
  ['KUBERNETES_PORT_443_TCP_PORT', '443'],
  ['KUBERNETES_PORT_443_TCP_ADDR', '10.96.0.1'],
];

const validName = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/**
 * The environment a container starts with: image ENV, envFrom, env (value, valueFrom) with `$(VAR)`
 * expansion, and the Service link variables. Throws ContainerConfigError with the kubelet's message when
 * a referenced ConfigMap, Secret or key is missing and not optional.
 */
export function resolveContainerEnvironment(input: { pod: KubeObject; container: any; image?: ImageDefinition; lookup: ConfigLookup; podIP?: string; hostIP?: string }): Array<[string, string]> {
  const { pod, container, lookup } = input;
  const namespace = pod.metadata.namespace ?? 'default';
  const defined = new Map<string, string>();
  const order: string[] = [];
  const set = (name: string, value: string) => {
    if (!defined.has(name)) order.push(name);
    defined.set(name, value);
  };

  for (const source of container.envFrom ?? []) {
    const prefix = source.prefix ?? '';
    if (source.configMapRef) {
      const configMap = lookup.configMap(namespace, source.configMapRef.name);
      if (!configMap) {
        if (source.configMapRef.optional) continue;
        throw new ContainerConfigError(`configmap "${source.configMapRef.name}" not found`);
      }
      for (const [key, value] of Object.entries<string>(configMap.data ?? {})) if (validName.test(prefix + key)) set(prefix + key, value);
    }
    if (source.secretRef) {
      const secret = lookup.secret(namespace, source.secretRef.name);
      if (!secret) {
        if (source.secretRef.optional) continue;
        throw new ContainerConfigError(`secret "${source.secretRef.name}" not found`);
      }
      for (const [key, value] of Object.entries<string>(secret.data ?? {})) if (validName.test(prefix + key)) set(prefix + key, Buffer.from(value, 'base64').toString());
    }
  }

  const serviceLinks: Array<[string, string]> = [];
  if (pod.spec?.enableServiceLinks !== false) {
    for (const service of lookup.services(namespace)) serviceLinks.push(...serviceLinkVariables(service));
  }
  const earlier = (name: string) => defined.get(name) ?? serviceLinks.find(([key]) => key === name)?.[1];

  for (const variable of container.env ?? []) {
    if (variable.valueFrom === undefined) {
      set(variable.name, expandReferences(String(variable.value ?? ''), earlier));
      continue;
    }
    const from = variable.valueFrom;
    if (from.configMapKeyRef) {
      const reference = from.configMapKeyRef;
      const configMap = lookup.configMap(namespace, reference.name);
      if (!configMap) {
        if (reference.optional) continue;
        throw new ContainerConfigError(`configmap "${reference.name}" not found`);
      }
      const value = configMap.data?.[reference.key];
      if (value === undefined) {
        if (reference.optional) continue;
        throw new ContainerConfigError(`couldn't find key ${reference.key} in ConfigMap ${namespace}/${reference.name}`);
      }
      set(variable.name, value);
    } else if (from.secretKeyRef) {
      const reference = from.secretKeyRef;
      const secret = lookup.secret(namespace, reference.name);
      if (!secret) {
        if (reference.optional) continue;
        throw new ContainerConfigError(`secret "${reference.name}" not found`);
      }
      const value = secret.data?.[reference.key];
      if (value === undefined) {
        if (reference.optional) continue;
        throw new ContainerConfigError(`couldn't find key ${reference.key} in Secret ${namespace}/${reference.name}`);
      }
      set(variable.name, Buffer.from(value, 'base64').toString());
    } else if (from.fieldRef) {
      set(variable.name, fieldRefValue(pod, from.fieldRef.fieldPath, { podIP: input.podIP, hostIP: input.hostIP }) ?? '');
    } else if (from.resourceFieldRef) {
      set(variable.name, resourceFieldValue(pod, container, from.resourceFieldRef, lookup.node(pod.spec?.nodeName ?? '')));
    }
  }

  const result: Array<[string, string]> = [
    ['PATH', input.image?.env?.PATH ?? defaultPath],
    ['HOSTNAME', pod.spec?.hostname ?? pod.metadata.name ?? ''],
  ];
  const taken = new Set(result.map(([name]) => name));
  for (const name of order) {
    if (name === 'PATH' || name === 'HOSTNAME') {
      result.find((entry) => entry[0] === name)![1] = defined.get(name)!;
      continue;
    }
    result.push([name, defined.get(name)!]);
    taken.add(name);
  }
  for (const [name, value] of [...serviceLinks, ...kubernetesServiceLinks]) {
    if (taken.has(name)) continue;
    result.push([name, value]);
    taken.add(name);
  }
  for (const [name, value] of Object.entries(input.image?.env ?? {})) {
    if (taken.has(name) || name === 'PATH') continue;
    result.push([name, value]);
    taken.add(name);
  }
  if (!taken.has('HOME')) result.push(['HOME', input.image?.user ? `/home/${input.image.user}` : '/root']);
  return result;
}
