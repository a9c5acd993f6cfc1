/**
 * The time series kube-sim's Prometheus API serves, generated from the cluster's own objects: cAdvisor-style container
 * CPU and memory, kube-state-metrics-style object series, and request rate, errors and latency histograms for every
 * pod that exposes a container port. Each series is a closed-form function of time, so any past instant can be
 * queried and two runs of one scenario answer the same figures. Pods that were deleted keep their series up to their
 * deletion (a rollout's old pods stay visible in a range query), remembered from the store's change feed.
 *
 * Knobs a scenario can set as container env (all optional): SIM_REQUESTS_PER_SECOND, SIM_ERROR_RATIO (0..1),
 * SIM_LATENCY_MS (median), SIM_MEMORY_LEAK_BYTES_PER_SECOND; CPU and memory come from the metrics API's model.
 */
import type { KubeObject, SimCluster } from '../cluster-types.ts';
import { containerUsage, loadSharing } from '../metrics/metrics-api.ts';
import { memoryBytes } from '../runtime/quantity.ts';
import { templateHash } from '../controllers/object-helpers.ts';

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
  const unsubscribe = cluster.store.subscribe((change) => {
    if (change.type !== 'DELETED' || change.resource.resource !== 'pods' || change.resource.group !== '') return;
    tombstones.push({ pod: change.object, deletedAt: cluster.clock.now().getTime() / 1000 });
    if (tombstones.length > maxTombstones) tombstones.splice(0, tombstones.length - maxTombstones);
  });

  /** When an object's series begin: the scenario's objects get `historySeconds` before kube-sim started. */
  const beginning = (object: KubeObject): number => {
    const created = seconds(object.metadata.creationTimestamp) ?? startedAt;
    return created <= startedAt + 10 ? Math.min(created, startedAt) - historySeconds : created;
  };

  function podSeries(pod: KubeObject, end: number | undefined, sharing: Map<string, number>): SimSeries[] {
    const out: SimSeries[] = [];
    const namespace = pod.metadata.namespace ?? '';
    const podName = pod.metadata.name ?? '';
    const start = beginning(pod);
    const node = String(pod.spec?.nodeName ?? '');
    const statuses: any[] = pod.status?.containerStatuses ?? [];
    const ksm = (name: string, labels: Labels, value: number) =>
      out.push({ labels: { __name__: name, job: 'kube-state-metrics', namespace, pod: podName, ...labels }, start, ...(end !== undefined ? { end } : {}), value: () => value });
    for (const phase of phases) ksm('kube_pod_status_phase', { phase }, pod.status?.phase === phase ? 1 : 0);
    const appName = pod.metadata.labels?.['app'] ?? pod.metadata.labels?.['app.kubernetes.io/name'] ?? podName;
    for (const container of pod.spec?.containers ?? []) {
      const status = statuses.find((candidate) => candidate.name === container.name);
      const restarts = Number(status?.restartCount ?? 0);
      const restartsUntil = end ?? cluster.clock.now().getTime() / 1000;
      // Restarts spread evenly over the pod's life: increase(…[10m]) of a crash-looping pod is above zero.
      out.push({
        labels: { __name__: 'kube_pod_container_status_restarts_total', job: 'kube-state-metrics', namespace, pod: podName, container: container.name },
        start,
        ...(end !== undefined ? { end } : {}),
        value: (t) => (t >= restartsUntil || restartsUntil <= start ? restarts : Math.floor((restarts * (t - start)) / (restartsUntil - start))),
      });
      ksm('kube_pod_container_status_ready', { container: container.name }, status?.ready ? 1 : 0);
      const waiting = status?.state?.waiting?.reason;
      if (waiting) ksm('kube_pod_container_status_waiting_reason', { container: container.name, reason: String(waiting) }, 1);
      if (!node) continue;
      const usage = containerUsage(pod, container, sharing);
      const seed = seedOf(`${namespace}/${podName}/${container.name}`);
      const phase = seed * wavePeriod;
      const cadvisor = { job: 'kubelet', namespace, pod: podName, container: container.name, node, image: String(container.image ?? '') };
      const life = { start, ...(end !== undefined ? { end } : {}) };
      out.push({ labels: { __name__: 'container_cpu_usage_seconds_total', ...cadvisor }, ...life, value: (t) => waveCounter(usage.cpu / 1000, start, phase, t) });
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
      const http = { job: appName, namespace, pod: podName, app: appName, method: 'GET', handler: '/' };
      const requests = (t: number) => waveCounter(rps, start, phase, t);
      out.push({ labels: { __name__: 'http_requests_total', ...http, code: '200' }, ...life, value: (t) => Math.floor(requests(t) * (1 - errorRatio)) });
      out.push({ labels: { __name__: 'http_requests_total', ...http, code: '500' }, ...life, value: (t) => Math.floor(requests(t) * errorRatio) });
      for (const le of latencyBuckets) {
        out.push({ labels: { __name__: 'http_request_duration_seconds_bucket', ...http, le: String(le) }, ...life, value: (t) => Math.floor(requests(t) * latencyShare(le, median)) });
      }
      out.push({ labels: { __name__: 'http_request_duration_seconds_bucket', ...http, le: '+Inf' }, ...life, value: (t) => Math.floor(requests(t)) });
      out.push({ labels: { __name__: 'http_request_duration_seconds_count', ...http }, ...life, value: (t) => Math.floor(requests(t)) });
      // the mean of a log-logistic with shape 4 is median·(π/4)/sin(π/4)
      out.push({ labels: { __name__: 'http_request_duration_seconds_sum', ...http }, ...life, value: (t) => requests(t) * median * 1.1107 });
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
    return Object.entries(figures).map(([name, value]) => ({ labels: { __name__: name, ...labels }, start, value: () => value }));
  }

  return {
    series() {
      const pods = podsType() ? cluster.store.list(podsType()!) : [];
      const sharing = loadSharing(pods);
      const live = pods.flatMap((pod) => podSeries(pod, undefined, sharing));
      const gone = tombstones.flatMap(({ pod, deletedAt }) => podSeries(pod, deletedAt, sharing));
      const deployments = deploymentsType() ? cluster.store.list(deploymentsType()!).flatMap(deploymentSeries) : [];
      return [...live, ...gone, ...deployments];
    },
    close: unsubscribe,
  };
}
