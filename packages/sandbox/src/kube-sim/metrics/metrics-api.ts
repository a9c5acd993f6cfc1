import { ApiError, type CustomApiGroup, type KubeObject, type ResourceType } from '../cluster-types.ts';
import { templateHash } from '../controllers/object-helpers.ts';
import { imageBaseName } from '../runtime/log-script.ts';
import { cpuMillis, formatKibibytes, formatMillicores, memoryBytes } from '../runtime/quantity.ts';
import type { WorkloadContext } from '../workloads/workload-context.ts';
import { parseLabelSelector } from './label-selector-query.ts';

const group = 'metrics.k8s.io';
const version = 'v1beta1';
const window = '10.062s';

function metricsResource(resource: string, kind: string, namespaced: boolean): ResourceType {
  return { group, version, resource, singular: '', kind, listKind: `${kind}List`, namespaced, verbs: ['get', 'list'], subresources: [] };
}

/** A stable pseudo-random fraction in [0, 1) per name, so usage figures repeat between runs. */
function fraction(name: string): number {
  const hash = templateHash(name);
  let value = 0;
  for (const character of hash) value = (value * 31 + character.charCodeAt(0)) % 10007;
  return value / 10007;
}

const envValue = (container: any, name: string): string | undefined => (container?.env ?? []).find((variable: any) => variable?.name === name)?.value;

/**
 * How many running pods share each `SIM_CPU_LOAD_MILLICORES` load, keyed by namespace, container and value:
 * a load spread over the replicas behind a Service, so adding replicas lowers each one's share.
 */
export function loadSharing(pods: readonly KubeObject[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const pod of pods) {
    if (pod.status?.phase !== 'Running' || pod.metadata.deletionTimestamp) continue;
    for (const container of pod.spec?.containers ?? []) {
      const load = envValue(container, 'SIM_CPU_LOAD_MILLICORES');
      if (load === undefined) continue;
      const key = `${pod.metadata.namespace}|${container.name}|${load}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

/**
 * Usage of one running container: small for nginx, larger for apps, near the limit for memory hogs.
 * Load for an HPA to react to: env `SIM_CPU_MILLICORES` is what this container burns; env
 * `SIM_CPU_LOAD_MILLICORES` is a total shared evenly by the running pods that carry the same value
 * (see loadSharing). Limits still cap the result.
 */
export function containerUsage(pod: KubeObject, container: any, sharing?: Map<string, number>): { cpu: number; memory: number } {
  const seed = fraction(`${pod.metadata.namespace}/${pod.metadata.name}/${container.name}`);
  const nginx = imageBaseName(String(container.image ?? '')).startsWith('nginx');
  const total = envValue(container, 'SIM_CPU_LOAD_MILLICORES');
  const shared = total !== undefined ? Number(total) / Math.max(1, sharing?.get(`${pod.metadata.namespace}|${container.name}|${total}`) ?? 1) : Number.NaN;
  const load = Number(envValue(container, 'SIM_CPU_MILLICORES'));
  let cpu = shared > 0 ? Math.round(shared) : load > 0 ? load : nginx ? 1 + Math.round(seed * 4) : 5 + Math.round(seed * 145);
  let memory = (nginx ? 3 + seed * 12 : 48 + seed * 200) * 2 ** 20;
  const cpuLimit = cpuMillis(container.resources?.limits?.cpu);
  const memoryLimit = memoryBytes(container.resources?.limits?.memory);
  if (cpuLimit > 0) cpu = Math.min(cpu, Math.round(cpuLimit * 0.9));
  if (memoryLimit > 0) memory = Math.min(memory, memoryLimit * 0.85);
  return { cpu: Math.max(cpu, 1), memory };
}

/**
 * What the metrics API reports for a pod (cpu in millicores, memory in bytes per running container), or
 * undefined when it reports nothing: the pod is not Running or none of its containers runs.
 */
export function podUsage(pod: KubeObject, sharing?: Map<string, number>): Array<{ name: string; cpu: number; memory: number }> | undefined {
  const running = new Set((pod.status?.containerStatuses ?? []).filter((status: any) => status.state?.running).map((status: any) => status.name));
  const containers = (pod.spec?.containers ?? []).filter((container: any) => running.has(container.name));
  if (pod.status?.phase !== 'Running' || containers.length === 0) return undefined;
  return containers.map((container: any) => ({ name: container.name, ...containerUsage(pod, container, sharing) }));
}

/** metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics, computed from what the simulated kubelet runs. */
export function createMetricsApi(context: WorkloadContext): CustomApiGroup {
  const nodesType = metricsResource('nodes', 'NodeMetrics', false);
  const podsType = metricsResource('pods', 'PodMetrics', true);
  const timestamp = () => context.timestamp();

  const podMetrics = (pod: KubeObject, sharing: Map<string, number>) => {
    const usage = podUsage(pod, sharing);
    if (!usage) return undefined;
    return {
      metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, creationTimestamp: timestamp(), labels: pod.metadata.labels },
      timestamp: timestamp(),
      window,
      containers: usage.map((container) => ({ name: container.name, usage: { cpu: formatMillicores(container.cpu), memory: formatKibibytes(container.memory) } })),
    };
  };

  const nodeMetrics = (node: KubeObject, pods: KubeObject[], sharing: Map<string, number>) => {
    const controlPlane = 'node-role.kubernetes.io/control-plane' in (node.metadata.labels ?? {});
    const base = controlPlane ? { cpu: 310, memory: 1150 * 2 ** 20 } : { cpu: 85, memory: 610 * 2 ** 20 };
    for (const pod of pods) {
      if (pod.spec?.nodeName !== node.metadata.name || pod.status?.phase !== 'Running') continue;
      for (const container of pod.spec?.containers ?? []) {
        const usage = containerUsage(pod, container, sharing);
        base.cpu += usage.cpu;
        base.memory += usage.memory;
      }
    }
    return {
      metadata: { name: node.metadata.name, creationTimestamp: timestamp(), labels: node.metadata.labels },
      timestamp: timestamp(),
      window,
      usage: { cpu: formatMillicores(base.cpu), memory: formatKibibytes(base.memory) },
    };
  };

  const list = (kind: string, items: unknown[]) => ({ kind, apiVersion: `${group}/${version}`, metadata: {}, items });

  return {
    group,
    version,
    resources: [nodesType, podsType],
    handle({ path, url, response }) {
      const store = context.cluster.store;
      const matches = parseLabelSelector(url.searchParams.get('labelSelector'));
      const pods = store.list(context.types.pods());
      const sharing = loadSharing(pods);
      let body: unknown;
      if (path[0] === 'nodes') {
        const nodes = store.list(context.types.nodes());
        if (path[1]) {
          const node = nodes.find((candidate) => candidate.metadata.name === path[1]);
          if (!node) throw new ApiError(404, 'NotFound', `nodemetrics.metrics.k8s.io "${path[1]}" not found`, { name: path[1], group, kind: 'nodes' });
          body = { kind: 'NodeMetrics', apiVersion: `${group}/${version}`, ...nodeMetrics(node, pods, sharing) };
        } else {
          body = list('NodeMetricsList', nodes.filter((node) => matches(node.metadata.labels)).map((node) => nodeMetrics(node, pods, sharing)));
        }
      } else {
        const namespaced = path[0] === 'namespaces' && path[2] === 'pods';
        if (!namespaced && path[0] !== 'pods') return false;
        const namespace = namespaced ? path[1] : undefined;
        const name = namespaced ? path[3] : path[1];
        const candidates = pods.filter((pod) => (!namespace || pod.metadata.namespace === namespace) && matches(pod.metadata.labels));
        if (name) {
          const metrics = candidates.find((pod) => pod.metadata.name === name);
          const item = metrics && podMetrics(metrics, sharing);
          if (!item) throw new ApiError(404, 'NotFound', `podmetrics.metrics.k8s.io "${namespace}/${name}" not found`, { name, group, kind: 'pods' });
          body = { kind: 'PodMetrics', apiVersion: `${group}/${version}`, ...item };
        } else {
          body = list('PodMetricsList', candidates.map((pod) => podMetrics(pod, sharing)).filter(Boolean));
        }
      }
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(body));
    },
  };
}
