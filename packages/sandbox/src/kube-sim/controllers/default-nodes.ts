import type { KubeObject } from '../cluster-types.ts';
import type { WorkloadContext } from '../workloads/workload-context.ts';

/** A simulated node, as a scenario describes it. */
export interface NodeSpec {
  name: string;
  role?: 'control-plane' | 'worker';
  /** allocatable cores, e.g. "4" */
  cpu?: string;
  memory?: string;
  pods?: number;
  labels?: Record<string, string>;
  taints?: Array<{ key: string; value?: string; effect: string }>;
  unschedulable?: boolean;
}

export const defaultNodes: NodeSpec[] = [
  { name: 'sim-control-plane', role: 'control-plane', cpu: '2', memory: '8Gi' },
  { name: 'sim-worker-1', role: 'worker', cpu: '4', memory: '16Gi' },
  { name: 'sim-worker-2', role: 'worker', cpu: '4', memory: '16Gi' },
];

function reservedMemory(memory: string): string {
  // Allocatable is capacity minus the kubelet's reservations; a fixed 512Mi keeps numbers plausible.
  const match = /^(\d+)Gi$/.exec(memory);
  return match ? `${Number(match[1]) * 1024 * 1024 - 524288}Ki` : memory;
}

export function nodeObject(spec: NodeSpec, index: number, timestamp: string): KubeObject {
  const role = spec.role ?? 'worker';
  const cpu = spec.cpu ?? '4';
  const memory = spec.memory ?? '16Gi';
  const address = `172.18.0.${index + 2}`;
  const taints = spec.taints ?? (role === 'control-plane' ? [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] : []);
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: timestamp,
    lastTransitionTime: timestamp,
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: spec.name,
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': spec.name,
        'kubernetes.io/os': 'linux',
        ...(role === 'control-plane' ? { 'node-role.kubernetes.io/control-plane': '', 'node.kubernetes.io/exclude-from-external-load-balancers': '' } : {}),
        ...spec.labels,
      },
      annotations: {
        'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///run/containerd/containerd.sock',
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: {
      podCIDR: `10.244.${index}.0/24`,
      podCIDRs: [`10.244.${index}.0/24`],
      providerID: `kind://docker/sim/${spec.name}`,
      ...(taints.length ? { taints } : {}),
      ...(spec.unschedulable ? { unschedulable: true } : {}),
    },
    status: {
      capacity: { cpu, 'ephemeral-storage': '102626232Ki', 'hugepages-2Mi': '0', memory: memory.endsWith('Gi') ? `${Number(memory.slice(0, -2)) * 1024 * 1024}Ki` : memory, pods: String(spec.pods ?? 110) },
      allocatable: { cpu, 'ephemeral-storage': '102626232Ki', 'hugepages-2Mi': '0', memory: reservedMemory(memory), pods: String(spec.pods ?? 110) },
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [
        { type: 'InternalIP', address },
        { type: 'Hostname', address: spec.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: `${index}`.padStart(32, 'a'),
        systemUUID: `00000000-0000-0000-0000-00000000000${index}`,
        bootID: `b00710d0-0000-0000-0000-00000000000${index}`,
        kernelVersion: '6.1.0-28-amd64',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        containerRuntimeVersion: 'containerd://1.7.24',
        kubeletVersion: 'v1.32.3',
        kubeProxyVersion: 'v1.32.3',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
      images: [],
    },
  };
}

/** Creates the nodes (the three defaults unless a scenario lists its own); existing nodes are kept. */
export function createNodes(context: WorkloadContext, specs: NodeSpec[] = defaultNodes): void {
  const nodes = context.types.nodes();
  specs.forEach((spec, index) => {
    if (context.cluster.store.get(nodes, undefined, spec.name)) return;
    context.cluster.store.create(nodes, nodeObject(spec, index, context.timestamp()));
  });
}
