/** `kubectl describe node`, natively (NodeDescriber): conditions, capacity, the pods on it and what they request. */
import { KubeApiError } from '../../../kube/kube-api-error.ts';
import { listAll, type DescribeContext, type NativeDescriber } from './describe-context.ts';
import { eventsOrNone, writeEvents } from './describe-events.ts';
import { compareStrings, formatTime, printAnnotationsMultiline, printLabelsMultiline, printTaintsMultiline, since, type KubeObject } from './describe-format.ts';
import { createDescribeWriter, LEVEL_0, LEVEL_1, type DescribeWriter } from './describe-writer.ts';
import { addResourceList, podRequestsAndLimits, type ResourceList } from './pod-requests.ts';
import { formatQuantity, parseQuantity, quantityMilliValue, quantityString, quantityValue, type Quantity } from '../quantity.ts';

export const describeNode: NativeDescriber = {
  group: '',
  kind: 'Node',
  version: 'v1',
  // The node's pods and its lease need only its name: read while the node itself is read (one round of requests).
  prefetch(context, { name }) {
    return Promise.resolve(nodeReads(context, name));
  },
  async describe(node, context, prefetched) {
    const name: string = node.metadata.name;
    const { podsRequest, leaseRequest } = ((await prefetched?.catch(() => undefined)) as NodeReads | undefined) ?? nodeReads(context, name);
    // Controllers record node events against the node's uid, the kubelet against its name: kubectl asks for both.
    const [byUid, byName, lease] = await Promise.all([
      eventsOrNone(context, { name, namespace: '', kind: 'Node', uid: node.metadata.uid }),
      eventsOrNone(context, { name, namespace: '', kind: 'Node', uid: name }),
      leaseRequest,
    ]);
    const pods = await podsRequest;
    const writer = createDescribeWriter();
    const spec = node.spec ?? {};
    const status = node.status ?? {};
    writer.write(LEVEL_0, `Name:\t${name}\n`);
    const roles = nodeRoles(node.metadata.labels ?? {});
    writer.write(LEVEL_0, `Roles:\t${roles.length ? roles.join(',') : '<none>'}\n`);
    printLabelsMultiline(writer, 'Labels', node.metadata.labels);
    printAnnotationsMultiline(writer, 'Annotations', node.metadata.annotations);
    writer.write(LEVEL_0, `CreationTimestamp:\t${formatTime(node.metadata.creationTimestamp)}\n`);
    printTaintsMultiline(writer, 'Taints', spec.taints);
    writer.write(LEVEL_0, `Unschedulable:\t${spec.unschedulable === true}\n`);
    writer.write(LEVEL_0, lease);
    if (status.conditions?.length) {
      writer.write(LEVEL_0, 'Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n');
      writer.write(LEVEL_1, '----\t------\t-----------------\t------------------\t------\t-------\n');
      for (const condition of status.conditions) {
        writer.write(LEVEL_1, `${condition.type} \t${condition.status} \t${formatTime(condition.lastHeartbeatTime)} \t${formatTime(condition.lastTransitionTime)} \t${condition.reason ?? ''} \t${condition.message ?? ''}\n`);
      }
    }
    writer.write(LEVEL_0, 'Addresses:\n');
    for (const address of status.addresses ?? []) writer.write(LEVEL_1, `${address.type}:\t${address.address}\n`);
    for (const [title, list] of [['Capacity', status.capacity], ['Allocatable', status.allocatable]] as const) {
      const names = Object.keys(list ?? {}).sort(compareStrings);
      if (names.length === 0) continue;
      writer.write(LEVEL_0, `${title}:\n`);
      for (const resource of names) writer.write(LEVEL_0, `  ${resource}:\t${quantityString(list[resource])}\n`);
    }
    const info = status.nodeInfo ?? {};
    writer.write(LEVEL_0, 'System Info:\n');
    writer.write(LEVEL_0, `  Machine ID:\t${info.machineID ?? ''}\n`);
    writer.write(LEVEL_0, `  System UUID:\t${info.systemUUID ?? ''}\n`);
    writer.write(LEVEL_0, `  Boot ID:\t${info.bootID ?? ''}\n`);
    writer.write(LEVEL_0, `  Kernel Version:\t${info.kernelVersion ?? ''}\n`);
    writer.write(LEVEL_0, `  OS Image:\t${info.osImage ?? ''}\n`);
    writer.write(LEVEL_0, `  Operating System:\t${info.operatingSystem ?? ''}\n`);
    writer.write(LEVEL_0, `  Architecture:\t${info.architecture ?? ''}\n`);
    writer.write(LEVEL_0, `  Container Runtime Version:\t${info.containerRuntimeVersion ?? ''}\n`);
    writer.write(LEVEL_0, `  Kubelet Version:\t${info.kubeletVersion ?? ''}\n`);
    writer.write(LEVEL_0, `  Kube-Proxy Version:\t${info.kubeProxyVersion ?? ''}\n`);
    if (spec.podCIDR) writer.write(LEVEL_0, `PodCIDR:\t${spec.podCIDR}\n`);
    if (spec.podCIDRs?.length) writer.write(LEVEL_0, `PodCIDRs:\t${spec.podCIDRs.join(',')}\n`);
    if (spec.providerID) writer.write(LEVEL_0, `ProviderID:\t${spec.providerID}\n`);
    if (pods) describeNodeResources(writer, node, pods, context.now);
    else writer.write(LEVEL_0, 'Pods:\tnot authorized\n');
    writeEvents(writer, [...byUid, ...byName], context.now);
    return writer.toString();
  },
};

interface NodeReads {
  podsRequest: Promise<KubeObject[] | undefined>;
  leaseRequest: Promise<string>;
}

function nodeReads(context: DescribeContext, name: string): NodeReads {
  const podsRequest = listAll(context, '/api/v1/pods', { fieldSelector: `spec.nodeName=${name},status.phase!=Succeeded,status.phase!=Failed` }).catch((error) => {
    // In a policy-aware cluster a user may read nodes but not pods: kubectl says so instead of failing.
    if (error instanceof KubeApiError && error.status === 403) return undefined;
    throw error;
  });
  // Nobody may await it (the node turns out missing): keep that from being an unhandled rejection.
  podsRequest.catch(() => undefined);
  return { podsRequest, leaseRequest: leaseText(context, name) };
}

async function leaseText(context: DescribeContext, name: string): Promise<string> {
  try {
    const lease = await context.http.json<KubeObject>({ path: `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${encodeURIComponent(name)}`, signal: context.signal });
    const spec = lease.spec ?? {};
    return [
      'Lease:\n',
      `  HolderIdentity:\t${spec.holderIdentity ?? '<unset>'}\n`,
      `  AcquireTime:\t${spec.acquireTime ? formatTime(spec.acquireTime) : '<unset>'}\n`,
      `  RenewTime:\t${spec.renewTime ? formatTime(spec.renewTime) : '<unset>'}\n`,
    ].join('');
  } catch (error) {
    if (context.signal?.aborted) throw error;
    return `Lease:\tFailed to get lease: ${error instanceof Error ? error.message : String(error)}\n`;
  }
}

/** findNodeRoles */
function nodeRoles(labels: Record<string, string>): string[] {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(labels)) {
    if (key.startsWith('node-role.kubernetes.io/')) {
      const role = key.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (key === 'kubernetes.io/role' && value !== '') {
      roles.add(value);
    }
  }
  return [...roles].sort(compareStrings);
}

const ZERO: Quantity = { mantissa: 0n, scale: 0, format: 'DecimalSI' };

/** int64(float64(part) / float64(whole) * 100), as Go computes it (a zero whole gives Go's int64 of NaN/Inf). */
function percent(part: bigint, whole: bigint): string {
  if (whole === 0n) return '-9223372036854775808';
  return String(Math.trunc((Number(part) / Number(whole)) * 100));
}

/** describeNodeResource */
function describeNodeResources(writer: DescribeWriter, node: KubeObject, pods: KubeObject[], now: number): void {
  const rawAllocatable = Object.keys(node.status?.allocatable ?? {}).length > 0 ? node.status.allocatable : (node.status?.capacity ?? {});
  const allocatable = new Map<string, Quantity>(Object.entries(rawAllocatable).flatMap(([name, value]) => {
    const quantity = parseQuantity(value);
    return quantity ? [[name, quantity] as [string, Quantity]] : [];
  }));
  const get = (list: ResourceList, name: string) => list.get(name) ?? ZERO;
  const cpuMilli = quantityMilliValue(get(allocatable, 'cpu'));
  const memory = quantityValue(get(allocatable, 'memory'));
  writer.write(LEVEL_0, `Non-terminated Pods:\t(${pods.length} in total)\n`);
  writer.write(LEVEL_1, 'Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n');
  writer.write(LEVEL_1, '---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n');
  const totalRequests: ResourceList = new Map();
  const totalLimits: ResourceList = new Map();
  for (const pod of pods) {
    const { requests, limits } = podRequestsAndLimits(pod);
    addResourceList(totalRequests, requests);
    addResourceList(totalLimits, limits);
    const cell = (quantity: Quantity, whole: bigint, milli: boolean) => `${formatQuantity(quantity)} (${percent(milli ? quantityMilliValue(quantity) : quantityValue(quantity), whole)}%)`;
    writer.write(
      LEVEL_1,
      `${pod.metadata.namespace}\t${pod.metadata.name}\t\t${cell(get(requests, 'cpu'), cpuMilli, true)}\t${cell(get(limits, 'cpu'), cpuMilli, true)}\t${cell(get(requests, 'memory'), memory, false)}\t${cell(get(limits, 'memory'), memory, false)}\t${since(pod.metadata.creationTimestamp, now)}\n`,
    );
  }
  writer.write(LEVEL_0, 'Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n');
  writer.write(LEVEL_1, 'Resource\tRequests\tLimits\n');
  writer.write(LEVEL_1, '--------\t--------\t------\n');
  // The totals guard against a zero allocatable (the per-pod rows above do not, in kubectl either).
  const total = (name: string, whole: bigint, milli: boolean) => {
    const value = (quantity: Quantity) => (milli ? quantityMilliValue(quantity) : quantityValue(quantity));
    const share = (quantity: Quantity) => (whole === 0n ? '0' : percent(value(quantity), whole));
    return `${name}\t${formatQuantity(get(totalRequests, name))} (${share(get(totalRequests, name))}%)\t${formatQuantity(get(totalLimits, name))} (${share(get(totalLimits, name))}%)\n`;
  };
  writer.write(LEVEL_1, total('cpu', cpuMilli, true));
  writer.write(LEVEL_1, total('memory', memory, false));
  writer.write(LEVEL_1, total('ephemeral-storage', quantityValue(get(allocatable, 'ephemeral-storage')), false));
  const names = [...allocatable.keys()];
  for (const name of names.filter((resource) => resource.startsWith('hugepages-')).sort(compareStrings)) {
    writer.write(LEVEL_1, total(name, quantityValue(get(allocatable, name)), false));
  }
  const standard = new Set(['cpu', 'memory', 'ephemeral-storage', 'pods']);
  for (const name of names.filter((resource) => !standard.has(resource) && !resource.startsWith('hugepages-')).sort(compareStrings)) {
    writer.write(LEVEL_1, `${name}\t${formatQuantity(get(totalRequests, name))}\t${formatQuantity(get(totalLimits, name))}\n`);
  }
}
