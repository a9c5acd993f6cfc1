/**
 * The time series kube-sim's Prometheus API serves, generated from the cluster's own objects: cAdvisor-style container
 * CPU and memory, kube-state-metrics-style object series, and request rate, errors and latency histograms for every
 * pod that exposes a container port. Each series is a closed-form function of time, so any past instant can be
 * queried and two runs of one scenario answer the same figures. Pods that were deleted keep their series up to their
 * deletion (a rollout's old pods stay visible in a range query), remembered from the store's change feed. What changes
 * over time (a container's CPU share, a restart count, a pod's phase, a Deployment's replicas) is remembered by
 * series-memory.ts from the moment it changed, so a later query never rewrites what an earlier one answered.
 *
 * Knobs a scenario can set as container env (all optional): SIM_REQUESTS_PER_SECOND, SIM_ERROR_RATIO (0..1),
 * SIM_LATENCY_MS (median), SIM_MEMORY_LEAK_BYTES_PER_SECOND; CPU and memory come from the metrics API's model. A node
 * whose containers use more than 60 % of its CPU slows the HTTP pods on it (a noisy neighbour is seen in latency).
 */
import type { KubeObject, SimCluster } from '../cluster-types.ts';
import { containerUsage, loadSharing } from '../metrics/metrics-api.ts';
import { cpuMillis, memoryBytes } from '../runtime/quantity.ts';
import { templateHash } from '../controllers/object-helpers.ts';
import { createSeriesMemory } from './series-memory.ts';
import { labelKey } from './promql-eval.ts';

export type Labels = Record<string, string>;

export interface SimSeries {
  labels: Labels;
  /** unix seconds: the first instant the series has a value */
  start: number;
  /** unix seconds: the last instant (a deleted pod's series end); undefined while it lives */
  end?: number;
  value(t: number): number;
}

export interface SeriesSource {
  /** every series, now; cheap enough to call once per query */
  series(): SimSeries[];
  close(): void;
}

export interface SeriesSourceOptions {
  /**
   * Seconds of history given to the objects that exist at start (the scenario's): without it a fresh sandbox would
   * have a few seconds of data, and "what changed in the last hour" could not be asked. Default 3600.
   */
  historySeconds?: number;
}

/** Histogram bucket bounds, those of the Prometheus client libraries' defaults. */
export const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const phases = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];
// Why a wave: flat lines hide nothing but look fake; a ±20 % swing over ten minutes gives charts something to draw.
const waveAmplitude = 0.2;
const wavePeriod = 600;
const maxTombstones = 500;

function seedOf(name: string): number {
  let value = 0;
  for (const character of templateHash(name)) value = (value * 31 + character.charCodeAt(0)) % 10007;
  return value / 10007;
}

/** ∫ rate·(1 + A·sin(2π(u − phase)/P)) du from start to t: a counter that never decreases (A < 1). */
export function waveCounter(rate: number, start: number, phase: number, t: number): number {
  if (t <= start) return 0;
  const w = (2 * Math.PI) / wavePeriod;
  return rate * (t - start + (waveAmplitude / w) * (Math.cos(w * (start - phase)) - Math.cos(w * (t - phase))));
}

/**
 * How much slower requests get on a node whose CPU is busy: not at all up to 60 % of its capacity, then up to 7 times
 * at 100 % (run queues grow; the shape, not the figures, is what a chart of a noisy neighbour shows).
 */
export function contentionFactor(utilisation: number): number {
  return utilisation <= 0.6 ? 1 : 1 + ((Math.min(utilisation, 1.2) - 0.6) / 0.4) * 6;
}

/** Share of requests faster than `seconds` for a log-logistic latency with the given median (shape 4). */
export function latencyShare(seconds: number, median: number): number {
  return 1 / (1 + (seconds / median) ** -4);
}

const env = (container: any, name: string): number | undefined => {
  const raw = (container?.env ?? []).find((variable: any) => variable?.name === name)?.value;
  const value = raw === undefined ? Number.NaN : Number(raw);
  return Number.isFinite(value) ? value : undefined;
};
const seconds = (timestamp: string | undefined): number | undefined => (timestamp ? Date.parse(timestamp) / 1000 : undefined);

export function createSeriesSource(cluster: SimCluster, options: SeriesSourceOptions = {}): SeriesSource {
  const historySeconds = options.historySeconds ?? 3600;
  const startedAt = cluster.clock.now().getTime() / 1000;
  const podsType = () => cluster.registry.byResource('', 'pods');
  const deploymentsType = () => cluster.registry.byResource('apps', 'deployments');
  const tombstones: Array<{ pod: KubeObject; deletedAt: number }> = [];
  const memory = createSeriesMemory();
  const nowSeconds = () => cluster.clock.now().getTime() / 1000;
  let observing = false;
  /**
   * What changed is observed once the change's synchronous work is done (a microtask): every series is computed, so
   * the memory records a new rate or value from this instant, including the neighbours of a pod that arrived.
   */
  const observeSoon = () => {
    if (observing) return;
    observing = true;
    queueMicrotask(() => {
      observing = false;
      if (!closed) source.series();
    });
  };
  let closed = false;
  const unsubscribe = cluster.store.subscribe((change) => {
    const { resource } = change;
    if (resource.group === '' && resource.resource === 'pods') {
      if (change.type === 'DELETED') {
        tombstones.push({ pod: change.object, deletedAt: nowSeconds() });
        if (tombstones.length > maxTombstones) tombstones.splice(0, tombstones.length - maxTombstones);
      }
      observeSoon();
    } else if ((resource.group === 'apps' && (resource.resource === 'deployments' || resource.resource === 'replicasets')) || (resource.group === '' && resource.resource === 'nodes')) {
      observeSoon();
    }
  });

  /** When an object's series begin: the scenario's objects get `historySeconds` before kube-sim started. */
  const beginning = (object: KubeObject): number => {
    const created = seconds(object.metadata.creationTimestamp) ?? startedAt;
    return created <= startedAt + 10 ? Math.min(created, startedAt) - historySeconds : created;
  };

  const waitingReasons = new Set<string>();

  /** `sharing`: the metrics API's load sharing; `contention`: each node's slow-down (contentionFactor). */
  function podSeries(pod: KubeObject, end: number | undefined, load: { sharing: Map<string, number>; contention: Map<string, number> }): SimSeries[] {
    const { sharing } = load;
    const out: SimSeries[] = [];
    const namespace = pod.metadata.namespace ?? '';
    const podName = pod.metadata.name ?? '';
    const start = beginning(pod);
    const node = String(pod.spec?.nodeName ?? '');
    const statuses: any[] = pod.status?.containerStatuses ?? [];
    const uid = pod.metadata.uid ?? `${namespace}/${podName}`;
    const now = end ?? nowSeconds();
    const remembered = (labels: Labels, value: number) => memory.gauge(`${uid}|${labelKey(labels)}`, { value, start, now });
    const ksm = (name: string, labels: Labels, value: number) => {
      const all = { __name__: name, job: 'kube-state-metrics', namespace, pod: podName, ...labels };
      out.push({ labels: all, start, ...(end !== undefined ? { end } : {}), value: remembered(all, value) });
    };
    for (const phase of phases) ksm('kube_pod_status_phase', { phase }, pod.status?.phase === phase ? 1 : 0);
    const appName = pod.metadata.labels?.['app'] ?? pod.metadata.labels?.['app.kubernetes.io/name'] ?? podName;
    for (const container of pod.spec?.containers ?? []) {
      const status = statuses.find((candidate) => candidate.name === container.name);
      // each restart counted from when it was seen (the change feed): the counter never reads lower later
      ksm('kube_pod_container_status_restarts_total', { container: container.name }, Number(status?.restartCount ?? 0));
      ksm('kube_pod_container_status_ready', { container: container.name }, status?.ready ? 1 : 0);
      const waiting = status?.state?.waiting?.reason;
      if (waiting) waitingReasons.add(`${uid}|${container.name}|${waiting}`);
      // every reason the container waited for: 1 while it waits for it, 0 since (kube-state-metrics v1's shape)
      for (const key of waitingReasons) {
        const [owner, name, reason] = key.split('|');
        if (owner === uid && name === container.name) ksm('kube_pod_container_status_waiting_reason', { container: container.name, reason: reason! }, reason === waiting ? 1 : 0);
      }
      if (!node) continue;
      const usage = containerUsage(pod, container, sharing);
      const seed = seedOf(`${namespace}/${podName}/${container.name}`);
      const phase = seed * wavePeriod;
      const cadvisor = { job: 'kubelet', namespace, pod: podName, container: container.name, node, image: String(container.image ?? '') };
      const life = { start, ...(end !== undefined ? { end } : {}) };
      const cpuLabels = { __name__: 'container_cpu_usage_seconds_total', ...cadvisor };
      // the CPU share moves when pods come and go on the node: each share counts from when it was seen
      const cpu = memory.counter(`${uid}|${labelKey(cpuLabels)}`, { rate: usage.cpu / 1000, start, now, integrate: (rate, from, to) => waveCounter(rate, from, phase, to) });
      out.push({ labels: cpuLabels, ...life, value: cpu });
      const limit = memoryBytes(container.resources?.limits?.memory);
      const leak = env(container, 'SIM_MEMORY_LEAK_BYTES_PER_SECOND') ?? 0;
      // A leak grows from the container's last start, so a restart (an OOM kill) drops it back.
      const containerStart = Math.max(start, seconds(status?.state?.running?.startedAt) ?? start);
      out.push({
        labels: { __name__: 'container_memory_working_set_bytes', ...cadvisor },
        ...life,
        value: (t) => {
          const grown = usage.memory + leak * Math.max(0, t - (t >= containerStart ? containerStart : start));
          return Math.round(limit > 0 ? Math.min(grown, limit) : grown);
        },
      });
      if (limit > 0) out.push({ labels: { __name__: 'container_spec_memory_limit_bytes', ...cadvisor }, ...life, value: () => limit });
      const serves = (container.ports ?? []).some((port: any) => Number(port?.containerPort) > 0);
      const servedReady = end !== undefined || status?.ready === true;
      if (!serves || !servedReady) continue;
      const rps = env(container, 'SIM_REQUESTS_PER_SECOND') ?? 2 + Math.round(seed * 18);
      const errorRatio = Math.min(1, Math.max(0, env(container, 'SIM_ERROR_RATIO') ?? 0.002));
      const median = (env(container, 'SIM_LATENCY_MS') ?? 20 + Math.round(seed * 60)) / 1000;
      // the node's contention now: its change (a neighbour arriving) counts from when it was seen
      const slowMedian = median * (end !== undefined ? 1 : (load.contention.get(node) ?? 1));
      const http = { job: appName, namespace, pod: podName, app: appName, method: 'GET', handler: '/' };
      const requests = (t: number) => waveCounter(rps, start, phase, t);
      const counter = (labels: Labels, rate: number) => memory.counter(`${uid}|${labelKey(labels)}`, { rate, start, now, integrate: (perSecond, from, to) => waveCounter(perSecond, from, phase, to) });
      out.push({ labels: { __name__: 'http_requests_total', ...http, code: '200' }, ...life, value: (t) => Math.floor(requests(t) * (1 - errorRatio)) });
      out.push({ labels: { __name__: 'http_requests_total', ...http, code: '500' }, ...life, value: (t) => Math.floor(requests(t) * errorRatio) });
      for (const le of latencyBuckets) {
        const labels = { __name__: 'http_request_duration_seconds_bucket', ...http, le: String(le) };
        const bucket = counter(labels, rps * latencyShare(le, slowMedian));
        out.push({ labels, ...life, value: (t) => Math.floor(bucket(t)) });
      }
      out.push({ labels: { __name__: 'http_request_duration_seconds_bucket', ...http, le: '+Inf' }, ...life, value: (t) => Math.floor(requests(t)) });
      out.push({ labels: { __name__: 'http_request_duration_seconds_count', ...http }, ...life, value: (t) => Math.floor(requests(t)) });
      // the mean of a log-logistic with shape 4 is median·(π/4)/sin(π/4)
      const sumLabels = { __name__: 'http_request_duration_seconds_sum', ...http };
      out.push({ labels: sumLabels, ...life, value: counter(sumLabels, rps * slowMedian * 1.1107) });
    }
    return out;
  }

  function deploymentSeries(deployment: KubeObject): SimSeries[] {
    const labels = { job: 'kube-state-metrics', namespace: deployment.metadata.namespace ?? '', deployment: deployment.metadata.name ?? '' };
    const start = beginning(deployment);
    const figures: Record<string, number> = {
      kube_deployment_spec_replicas: Number(deployment.spec?.replicas ?? 1),
      kube_deployment_status_replicas: Number(deployment.status?.replicas ?? 0),
      kube_deployment_status_replicas_available: Number(deployment.status?.availableReplicas ?? 0),
      kube_deployment_status_replicas_unavailable: Number(deployment.status?.unavailableReplicas ?? 0),
      kube_deployment_status_replicas_updated: Number(deployment.status?.updatedReplicas ?? 0),
      kube_deployment_metadata_generation: Number(deployment.metadata.generation ?? 1),
      kube_deployment_status_observed_generation: Number(deployment.status?.observedGeneration ?? 0),
    };
    const now = nowSeconds();
    return Object.entries(figures).map(([name, value]) => {
      const all = { __name__: name, ...labels };
      return { labels: all, start, value: memory.gauge(`${deployment.metadata.uid ?? ''}|${labelKey(all)}`, { value, start, now }) };
    });
  }

  /**
   * kube-state-metrics' ReplicaSet series: kube_replicaset_created (its creation, unix seconds: where a chart marks a
   * rollout), kube_replicaset_owner, and its replicas over time.
   */
  function replicaSetSeries(set: KubeObject): SimSeries[] {
    const labels = { job: 'kube-state-metrics', namespace: set.metadata.namespace ?? '', replicaset: set.metadata.name ?? '' };
    const start = beginning(set);
    const created = seconds(set.metadata.creationTimestamp) ?? start;
    const owner = (set.metadata.ownerReferences ?? []).find((reference: any) => reference?.controller) ?? set.metadata.ownerReferences?.[0];
    const now = nowSeconds();
    const gauge = (name: string, value: number, extra: Labels = {}): SimSeries => {
      const all = { __name__: name, ...labels, ...extra };
      return { labels: all, start, value: memory.gauge(`${set.metadata.uid ?? ''}|${labelKey(all)}`, { value, start, now }) };
    };
    return [
      { labels: { __name__: 'kube_replicaset_created', ...labels }, start, value: () => created },
      gauge('kube_replicaset_owner', 1, { owner_kind: String(owner?.kind ?? '<none>'), owner_name: String(owner?.name ?? '<none>'), owner_is_controller: owner?.controller ? 'true' : 'false' }),
      gauge('kube_replicaset_spec_replicas', Number(set.spec?.replicas ?? 0)),
      gauge('kube_replicaset_status_ready_replicas', Number(set.status?.readyReplicas ?? 0)),
    ];
  }

  /** Each node's slow-down from the CPU its running containers use (contentionFactor). */
  function contentionOf(pods: KubeObject[], sharing: Map<string, number>): Map<string, number> {
    const nodes = cluster.registry.byResource('', 'nodes');
    const used = new Map<string, number>();
    for (const pod of pods) {
      const node = pod.spec?.nodeName;
      if (!node || pod.status?.phase !== 'Running') continue;
      for (const container of pod.spec?.containers ?? []) used.set(node, (used.get(node) ?? 0) + containerUsage(pod, container, sharing).cpu);
    }
    const factors = new Map<string, number>();
    for (const node of nodes ? cluster.store.list(nodes) : []) {
      const capacity = cpuMillis(node.status?.allocatable?.cpu ?? node.status?.capacity?.cpu);
      if (capacity > 0) factors.set(node.metadata.name!, contentionFactor((used.get(node.metadata.name!) ?? 0) / capacity));
    }
    return factors;
  }

  const source: SeriesSource = {
    series() {
      const pods = podsType() ? cluster.store.list(podsType()!) : [];
      const sharing = loadSharing(pods);
      const load = { sharing, contention: contentionOf(pods, sharing) };
      const known = new Set([...pods, ...tombstones.map(({ pod }) => pod)].map((pod) => pod.metadata.uid));
      for (const key of waitingReasons) if (!known.has(key.split('|')[0])) waitingReasons.delete(key);
      return memory.sweep(() => {
        const live = pods.flatMap((pod) => podSeries(pod, undefined, load));
        const gone = tombstones.flatMap(({ pod, deletedAt }) => podSeries(pod, deletedAt, load));
        const deployments = deploymentsType() ? cluster.store.list(deploymentsType()!).flatMap(deploymentSeries) : [];
        const replicaSetsType = cluster.registry.byResource('apps', 'replicasets');
        const replicaSets = replicaSetsType ? cluster.store.list(replicaSetsType).flatMap(replicaSetSeries) : [];
        return [...live, ...gone, ...deployments, ...replicaSets];
      });
    },
    close() {
      closed = true;
      unsubscribe();
    },
  };
  return source;
}
