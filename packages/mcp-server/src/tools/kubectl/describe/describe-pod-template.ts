/**
 * The pieces kubectl prints for pods and pod templates (describeContainers, describeVolumes,
 * DescribePodTemplate…), shared by the Pod, workload and Job describers.
 */
import { NativeDescribeUnsupported } from './describe-context.ts';
import {
  compareStrings,
  formatLabelSelector,
  formatTime,
  intOrString,
  printAnnotationsMultiline,
  printBool,
  printLabelsMultiline,
  printTolerationsMultiline,
  since,
  type KubeObject,
} from './describe-format.ts';
import { LEVEL_0, LEVEL_1, LEVEL_2, LEVEL_3, nestedWriter, type DescribeWriter } from './describe-writer.ts';
import { formatQuantity, parseQuantity, quantityString, scaledValue } from '../quantity.ts';

type EnvResolver = (variable: KubeObject) => string;

/** describeResources: limits then requests, each sorted by resource name. */
export function describeResources(writer: DescribeWriter, resources: KubeObject | undefined, level: number): void {
  if (!resources) return;
  for (const [title, list] of [['Limits', resources.limits], ['Requests', resources.requests]] as const) {
    const names = Object.keys(list ?? {}).sort(compareStrings);
    if (names.length > 0) writer.write(level, `${title}:\n`);
    for (const name of names) writer.write(level + 1, `${name}:\t${quantityString(list[name])}\n`);
  }
}

/** DescribeProbe */
export function describeProbe(probe: KubeObject): string {
  const attributes = `delay=${probe.initialDelaySeconds ?? 0}s timeout=${probe.timeoutSeconds ?? 0}s period=${probe.periodSeconds ?? 0}s #success=${probe.successThreshold ?? 0} #failure=${probe.failureThreshold ?? 0}`;
  if (probe.exec) return `exec [${(probe.exec.command ?? []).join(' ')}] ${attributes}`;
  if (probe.httpGet) {
    const scheme = String(probe.httpGet.scheme ?? '').toLowerCase();
    const port = intOrString(probe.httpGet.port);
    const rawHost = String(probe.httpGet.host ?? '');
    const host = port.length > 0 ? `${rawHost.includes(':') ? `[${rawHost}]` : rawHost}:${port}` : rawHost;
    const path = String(probe.httpGet.path ?? '');
    const url = `${scheme ? `${scheme}:` : ''}${scheme || host ? `${host || path ? '//' : ''}${host}` : ''}${path && !path.startsWith('/') && host ? '/' : ''}${encodeURI(path)}`;
    return `http-get ${url} ${attributes}`;
  }
  if (probe.tcpSocket) return `tcp-socket ${probe.tcpSocket.host ?? ''}:${intOrString(probe.tcpSocket.port)} ${attributes}`;
  if (probe.grpc) return `grpc <pod>:${probe.grpc.port ?? 0} ${probe.grpc.service ?? ''} ${attributes}`;
  return `unknown ${attributes}`;
}

/** EnvValueRetriever: kubectl resolves only metadata field paths of the pod (others print empty). */
export function envValueRetriever(pod: KubeObject): EnvResolver {
  return (variable) => {
    const fieldPath = String(variable.valueFrom?.fieldRef?.fieldPath ?? '');
    const metadata = pod.metadata ?? {};
    const subscripted = /^(metadata\.(?:annotations|labels))\['(.*)'\]$/.exec(fieldPath);
    if (subscripted) return String((subscripted[1] === 'metadata.labels' ? metadata.labels : metadata.annotations)?.[subscripted[2]] ?? '');
    switch (fieldPath) {
      case 'metadata.annotations':
      case 'metadata.labels': {
        const map = (fieldPath === 'metadata.labels' ? metadata.labels : metadata.annotations) ?? {};
        return Object.keys(map).sort(compareStrings).map((key) => `${key}=${JSON.stringify(map[key])}`).join('\n');
      }
      case 'metadata.name':
        return String(metadata.name ?? '');
      case 'metadata.namespace':
        return String(metadata.namespace ?? '');
      case 'metadata.uid':
        return String(metadata.uid ?? '');
      default:
        return '';
    }
  };
}

const RESOURCE_FIELDS: Record<string, { list: 'limits' | 'requests'; name: string }> = {
  'limits.cpu': { list: 'limits', name: 'cpu' },
  'limits.memory': { list: 'limits', name: 'memory' },
  'limits.ephemeral-storage': { list: 'limits', name: 'ephemeral-storage' },
  'requests.cpu': { list: 'requests', name: 'cpu' },
  'requests.memory': { list: 'requests', name: 'memory' },
  'requests.ephemeral-storage': { list: 'requests', name: 'ephemeral-storage' },
};

/** resourcehelper.ExtractContainerResourceValue for the cpu, memory and ephemeral-storage fields. */
function containerResourceValue(reference: KubeObject, container: KubeObject): string {
  const field = RESOURCE_FIELDS[String(reference.resource)];
  if (!field) throw new NativeDescribeUnsupported(`the env resource field ${reference.resource}`);
  const quantity = parseQuantity(container.resources?.[field.list]?.[field.name]) ?? parseQuantity('0')!;
  const divisor = parseQuantity(reference.divisor ?? '1') ?? parseQuantity('1')!;
  if (field.name === 'cpu') {
    const divisorMilli = scaledValue(divisor, -3);
    if (divisorMilli === 0n) return '';
    const milli = scaledValue(quantity, -3);
    return String((milli + divisorMilli - 1n) / divisorMilli);
  }
  const divisorValue = scaledValue(divisor, 0);
  if (divisorValue === 0n) return '';
  return String((scaledValue(quantity, 0) + divisorValue - 1n) / divisorValue);
}

function describeContainerEnvVars(writer: DescribeWriter, container: KubeObject, resolve: EnvResolver | undefined): void {
  const env: KubeObject[] = container.env ?? [];
  writer.write(LEVEL_2, `Environment:${env.length === 0 ? '\t<none>' : ''}\n`);
  for (const variable of env) {
    const from = variable.valueFrom;
    if (!from) {
      String(variable.value ?? '').split('\n').forEach((line, index) => writer.write(LEVEL_3, index === 0 ? `${variable.name}:\t${line}\n` : `\t${line}\n`));
    } else if (from.fieldRef) {
      writer.write(LEVEL_3, `${variable.name}:\t${resolve ? resolve(variable) : ''} (${from.fieldRef.apiVersion ?? ''}:${from.fieldRef.fieldPath ?? ''})\n`);
    } else if (from.resourceFieldRef) {
      let value = containerResourceValue(from.resourceFieldRef, container);
      const resource = String(from.resourceFieldRef.resource);
      if (value === '0' && (resource === 'limits.cpu' || resource === 'limits.memory')) value = 'node allocatable';
      writer.write(LEVEL_3, `${variable.name}:\t${value} (${resource})\n`);
    } else if (from.secretKeyRef) {
      writer.write(LEVEL_3, `${variable.name}:\t<set to the key '${from.secretKeyRef.key}' in secret '${from.secretKeyRef.name ?? ''}'>\tOptional: ${from.secretKeyRef.optional === true}\n`);
    } else if (from.configMapKeyRef) {
      writer.write(LEVEL_3, `${variable.name}:\t<set to the key '${from.configMapKeyRef.key}' of config map '${from.configMapKeyRef.name ?? ''}'>\tOptional: ${from.configMapKeyRef.optional === true}\n`);
    }
  }
}

function describeContainerEnvFrom(writer: DescribeWriter, container: KubeObject): void {
  writer.write(LEVEL_2, 'Environment Variables from:\n');
  for (const source of container.envFrom as KubeObject[]) {
    const [from, reference] = source.configMapRef ? ['ConfigMap', source.configMapRef] : source.secretRef ? ['Secret', source.secretRef] : ['', {}];
    const optional = reference.optional === true;
    if (source.prefix) writer.write(LEVEL_3, `${reference.name ?? ''}\t${from} with prefix '${source.prefix}'\tOptional: ${optional}\n`);
    else writer.write(LEVEL_3, `${reference.name ?? ''}\t${from}\tOptional: ${optional}\n`);
  }
}

function describeState(writer: DescribeWriter, title: string, state: KubeObject | undefined): void {
  if (state?.running) {
    writer.write(LEVEL_2, `${title}:\tRunning\n`);
    writer.write(LEVEL_3, `Started:\t${formatTime(state.running.startedAt)}\n`);
  } else if (state?.waiting) {
    writer.write(LEVEL_2, `${title}:\tWaiting\n`);
    if (state.waiting.reason) writer.write(LEVEL_3, `Reason:\t${state.waiting.reason}\n`);
  } else if (state?.terminated) {
    const terminated = state.terminated;
    writer.write(LEVEL_2, `${title}:\tTerminated\n`);
    if (terminated.reason) writer.write(LEVEL_3, `Reason:\t${terminated.reason}\n`);
    if (terminated.message) writer.write(LEVEL_3, `Message:\t${terminated.message}\n`);
    writer.write(LEVEL_3, `Exit Code:\t${terminated.exitCode ?? 0}\n`);
    if ((terminated.signal ?? 0) > 0) writer.write(LEVEL_3, `Signal:\t${terminated.signal}\n`);
    writer.write(LEVEL_3, `Started:\t${formatTime(terminated.startedAt)}\n`);
    writer.write(LEVEL_3, `Finished:\t${formatTime(terminated.finishedAt)}\n`);
  } else {
    writer.write(LEVEL_2, `${title}:\tWaiting\n`);
  }
}

/** describeContainers: one block per container, with its status when the pod has one. */
export function describeContainers(
  writer: DescribeWriter,
  options: { label: string; containers: KubeObject[] | undefined; statuses?: KubeObject[]; resolve?: EnvResolver; space: string },
): void {
  const containers = options.containers ?? [];
  const statuses = new Map((options.statuses ?? []).map((status) => [status.name, status]));
  writer.write(LEVEL_0, `${options.space}${options.label}:${containers.length === 0 ? ' <none>' : ''}\n`);
  for (const container of containers) {
    const status = statuses.get(container.name);
    writer.write(LEVEL_1, `${options.space ? ' ' : ''}${container.name}:\n`);
    if (status) writer.write(LEVEL_2, `Container ID:\t${status.containerID ?? ''}\n`);
    writer.write(LEVEL_2, `Image:\t${container.image ?? ''}\n`);
    if (status) writer.write(LEVEL_2, `Image ID:\t${status.imageID ?? ''}\n`);
    const ports: KubeObject[] = container.ports ?? [];
    const portText = ports.map((port) => `${port.containerPort ?? 0}/${port.protocol ?? ''}`).join(', ');
    writer.write(LEVEL_2, portText.includes(',') ? `Ports:\t${portText}\n` : `Port:\t${portText || '<none>'}\n`);
    const hostPortText = ports.map((port) => `${port.hostPort ?? 0}/${port.protocol ?? ''}`).join(', ');
    writer.write(LEVEL_2, hostPortText.includes(',') ? `Host Ports:\t${hostPortText}\n` : `Host Port:\t${hostPortText || '<none>'}\n`);
    const seccomp = container.securityContext?.seccompProfile;
    if (seccomp) {
      writer.write(LEVEL_2, `SeccompProfile:\t${seccomp.type ?? ''}\n`);
      if (seccomp.type === 'Localhost') writer.write(LEVEL_3, `LocalhostProfile:\t${seccomp.localhostProfile ?? ''}\n`);
    }
    for (const [title, words] of [['Command', container.command], ['Args', container.args]] as const) {
      if (!words?.length) continue;
      writer.write(LEVEL_2, `${title}:\n`);
      for (const word of words as string[]) for (const line of String(word).split('\n')) writer.write(LEVEL_3, `${line}\n`);
    }
    if (status) {
      describeState(writer, 'State', status.state);
      if (status.lastState?.terminated) describeState(writer, 'Last State', status.lastState);
      writer.write(LEVEL_2, `Ready:\t${printBool(status.ready)}\n`);
      writer.write(LEVEL_2, `Restart Count:\t${status.restartCount ?? 0}\n`);
    }
    describeResources(writer, container.resources ?? {}, LEVEL_2);
    if (container.livenessProbe) writer.write(LEVEL_2, `Liveness:\t${describeProbe(container.livenessProbe)}\n`);
    if (container.readinessProbe) writer.write(LEVEL_2, `Readiness:\t${describeProbe(container.readinessProbe)}\n`);
    if (container.startupProbe) writer.write(LEVEL_2, `Startup:\t${describeProbe(container.startupProbe)}\n`);
    if (container.envFrom?.length) describeContainerEnvFrom(writer, container);
    describeContainerEnvVars(writer, container, options.resolve);
    const mounts: KubeObject[] = [...(container.volumeMounts ?? [])].sort((a, b) => compareStrings(a.mountPath ?? '', b.mountPath ?? ''));
    const none = mounts.length === 0 ? '\t<none>' : '';
    writer.write(LEVEL_2, `Mounts:${none}\n`);
    for (const mount of mounts) {
      const flags = [mount.readOnly ? 'ro' : 'rw', ...(mount.subPath ? [`path=${JSON.stringify(mount.subPath)}`] : [])];
      writer.write(LEVEL_3, `${mount.mountPath} from ${mount.name} (${flags.join(',')})\n`);
    }
    if (container.volumeDevices?.length) {
      writer.write(LEVEL_2, `Devices:${none}\n`);
      const devices: KubeObject[] = [...container.volumeDevices].sort((a, b) => compareStrings(a.devicePath ?? '', b.devicePath ?? ''));
      for (const device of devices) writer.write(LEVEL_3, `${device.devicePath} from ${device.name}\n`);
    }
  }
}

function volumeSource(writer: DescribeWriter, volume: KubeObject): void {
  const line = (text: string) => writer.write(LEVEL_2, text);
  if (volume.hostPath) {
    line(`Type:\tHostPath (bare host directory volume)\n    Path:\t${volume.hostPath.path ?? ''}\n    HostPathType:\t${volume.hostPath.type ?? '<none>'}\n`);
  } else if (volume.emptyDir) {
    const limit = parseQuantity(volume.emptyDir.sizeLimit);
    const sizeLimit = limit && limit.mantissa > 0n ? formatQuantity(limit) : '<unset>';
    line(`Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t${volume.emptyDir.medium ?? ''}\n    SizeLimit:\t${sizeLimit}\n`);
  } else if (volume.secret) {
    line(`Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t${volume.secret.secretName ?? ''}\n    Optional:\t${volume.secret.optional === true}\n`);
  } else if (volume.configMap) {
    line(`Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t${volume.configMap.name ?? ''}\n    Optional:\t${volume.configMap.optional === true}\n`);
  } else if (volume.persistentVolumeClaim) {
    line(`Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n    ClaimName:\t${volume.persistentVolumeClaim.claimName ?? ''}\n    ReadOnly:\t${volume.persistentVolumeClaim.readOnly === true}\n`);
  } else if (volume.projected) {
    line('Type:\tProjected (a volume that contains injected data from multiple sources)\n');
    // kubectl 1.32 prints the *bool optional with %v: <nil> when unset, a memory address when set (the value here).
    const optional = (value: unknown) => (value === undefined || value === null ? '<nil>' : String(value));
    for (const source of volume.projected.sources ?? []) {
      if (source.secret) line(`SecretName:\t${source.secret.name ?? ''}\n    SecretOptionalName:\t${optional(source.secret.optional)}\n`);
      else if (source.downwardAPI) line('DownwardAPI:\ttrue\n');
      else if (source.configMap) line(`ConfigMapName:\t${source.configMap.name ?? ''}\n    ConfigMapOptional:\t${optional(source.configMap.optional)}\n`);
      else if (source.serviceAccountToken) line(`TokenExpirationSeconds:\t${source.serviceAccountToken.expirationSeconds ?? '<unset>'}\n`);
    }
  } else if (volume.downwardAPI) {
    line('Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n');
    for (const item of volume.downwardAPI.items ?? []) {
      if (item.fieldRef) writer.write(LEVEL_3, `${item.fieldRef.fieldPath} -> ${item.path}\n`);
      if (item.resourceFieldRef) writer.write(LEVEL_3, `${item.resourceFieldRef.resource} -> ${item.path}\n`);
    }
  } else if (volume.nfs) {
    line(`Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n    Server:\t${volume.nfs.server ?? ''}\n    Path:\t${volume.nfs.path ?? ''}\n    ReadOnly:\t${volume.nfs.readOnly === true}\n`);
  } else if (volume.csi) {
    line(`Type:\tCSI (a Container Storage Interface (CSI) volume source)\n    Driver:\t${volume.csi.driver ?? ''}\n    FSType:\t${volume.csi.fsType ?? ''}\n    ReadOnly:\t${volume.csi.readOnly === true}\n`);
    printVolumeAttributes(writer, volume.csi.volumeAttributes);
  } else if (volume.ephemeral) {
    line('Type:\tEphemeralVolume (an inline specification for a volume that gets created and deleted with the pod)\n');
    const template = volume.ephemeral.volumeClaimTemplate;
    if (template) printPersistentVolumeClaim(nestedWriter(writer, LEVEL_2), { metadata: template.metadata ?? {}, spec: template.spec ?? {} }, { full: false, now: 0 });
  } else {
    // kubectl knows ~25 more in-tree volume types; rather than print "<unknown>" where it prints details, let it print them.
    throw new NativeDescribeUnsupported(`the volume type of "${volume.name}"`);
  }
}

/** printCSIPersistentVolumeAttributesMultiline */
export function printVolumeAttributes(writer: DescribeWriter, attributes: Record<string, string> | undefined): void {
  writer.write(LEVEL_2, 'VolumeAttributes:\t');
  const keys = Object.keys(attributes ?? {}).sort(compareStrings);
  if (keys.length === 0) {
    writer.line('<none>');
    return;
  }
  keys.forEach((key, index) => {
    if (index !== 0) writer.write(LEVEL_2, '\t');
    const text = `${key}=${attributes![key]}`;
    writer.write(LEVEL_2, Buffer.byteLength(text) > 140 ? `${Buffer.from(text).subarray(0, 140).toString()}...\n` : `${text}\n`);
  });
}

/** printPersistentVolumeClaim: shared by the PVC describer and ephemeral volume templates. */
export function printPersistentVolumeClaim(writer: DescribeWriter, claim: KubeObject, options: { full: boolean; now: number }): void {
  const { full } = options;
  if (full) {
    writer.write(LEVEL_0, `Name:\t${claim.metadata?.name ?? ''}\n`);
    writer.write(LEVEL_0, `Namespace:\t${claim.metadata?.namespace ?? ''}\n`);
  }
  writer.write(LEVEL_0, `StorageClass:\t${claimStorageClass(claim)}\n`);
  if (full) {
    if (claim.metadata?.deletionTimestamp) writer.write(LEVEL_0, `Status:\tTerminating (lasts ${since(claim.metadata.deletionTimestamp, options.now)})\n`);
    else writer.write(LEVEL_0, `Status:\t${claim.status?.phase ?? ''}\n`);
  }
  writer.write(LEVEL_0, `Volume:\t${claim.spec?.volumeName ?? ''}\n`);
  printLabelsMultiline(writer, 'Labels', claim.metadata?.labels);
  printAnnotationsMultiline(writer, 'Annotations', claim.metadata?.annotations);
  if (full) writer.write(LEVEL_0, `Finalizers:\t[${(claim.metadata?.finalizers ?? []).join(' ')}]\n`);
  let capacity = '';
  let accessModes = '';
  if (claim.spec?.volumeName) {
    accessModes = accessModesString(claim.status?.accessModes);
    capacity = quantityString(claim.status?.capacity?.storage);
  }
  writer.write(LEVEL_0, `Capacity:\t${capacity}\n`);
  writer.write(LEVEL_0, `Access Modes:\t${accessModes}\n`);
  if (claim.spec?.volumeMode) writer.write(LEVEL_0, `VolumeMode:\t${claim.spec.volumeMode}\n`);
  const dataSource = claim.spec?.dataSource;
  if (dataSource) {
    writer.write(LEVEL_0, 'DataSource:\n');
    if (dataSource.apiGroup !== undefined && dataSource.apiGroup !== null) writer.write(LEVEL_1, `APIGroup:\t${dataSource.apiGroup}\n`);
    writer.write(LEVEL_1, `Kind:\t${dataSource.kind ?? ''}\n`);
    writer.write(LEVEL_1, `Name:\t${dataSource.name ?? ''}\n`);
  }
}

/** storageutil.GetPersistentVolumeClaimClass: the beta annotation wins over spec.storageClassName. */
export function claimStorageClass(claim: KubeObject): string {
  const annotation = claim.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'];
  if (annotation !== undefined) return annotation;
  return claim.spec?.storageClassName ?? '';
}

/** storageutil.GetAccessModesAsString: RWO,ROX,RWX,RWOP in that order, each once. */
export function accessModesString(modes: string[] | undefined): string {
  const present = new Set(modes ?? []);
  const abbreviations: Array<[string, string]> = [['ReadWriteOnce', 'RWO'], ['ReadOnlyMany', 'ROX'], ['ReadWriteMany', 'RWX'], ['ReadWriteOncePod', 'RWOP']];
  return abbreviations.filter(([mode]) => present.has(mode)).map(([, short]) => short).join(',');
}

/** describeVolumes */
export function describeVolumes(writer: DescribeWriter, volumes: KubeObject[] | undefined, space: string): void {
  if (!volumes?.length) {
    writer.write(LEVEL_0, `${space}Volumes:\t<none>\n`);
    return;
  }
  writer.write(LEVEL_0, `${space}Volumes:\n`);
  for (const volume of volumes) {
    writer.write(LEVEL_1, `${space ? ' ' : ''}${volume.name}:\n`);
    volumeSource(writer, volume);
  }
}

/** describeTopologySpreadConstraints */
export function describeTopologySpreadConstraints(writer: DescribeWriter, constraints: KubeObject[] | undefined, space: string): void {
  if (!constraints?.length) return;
  const sorted = [...constraints].sort((a, b) => compareStrings(a.topologyKey ?? '', b.topologyKey ?? ''));
  writer.write(LEVEL_0, `${space}Topology Spread Constraints:\t`);
  sorted.forEach((constraint, index) => {
    if (index !== 0) writer.write(LEVEL_0, `${space}\t`);
    let text = `${constraint.topologyKey ?? ''}:${constraint.whenUnsatisfiable ?? ''} when max skew ${constraint.maxSkew ?? 0} is exceeded`;
    if (constraint.labelSelector) text += ` for selector ${formatLabelSelector(constraint.labelSelector)}`;
    writer.write(LEVEL_0, `${text}\n`);
  });
}

/** DescribePodTemplate */
export function describePodTemplate(writer: DescribeWriter, template: KubeObject | undefined): void {
  writer.write(LEVEL_0, 'Pod Template:\n');
  if (!template) {
    writer.write(LEVEL_1, '<unset>');
    return;
  }
  const spec = template.spec ?? {};
  printLabelsMultiline(writer, '  Labels', template.metadata?.labels);
  if (Object.keys(template.metadata?.annotations ?? {}).length > 0) printAnnotationsMultiline(writer, '  Annotations', template.metadata.annotations);
  if (spec.serviceAccountName) writer.write(LEVEL_1, `Service Account:\t${spec.serviceAccountName}\n`);
  if (spec.initContainers?.length) describeContainers(writer, { label: 'Init Containers', containers: spec.initContainers, space: '  ' });
  describeContainers(writer, { label: 'Containers', containers: spec.containers, space: '  ' });
  describeVolumes(writer, spec.volumes, '  ');
  describeTopologySpreadConstraints(writer, spec.topologySpreadConstraints, '  ');
  if (spec.priorityClassName) writer.write(LEVEL_1, `Priority Class Name:\t${spec.priorityClassName}\n`);
  printLabelsMultiline(writer, '  Node-Selectors', spec.nodeSelector);
  printTolerationsMultiline(writer, '  Tolerations', spec.tolerations);
}
