import type { KubeObject } from '../cluster-types.ts';
import { formatStructuredSelector } from '../selectors/label-selector.ts';
import { ageSince, humanDuration } from './human-duration.ts';
import { toCoreEvent } from '../store/event-mirror.ts';
import { podStatusCells } from './pod-status.ts';
import { hpaToV2 } from '../resources/version-conversion.ts';

export interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TablePrinter {
  columns: ColumnDefinition[];
  cells(object: KubeObject, now: Date): unknown[];
}

type ColumnSpec = string | [name: string, priority: number] | [name: string, priority: number, type: string];

export function columns(...specs: ColumnSpec[]): ColumnDefinition[] {
  return specs.map((spec) => {
    const [name, priority, type] = typeof spec === 'string' ? [spec, 0, 'string'] : [spec[0], spec[1], spec[2] ?? 'string'];
    return { name, type, format: name === 'Name' ? 'name' : '', description: '', priority };
  });
}

const none = '<none>';
const orNone = (value: unknown): string => (value === undefined || value === null || value === '' ? none : String(value));

function containerCells(podSpec: any): [string, string] {
  const containers: any[] = podSpec?.containers ?? [];
  return [containers.map((container) => container.name).join(','), containers.map((container) => container.image).join(',')];
}

function servicePorts(spec: any): string {
  const ports: any[] = spec?.ports ?? [];
  if (ports.length === 0) return none;
  return ports.map((port) => `${port.port}${port.nodePort ? `:${port.nodePort}` : ''}/${port.protocol ?? 'TCP'}`).join(',');
}

function externalIp(service: KubeObject): string {
  const spec = service.spec ?? {};
  const ingress: any[] = service.status?.loadBalancer?.ingress ?? [];
  const external: string[] = spec.externalIPs ?? [];
  switch (spec.type) {
    case 'ExternalName':
      return spec.externalName ?? none;
    case 'LoadBalancer': {
      const addresses = [...ingress.map((entry) => entry.ip ?? entry.hostname), ...external].filter(Boolean);
      return addresses.length ? addresses.join(',') : '<pending>';
    }
    default:
      return external.length ? external.join(',') : none;
  }
}

function nodeStatus(node: KubeObject): string {
  const ready = (node.status?.conditions ?? []).find((condition: any) => condition.type === 'Ready');
  const parts = [!ready ? 'Unknown' : ready.status === 'True' ? 'Ready' : ready.status === 'Unknown' ? 'Unknown' : 'NotReady'];
  if (node.spec?.unschedulable) parts.push('SchedulingDisabled');
  return parts.join(',');
}

function nodeRoles(node: KubeObject): string {
  const roles = Object.keys(node.metadata.labels ?? {})
    .filter((label) => label.startsWith('node-role.kubernetes.io/'))
    .map((label) => label.slice('node-role.kubernetes.io/'.length))
    .filter(Boolean);
  const kubernetesRole = node.metadata.labels?.['kubernetes.io/role'];
  if (kubernetesRole) roles.push(kubernetesRole);
  return roles.length ? roles.sort().join(',') : none;
}

function nodeAddress(node: KubeObject, type: string): string {
  return orNone((node.status?.addresses ?? []).find((address: any) => address.type === type)?.address);
}

function jobStatus(job: KubeObject): string {
  const conditions: any[] = job.status?.conditions ?? [];
  const has = (type: string) => conditions.some((condition) => condition.type === type && condition.status === 'True');
  if (has('Complete')) return 'Complete';
  if (has('Failed')) return 'Failed';
  if (has('FailureTarget')) return 'FailureTarget';
  if (has('SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  if (job.spec?.suspend || has('Suspended')) return 'Suspended';
  return 'Running';
}

function jobDuration(job: KubeObject, now: Date): string {
  const start = job.status?.startTime;
  if (!start) return '';
  const end = job.status?.completionTime ? Date.parse(job.status.completionTime) : now.getTime();
  return humanDuration(end - Date.parse(start));
}

/** formatHPAMetrics of the API server's printers: `cpu: 34%/70%`, `<unknown>` until the controller reports. */
function hpaTargets(stored: KubeObject): string {
  const hpa = hpaToV2(stored);
  const specs: any[] = hpa.spec?.metrics ?? [];
  if (specs.length === 0) return '<none>';
  const statuses: any[] = hpa.status?.currentMetrics ?? [];
  const list = specs.map((spec, index) => {
    const status = statuses[index];
    switch (spec.type) {
      case 'External':
      case 'Object': {
        const source = spec.type === 'External' ? spec.external : spec.object;
        const current = spec.type === 'External' ? status?.external?.current : status?.object?.current;
        if (source?.target?.averageValue !== undefined) return `${current?.averageValue ?? '<unknown>'}/${source.target.averageValue} (avg)`;
        return `${current ? current.value : '<unknown>'}/${source?.target?.value}`;
      }
      case 'Pods':
        return `${status?.pods?.current?.averageValue ?? '<unknown>'}/${spec.pods?.target?.averageValue}`;
      case 'Resource':
      case 'ContainerResource': {
        const source = spec.type === 'Resource' ? spec.resource : spec.containerResource;
        const current = spec.type === 'Resource' ? status?.resource?.current : status?.containerResource?.current;
        if (source?.target?.averageValue !== undefined) return `${source.name}: ${current?.averageValue ?? '<unknown>'}/${source.target.averageValue}`;
        const actual = current?.averageUtilization !== undefined ? `${current.averageUtilization}%` : '<unknown>';
        const wanted = source?.target?.averageUtilization !== undefined ? `${source.target.averageUtilization}%` : '<auto>';
        return `${source?.name}: ${actual}/${wanted}`;
      }
      default:
        return '<unknown type>';
    }
  });
  return list.length > 2 ? `${list.slice(0, 2).join(', ')} + ${list.length - 2} more...` : list.join(', ');
}

function subjectNames(binding: KubeObject, kind: string): string {
  return (binding.subjects ?? [])
    .filter((subject: any) => subject.kind === kind)
    .map((subject: any) => (kind === 'ServiceAccount' ? `${subject.namespace ?? binding.metadata.namespace ?? ''}/${subject.name}` : subject.name))
    .join(', ');
}

function endpointsText(endpoints: KubeObject): string {
  const addresses: string[] = [];
  for (const subset of endpoints.subsets ?? []) {
    for (const address of subset.addresses ?? []) {
      for (const port of subset.ports?.length ? subset.ports : [{}]) addresses.push(port.port ? `${address.ip}:${port.port}` : address.ip);
    }
  }
  if (addresses.length === 0) return none;
  return addresses.length > 3 ? `${addresses.slice(0, 3).join(',')} + ${addresses.length - 3} more...` : addresses.join(',');
}

/** kubectl's listWithMoreString: the first three, then `+ N more...`; `<unset>` when empty. */
function listWithMore(items: string[]): string {
  if (items.length === 0) return '<unset>';
  return items.length > 3 ? `${items.slice(0, 3).join(',')} + ${items.length - 3} more...` : items.join(',');
}

function eventTime(event: KubeObject): string | undefined {
  return event.lastTimestamp ?? event.eventTime ?? event.series?.lastObservedTime ?? event.deprecatedLastTimestamp ?? event.metadata.creationTimestamp;
}

export const age = (object: KubeObject, now: Date) => ageSince(object.metadata.creationTimestamp, now);
const name = (object: KubeObject) => object.metadata.name;
const count = (value: unknown) => (value && typeof value === 'object' ? Object.keys(value).length : 0);

/** Printers keyed by `group/resource`, with the columns and priorities the real API server returns. */
export const tablePrinters: Record<string, TablePrinter> = {
  '/pods': {
    columns: columns('Name', 'Ready', 'Status', ['Restarts', 0, 'string'], 'Age', ['IP', 1], ['Node', 1], ['Nominated Node', 1], ['Readiness Gates', 1]),
    cells(pod, now) {
      const status = podStatusCells(pod, now);
      const gates: any[] = pod.spec?.readinessGates ?? [];
      const gateText = gates.length
        ? `${gates.filter((gate) => (pod.status?.conditions ?? []).some((condition: any) => condition.type === gate.conditionType && condition.status === 'True')).length}/${gates.length}`
        : none;
      return [name(pod), status.ready, status.status, status.restarts, age(pod, now), orNone(pod.status?.podIPs?.[0]?.ip ?? pod.status?.podIP), orNone(pod.spec?.nodeName), orNone(pod.status?.nominatedNodeName), gateText];
    },
  },
  'apps/deployments': {
    columns: columns('Name', 'Ready', 'Up-to-date', 'Available', 'Age', ['Containers', 1], ['Images', 1], ['Selector', 1]),
    cells(deployment, now) {
      const status = deployment.status ?? {};
      return [name(deployment), `${status.readyReplicas ?? 0}/${deployment.spec?.replicas ?? 0}`, status.updatedReplicas ?? 0, status.availableReplicas ?? 0, age(deployment, now), ...containerCells(deployment.spec?.template?.spec), formatStructuredSelector(deployment.spec?.selector)];
    },
  },
  'apps/replicasets': {
    columns: columns('Name', 'Desired', 'Current', 'Ready', 'Age', ['Containers', 1], ['Images', 1], ['Selector', 1]),
    cells(replicaSet, now) {
      const status = replicaSet.status ?? {};
      return [name(replicaSet), replicaSet.spec?.replicas ?? 0, status.replicas ?? 0, status.readyReplicas ?? 0, age(replicaSet, now), ...containerCells(replicaSet.spec?.template?.spec), formatStructuredSelector(replicaSet.spec?.selector)];
    },
  },
  'apps/statefulsets': {
    columns: columns('Name', 'Ready', 'Age', ['Containers', 1], ['Images', 1]),
    cells(statefulSet, now) {
      return [name(statefulSet), `${statefulSet.status?.readyReplicas ?? 0}/${statefulSet.spec?.replicas ?? 0}`, age(statefulSet, now), ...containerCells(statefulSet.spec?.template?.spec)];
    },
  },
  'apps/daemonsets': {
    columns: columns('Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age', ['Containers', 1], ['Images', 1], ['Selector', 1]),
    cells(daemonSet, now) {
      const status = daemonSet.status ?? {};
      const nodeSelector = Object.entries(daemonSet.spec?.template?.spec?.nodeSelector ?? {}).map(([key, value]) => `${key}=${value}`).join(',');
      return [name(daemonSet), status.desiredNumberScheduled ?? 0, status.currentNumberScheduled ?? 0, status.numberReady ?? 0, status.updatedNumberScheduled ?? 0, status.numberAvailable ?? 0, orNone(nodeSelector), age(daemonSet, now), ...containerCells(daemonSet.spec?.template?.spec), formatStructuredSelector(daemonSet.spec?.selector)];
    },
  },
  'apps/controllerrevisions': {
    columns: columns('Name', 'Controller', 'Revision', 'Age'),
    cells(revision, now) {
      const owner = (revision.metadata.ownerReferences ?? []).find((reference) => reference.controller);
      return [name(revision), owner ? `${owner.kind.toLowerCase()}.${owner.apiVersion.split('/')[0]}/${owner.name}` : none, revision.revision ?? 0, age(revision, now)];
    },
  },
  '/services': {
    columns: columns('Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', ['Selector', 1]),
    cells(service, now) {
      const selector = Object.entries(service.spec?.selector ?? {}).map(([key, value]) => `${key}=${value}`).join(',');
      return [name(service), service.spec?.type ?? 'ClusterIP', orNone(service.spec?.clusterIP), externalIp(service), servicePorts(service.spec), age(service, now), orNone(selector)];
    },
  },
  '/nodes': {
    columns: columns('Name', 'Status', 'Roles', 'Age', 'Version', ['Internal-IP', 1], ['External-IP', 1], ['OS-Image', 1], ['Kernel-Version', 1], ['Container-Runtime', 1]),
    cells(node, now) {
      const info = node.status?.nodeInfo ?? {};
      return [name(node), nodeStatus(node), nodeRoles(node), age(node, now), info.kubeletVersion ?? '', nodeAddress(node, 'InternalIP'), nodeAddress(node, 'ExternalIP'), orNone(info.osImage), orNone(info.kernelVersion), orNone(info.containerRuntimeVersion)];
    },
  },
  '/namespaces': {
    columns: columns('Name', 'Status', 'Age'),
    cells: (namespace, now) => [name(namespace), namespace.status?.phase ?? 'Active', age(namespace, now)],
  },
  '/configmaps': {
    columns: columns('Name', 'Data', 'Age'),
    cells: (configMap, now) => [name(configMap), count(configMap.data) + count(configMap.binaryData), age(configMap, now)],
  },
  '/secrets': {
    columns: columns('Name', 'Type', 'Data', 'Age'),
    cells: (secret, now) => [name(secret), secret.type ?? 'Opaque', count(secret.data), age(secret, now)],
  },
  '/serviceaccounts': {
    columns: columns('Name', 'Secrets', 'Age'),
    cells: (account, now) => [name(account), (account.secrets ?? []).length, age(account, now)],
  },
  '/endpoints': {
    columns: columns('Name', 'Endpoints', 'Age'),
    cells: (endpoints, now) => [name(endpoints), endpointsText(endpoints), age(endpoints, now)],
  },
  'discovery.k8s.io/endpointslices': {
    columns: columns('Name', 'AddressType', 'Ports', 'Endpoints', 'Age'),
    cells(slice, now) {
      const ports = (slice.ports ?? []).map((port: any) => (port.port !== undefined ? String(port.port) : port.name ?? '*'));
      const addresses = (slice.endpoints ?? []).flatMap((endpoint: any) => endpoint.addresses ?? []);
      return [name(slice), slice.addressType ?? '', listWithMore(ports), listWithMore(addresses), age(slice, now)];
    },
  },
  '/events': {
    columns: columns('Last Seen', 'Type', 'Reason', 'Object', ['Subobject', 1], ['Source', 1], 'Message', ['First Seen', 1], ['Count', 1], ['Name', 1]),
    cells(event, now) {
      const involved = event.involvedObject ?? {};
      const source = event.source?.component ? `${event.source.component}${event.source.host ? `, ${event.source.host}` : ''}` : event.reportingComponent ?? '';
      return [ageSince(eventTime(event), now), event.type ?? '', event.reason ?? '', `${String(involved.kind ?? '').toLowerCase()}/${involved.name ?? ''}`, involved.fieldPath ?? '', source, String(event.message ?? '').trim(), ageSince(event.firstTimestamp ?? eventTime(event), now), event.count ?? 1, name(event)];
    },
  },
  '/persistentvolumeclaims': {
    columns: columns('Name', 'Status', 'Volume', 'Capacity', 'Access Modes', 'StorageClass', 'VolumeAttributesClass', 'Age', ['VolumeMode', 1]),
    cells(claim, now) {
      // printPersistentVolumeClaim: capacity and access modes only once a volume is named.
      const bound = Boolean(claim.spec?.volumeName);
      return [
        name(claim),
        claim.metadata.deletionTimestamp ? 'Terminating' : claim.status?.phase ?? '',
        claim.spec?.volumeName ?? '',
        bound ? claim.status?.capacity?.storage ?? '0' : '',
        bound ? accessModesText(claim.status?.accessModes) : '',
        claim.spec?.storageClassName ?? claim.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? '',
        claim.spec?.volumeAttributesClassName || '<unset>',
        age(claim, now),
        claim.spec?.volumeMode ?? '<unset>',
      ];
    },
  },
  '/persistentvolumes': {
    columns: columns('Name', 'Capacity', 'Access Modes', 'Reclaim Policy', 'Status', 'Claim', 'StorageClass', 'VolumeAttributesClass', 'Reason', 'Age', ['VolumeMode', 1]),
    cells(volume, now) {
      const claim = volume.spec?.claimRef ? `${volume.spec.claimRef.namespace ?? ''}/${volume.spec.claimRef.name ?? ''}` : '';
      return [
        name(volume),
        volume.spec?.capacity?.storage ?? '0',
        accessModesText(volume.spec?.accessModes),
        volume.spec?.persistentVolumeReclaimPolicy ?? '',
        volume.metadata.deletionTimestamp ? 'Terminating' : volume.status?.phase ?? '',
        claim,
        volume.spec?.storageClassName ?? volume.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? '',
        volume.spec?.volumeAttributesClassName ?? '<unset>',
        volume.status?.reason ?? '',
        age(volume, now),
        volume.spec?.volumeMode ?? '<unset>',
      ];
    },
  },
  'batch/jobs': {
    columns: columns('Name', 'Status', 'Completions', 'Duration', 'Age', ['Containers', 1], ['Images', 1], ['Selector', 1]),
    cells(job, now) {
      return [name(job), jobStatus(job), `${job.status?.succeeded ?? 0}/${job.spec?.completions ?? 1}`, jobDuration(job, now), age(job, now), ...containerCells(job.spec?.template?.spec), formatStructuredSelector(job.spec?.selector)];
    },
  },
  'batch/cronjobs': {
    columns: columns('Name', 'Schedule', 'Timezone', 'Suspend', 'Active', 'Last Schedule', 'Age', ['Containers', 1], ['Images', 1], ['Selector', 1]),
    cells(cronJob, now) {
      const jobSpec = cronJob.spec?.jobTemplate?.spec;
      return [name(cronJob), cronJob.spec?.schedule ?? '', orNone(cronJob.spec?.timeZone), cronJob.spec?.suspend === undefined ? '<unset>' : cronJob.spec.suspend ? 'True' : 'False', (cronJob.status?.active ?? []).length, cronJob.status?.lastScheduleTime ? ageSince(cronJob.status.lastScheduleTime, now) : none, age(cronJob, now), ...containerCells(jobSpec?.template?.spec), formatStructuredSelector(jobSpec?.selector)];
    },
  },
  'networking.k8s.io/ingresses': {
    columns: columns('Name', 'Class', 'Hosts', 'Address', 'Ports', 'Age'),
    cells(ingress, now) {
      const hosts = (ingress.spec?.rules ?? []).map((rule: any) => rule.host).filter(Boolean);
      const addresses = (ingress.status?.loadBalancer?.ingress ?? []).map((entry: any) => entry.ip ?? entry.hostname).filter(Boolean);
      return [name(ingress), orNone(ingress.spec?.ingressClassName), hosts.length ? hosts.join(',') : '*', addresses.join(','), ingress.spec?.tls?.length ? '80, 443' : '80', age(ingress, now)];
    },
  },
  'networking.k8s.io/networkpolicies': {
    columns: columns('Name', 'Pod-Selector', 'Age'),
    cells(policy, now) {
      const selector = formatStructuredSelector(policy.spec?.podSelector);
      return [name(policy), selector === none ? '<none>' : selector, age(policy, now)];
    },
  },
  'networking.k8s.io/ingressclasses': {
    columns: columns('Name', 'Controller', 'Parameters', 'Age'),
    cells: (ingressClass, now) => [name(ingressClass), ingressClass.spec?.controller ?? '', orNone(ingressClass.spec?.parameters?.name), age(ingressClass, now)],
  },
  'autoscaling/horizontalpodautoscalers': {
    columns: columns('Name', 'Reference', 'Targets', 'MinPods', 'MaxPods', 'Replicas', 'Age'),
    cells(hpa, now) {
      const target = hpa.spec?.scaleTargetRef ?? {};
      return [name(hpa), `${target.kind}/${target.name}`, hpaTargets(hpa), hpa.spec?.minReplicas ?? '<unset>', hpa.spec?.maxReplicas ?? 0, hpa.status?.currentReplicas ?? 0, age(hpa, now)];
    },
  },
  'rbac.authorization.k8s.io/roles': {
    columns: columns('Name', 'Created At'),
    cells: (role) => [name(role), role.metadata.creationTimestamp ?? ''],
  },
  'rbac.authorization.k8s.io/clusterroles': {
    columns: columns('Name', 'Created At'),
    cells: (role) => [name(role), role.metadata.creationTimestamp ?? ''],
  },
  'rbac.authorization.k8s.io/rolebindings': {
    columns: columns('Name', 'Role', 'Age', ['Users', 1], ['Groups', 1], ['ServiceAccounts', 1]),
    cells: (binding, now) => [name(binding), `${binding.roleRef?.kind}/${binding.roleRef?.name}`, age(binding, now), subjectNames(binding, 'User'), subjectNames(binding, 'Group'), subjectNames(binding, 'ServiceAccount')],
  },
  'rbac.authorization.k8s.io/clusterrolebindings': {
    columns: columns('Name', 'Role', 'Age', ['Users', 1], ['Groups', 1], ['ServiceAccounts', 1]),
    cells: (binding, now) => [name(binding), `${binding.roleRef?.kind}/${binding.roleRef?.name}`, age(binding, now), subjectNames(binding, 'User'), subjectNames(binding, 'Group'), subjectNames(binding, 'ServiceAccount')],
  },
  'apiextensions.k8s.io/customresourcedefinitions': {
    columns: columns('Name', 'Created At'),
    cells: (crd) => [name(crd), crd.metadata.creationTimestamp ?? ''],
  },
  'coordination.k8s.io/leases': {
    columns: columns('Name', 'Holder', 'Age'),
    cells: (lease, now) => [name(lease), lease.spec?.holderIdentity ?? '', age(lease, now)],
  },
  'policy/poddisruptionbudgets': {
    columns: columns('Name', 'Min Available', 'Max Unavailable', 'Allowed Disruptions', 'Age'),
    cells: (budget, now) => [name(budget), orNone(budget.spec?.minAvailable) === none ? 'N/A' : String(budget.spec.minAvailable), budget.spec?.maxUnavailable === undefined ? 'N/A' : String(budget.spec.maxUnavailable), budget.status?.disruptionsAllowed ?? 0, age(budget, now)],
  },
  '/resourcequotas': {
    columns: columns('Name', 'Age', 'Request', 'Limit'),
    cells(quota, now) {
      const used = quota.status?.used ?? {};
      const hard: Record<string, string> = quota.status?.hard ?? quota.spec?.hard ?? {};
      const pairs = (filter: (key: string) => boolean) =>
        Object.keys(hard).filter(filter).sort().map((key) => `${key}: ${used[key] ?? '0'}/${hard[key]}`).join(', ');
      return [name(quota), age(quota, now), pairs((key) => !key.startsWith('limits.')), pairs((key) => key.startsWith('limits.'))];
    },
  },
  'scheduling.k8s.io/priorityclasses': {
    columns: columns('Name', 'Value', 'Global-Default', 'Age', 'PreemptionPolicy'),
    cells: (priorityClass, now) => [name(priorityClass), priorityClass.value ?? 0, String(priorityClass.globalDefault ?? false), age(priorityClass, now), priorityClass.preemptionPolicy ?? 'PreemptLowerPriority'],
  },
  'storage.k8s.io/storageclasses': {
    columns: columns('Name', 'Provisioner', 'ReclaimPolicy', 'VolumeBindingMode', 'AllowVolumeExpansion', 'Age'),
    cells(storageClass, now) {
      const annotations = storageClass.metadata.annotations ?? {};
      const isDefault = annotations['storageclass.kubernetes.io/is-default-class'] === 'true' || annotations['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
      return [isDefault ? `${name(storageClass)} (default)` : name(storageClass), storageClass.provisioner ?? '', storageClass.reclaimPolicy ?? 'Delete', storageClass.volumeBindingMode ?? 'Immediate', String(storageClass.allowVolumeExpansion ?? false), age(storageClass, now)];
    },
  },
};

// events.k8s.io/v1 Events print like core ones, through the conversion the server uses.
tablePrinters['events.k8s.io/events'] = {
  columns: tablePrinters['/events'].columns,
  cells: (event, now) => tablePrinters['/events'].cells(toCoreEvent(event), now),
};

/** GetAccessModesAsString: a fixed order (RWO, ROX, RWX, RWOP), each mode once. */
function accessModesText(modes: string[] | undefined): string {
  const list = modes ?? [];
  return [['ReadWriteOnce', 'RWO'], ['ReadOnlyMany', 'ROX'], ['ReadWriteMany', 'RWX'], ['ReadWriteOncePod', 'RWOP']]
    .filter(([mode]) => list.includes(mode))
    .map(([, short]) => short)
    .join(',');
}

/** NAME and AGE, for kinds without a printer (as the API server does). */
export const defaultPrinter: TablePrinter = {
  columns: columns('Name', 'Age'),
  cells: (object, now) => [name(object), age(object, now)],
};
