import type { KubeObject } from '../cluster-types.ts';
import { loadSharing, podUsage } from '../metrics/metrics-api.ts';
import { cpuMillis, formatDecimalMillis, memoryBytes } from '../runtime/quantity.ts';
import type { WorkloadContext } from '../workloads/workload-context.ts';
import { keyOf, splitKey, type Controller } from './controller-manager.ts';
import { canonicalJson, isPodReady, isTerminating, selectorMatches, setCondition } from './object-helpers.ts';

/**
 * The horizontal-pod-autoscaler of kube-controller-manager (pkg/controller/podautoscaler), for autoscaling/v2
 * HPAs without `behavior` and for Resource / ContainerResource metrics read from kube-sim's metrics API:
 * the replica formula `ceil(currentReplicas × currentUtilization / target)` with its 10% tolerance, the
 * missing/unready pod rules, the scale-up limit (max(2×current, 4)), the 5-minute scale-down stabilization,
 * and the AbleToScale / ScalingActive / ScalingLimited conditions and events with the controller's wording.
 * Pods, Object and External metrics fail as they do on a cluster without a custom/external metrics API.
 */

const component = 'horizontal-pod-autoscaler';
const tolerance = 0.1;
const scaleUpLimitFactor = 2;
const scaleUpLimitMinimum = 4;

type Condition = { type: string; status: string; reason: string; message: string };

interface MetricResult {
  replicas: number;
  metricName: string;
  status: Record<string, unknown>;
}

class MetricError extends Error {
  constructor(
    message: string,
    /** the ScalingActive condition this failure sets (reason and message), emitted as an event too */
    readonly reason: string,
  ) {
    super(message);
  }
}

interface PodSample {
  name: string;
  /** milli-units: millicores for cpu, milli-bytes for memory (as the controller's PodMetricsInfo) */
  value: number;
}

export function createHorizontalPodAutoscalerController(context: WorkloadContext): Controller {
  const { store, events } = context.cluster;
  const recommendations = new Map<string, Array<{ replicas: number; at: number }>>();
  const timers = new Map<string, () => void>();
  const hpaType = () => context.types.get('autoscaling', 'horizontalpodautoscalers');
  let controller: Controller;

  const record = (hpa: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string) => events.record(hpa, { type, reason, message, component });

  /** Re-evaluates the HPA every sync period, as the controller's resync does. */
  function scheduleSync(key: string): void {
    if (timers.has(key)) return;
    timers.set(key, context.timers.after(context.settings().hpaSyncPeriodMs, () => {
      timers.delete(key);
      context.manager.enqueue(controller, key);
    }));
  }

  function forget(key: string): void {
    timers.get(key)?.();
    timers.delete(key);
    recommendations.delete(key);
  }

  /** What the resource metrics API reports for the pods, in milli-units (an error when it reports nothing). */
  function metricSamples(pods: KubeObject[], resource: string, container: string | undefined): Map<string, number> {
    const samples = new Map<string, number>();
    const sharing = pods.length ? loadSharing(store.list(context.types.pods(), pods[0].metadata.namespace)) : new Map<string, number>();
    for (const pod of pods) {
      const usage = podUsage(pod, sharing);
      if (!usage) continue;
      const selected = usage.filter((entry) => !container || entry.name === container);
      if (container && selected.length === 0) continue;
      samples.set(pod.metadata.name!, selected.reduce((sum, entry) => sum + (resource === 'cpu' ? entry.cpu : entry.memory * 1000), 0));
    }
    if (samples.size === 0) throw new MetricError('no metrics returned from resource metrics API', '');
    return samples;
  }

  /** calculatePodRequests: every selected container must request the resource. */
  function podRequests(pods: KubeObject[], resource: string, container: string | undefined): Map<string, number> {
    const requests = new Map<string, number>();
    for (const pod of pods) {
      let sum = 0;
      for (const spec of pod.spec?.containers ?? []) {
        if (container && spec.name !== container) continue;
        const request = spec.resources?.requests?.[resource];
        if (request === undefined) throw new MetricError(`missing request for ${resource} in container ${spec.name} of Pod ${pod.metadata.name}`, '');
        sum += resource === 'cpu' ? cpuMillis(request) : memoryBytes(request) * 1000;
      }
      requests.set(pod.metadata.name!, sum);
    }
    return requests;
  }

  /** groupPods: ready pods count, unready (cpu only) and missing pods; pending, failed and deleting pods are ignored. */
  function groupPods(pods: KubeObject[], samples: Map<string, number>, resource: string) {
    let ready = 0;
    const unready = new Set<string>();
    const missing = new Set<string>();
    const ignored = new Set<string>();
    for (const pod of pods) {
      const name = pod.metadata.name!;
      if (isTerminating(pod) || pod.status?.phase === 'Failed' || pod.status?.phase === 'Pending' || pod.status?.phase === undefined) {
        ignored.add(name);
        continue;
      }
      if (!samples.has(name)) {
        missing.add(name);
        continue;
      }
      if (resource === 'cpu' && !isPodReady(pod)) {
        unready.add(name);
        continue;
      }
      ready++;
    }
    return { ready, unready, missing, ignored };
  }

  /** ReplicaCalculator.GetResourceReplicas / GetRawResourceReplicas in one. */
  function resourceReplicas(current: number, pods: KubeObject[], resource: string, container: string | undefined, target: { utilization?: number; averageMillis?: number }): { replicas: number; utilization?: number; rawAverage: number } {
    let samples: Map<string, number>;
    try {
      samples = metricSamples(pods, resource, container);
    } catch (error) {
      throw new MetricError(`unable to get metrics for resource ${resource}: ${(error as Error).message}`, '');
    }
    if (pods.length === 0) throw new MetricError('no pods returned by selector while calculating replica count', '');
    const { ready, unready, missing, ignored } = groupPods(pods, samples, resource);
    for (const name of [...ignored, ...unready]) samples.delete(name);
    if (samples.size === 0) throw new MetricError('did not receive metrics for targeted pods (pods might be unready)', '');
    const requests = target.utilization !== undefined ? podRequests(pods, resource, container) : new Map<string, number>();

    const ratioOf = (values: Map<string, number>) => {
      let used = 0;
      let requested = 0;
      let entries = 0;
      for (const [name, value] of values) {
        if (target.utilization !== undefined) {
          const request = requests.get(name);
          if (request === undefined) continue;
          requested += request;
        }
        used += value;
        entries++;
      }
      if (target.utilization !== undefined) {
        if (requested === 0) throw new MetricError('no metrics returned matched known pods', '');
        const utilization = Math.trunc((used * 100) / requested);
        return { ratio: utilization / target.utilization, utilization, rawAverage: Math.trunc(used / entries) };
      }
      const average = used / entries;
      return { ratio: average / target.averageMillis!, utilization: undefined, rawAverage: Math.trunc(average) };
    };

    const first = ratioOf(samples);
    const scaleUpWithUnready = unready.size > 0 && first.ratio > 1;
    if (!scaleUpWithUnready && missing.size === 0) {
      if (Math.abs(1 - first.ratio) <= tolerance) return { replicas: current, utilization: first.utilization, rawAverage: first.rawAverage };
      return { replicas: Math.ceil(first.ratio * ready), utilization: first.utilization, rawAverage: first.rawAverage };
    }
    if (missing.size > 0) {
      for (const name of missing) {
        // Scale-down: missing pods count as using their whole request (or the target, if above 100%); scale-up: as idle.
        const fallback = target.utilization !== undefined ? ((requests.get(name) ?? 0) * Math.max(100, target.utilization)) / 100 : target.averageMillis!;
        samples.set(name, first.ratio < 1 ? fallback : 0);
      }
    }
    if (scaleUpWithUnready) for (const name of unready) samples.set(name, 0);
    const second = ratioOf(samples);
    if (Math.abs(1 - second.ratio) <= tolerance || (first.ratio < 1 && second.ratio > 1) || (first.ratio > 1 && second.ratio < 1)) {
      return { replicas: current, utilization: first.utilization, rawAverage: first.rawAverage };
    }
    const replicas = Math.ceil(second.ratio * samples.size);
    if ((second.ratio < 1 && replicas > current) || (second.ratio > 1 && replicas < current)) return { replicas: current, utilization: first.utilization, rawAverage: first.rawAverage };
    return { replicas, utilization: first.utilization, rawAverage: first.rawAverage };
  }

  function computeMetric(hpa: KubeObject, metric: any, current: number, pods: KubeObject[]): MetricResult {
    const type = metric?.type;
    if (type === 'Resource' || type === 'ContainerResource') {
      const source = type === 'Resource' ? metric.resource : metric.containerResource;
      const resource = String(source?.name ?? '');
      const container = type === 'ContainerResource' ? String(source?.container ?? '') : undefined;
      const reason = type === 'Resource' ? 'FailedGetResourceMetric' : 'FailedGetContainerResourceMetric';
      const wrap = type === 'Resource' ? `failed to get ${resource} resource metric value` : `failed to get ${resource} container metric value`;
      const target = source?.target ?? {};
      try {
        if (target.averageValue !== undefined) {
          const averageMillis = resource === 'cpu' ? cpuMillis(target.averageValue) : memoryBytes(target.averageValue) * 1000;
          let result;
          try {
            result = resourceReplicas(current, pods, resource, container, { averageMillis });
          } catch (error) {
            throw new MetricError(`failed to get ${resource} usage: ${(error as Error).message}`, reason);
          }
          const status = { type, [type === 'Resource' ? 'resource' : 'containerResource']: { name: resource, ...(container ? { container } : {}), current: { averageValue: formatDecimalMillis(result.rawAverage) } } };
          return { replicas: result.replicas, metricName: `${resource} resource`, status };
        }
        if (target.averageUtilization === undefined) throw new MetricError('invalid resource metric source: neither an average utilization target nor an average value (usage) target was set', reason);
        let result;
        try {
          result = resourceReplicas(current, pods, resource, container, { utilization: target.averageUtilization });
        } catch (error) {
          throw new MetricError(`failed to get ${resource} utilization: ${(error as Error).message}`, reason);
        }
        const status = {
          type,
          [type === 'Resource' ? 'resource' : 'containerResource']: { name: resource, ...(container ? { container } : {}), current: { averageUtilization: result.utilization, averageValue: formatDecimalMillis(result.rawAverage) } },
        };
        return { replicas: result.replicas, metricName: `${resource} ${type === 'Resource' ? 'resource' : 'container resource'} utilization (percentage of request)`, status };
      } catch (error) {
        const failure = error as MetricError;
        throw Object.assign(new MetricError(`${wrap}: ${failure.message}`, reason), { eventMessage: failure.message });
      }
    }
    if (type === 'Pods') {
      const name = metric.pods?.metric?.name ?? '';
      const message = `unable to get metric ${name}: unable to fetch metrics from custom metrics API: no custom metrics API (custom.metrics.k8s.io) registered`;
      throw Object.assign(new MetricError(`failed to get pods metric value: ${message}`, 'FailedGetPodsMetric'), { eventMessage: message });
    }
    if (type === 'Object') {
      const name = metric.object?.metric?.name ?? '';
      const message = `unable to get metric ${name}: ${metric.object?.describedObject?.kind ?? ''} on ${hpa.metadata.namespace} ${metric.object?.describedObject?.name ?? ''}/unable to fetch metrics from custom metrics API: no custom metrics API (custom.metrics.k8s.io) registered`;
      throw Object.assign(new MetricError(`failed to get object metric value: ${message}`, 'FailedGetObjectMetric'), { eventMessage: message });
    }
    if (type === 'External') {
      const name = metric.external?.metric?.name ?? '';
      const message = `unable to get external metric ${hpa.metadata.namespace}/${name}/nil: unable to fetch metrics from external metrics API: no external metrics API (external.metrics.k8s.io) registered`;
      throw Object.assign(new MetricError(`failed to get external metric value: ${message}`, 'FailedGetExternalMetric'), { eventMessage: message });
    }
    const message = `unknown metric source type "${type ?? ''}"`;
    throw Object.assign(new MetricError(message, 'InvalidMetricSourceType'), { eventMessage: message });
  }

  /** The highest recommendation of the stabilization window (scale-downs wait, scale-ups do not). */
  function stabilize(key: string, replicas: number): number {
    const now = context.now().getTime();
    const cutoff = now - context.settings().hpaDownscaleStabilizationMs;
    const kept = (recommendations.get(key) ?? []).filter((entry) => entry.at >= cutoff);
    const highest = Math.max(replicas, ...kept.map((entry) => entry.replicas));
    kept.push({ replicas, at: now });
    recommendations.set(key, kept);
    return highest;
  }

  function reconcile(key: string): void {
    const { namespace, name } = splitKey(key);
    const hpa = store.get(hpaType(), namespace, name);
    if (!hpa || isTerminating(hpa)) {
      forget(key);
      return;
    }
    scheduleSync(key);
    const now = context.timestamp();
    let conditions: any[] = hpa.status?.conditions ?? [];
    const condition = (next: Condition) => {
      conditions = setCondition(conditions, next, now);
    };
    const status: Record<string, any> = { ...(hpa.status ?? {}), desiredReplicas: hpa.status?.desiredReplicas ?? 0 };
    const write = () => {
      status.conditions = conditions;
      if (!status.currentReplicas) delete status.currentReplicas;
      store.mutate(hpaType(), namespace, name, (latest) => {
        if (latest.metadata.uid !== hpa.metadata.uid || canonicalJson(latest.status ?? {}) === canonicalJson(status)) return undefined;
        latest.status = status;
        return latest;
      });
    };
    const failScale = (message: string) => {
      record(hpa, 'Warning', 'FailedGetScale', message);
      condition({ type: 'AbleToScale', status: 'False', reason: 'FailedGetScale', message: `the HPA controller was unable to get the target's current scale: ${message}` });
      write();
    };

    const reference = hpa.spec?.scaleTargetRef ?? {};
    const [group] = String(reference.apiVersion ?? '').includes('/') ? String(reference.apiVersion).split('/') : [''];
    const targetType = context.cluster.resourceFor({ apiVersion: String(reference.apiVersion ?? ''), kind: String(reference.kind ?? '') });
    if (!targetType) return failScale(`no matches for kind "${reference.kind}" in group "${group}"`);
    const qualified = targetType.group ? `${targetType.resource}/scale.${targetType.group}` : `${targetType.resource}/scale`;
    if (!targetType.subresources.includes('scale')) return failScale(`${qualified} "${reference.name}" not found`);
    const target = store.get(targetType, namespace, String(reference.name ?? ''));
    if (!target) return failScale(`${qualified} "${reference.name}" not found`);
    condition({ type: 'AbleToScale', status: 'True', reason: 'SucceededGetScale', message: "the HPA controller was able to get the target's current scale" });

    const current = Number(target.spec?.replicas ?? 0);
    const minReplicas = Number(hpa.spec?.minReplicas ?? 1);
    const maxReplicas = Number(hpa.spec?.maxReplicas ?? 0);
    let desired = 0;
    let reason = '';
    let rescale = true;
    // Only the metrics branch reports current metrics; the others clear them, as setStatus does.
    let metricStatuses: any[] | undefined;

    if (current === 0 && minReplicas !== 0) {
      rescale = false;
      condition({ type: 'ScalingActive', status: 'False', reason: 'ScalingDisabled', message: 'scaling is disabled since the replica count of the target is zero' });
    } else if (current > maxReplicas) {
      reason = 'Current number of replicas above Spec.MaxReplicas';
      desired = maxReplicas;
    } else if (current < minReplicas) {
      reason = 'Current number of replicas below Spec.MinReplicas';
      desired = minReplicas;
    } else {
      const selector = target.spec?.selector;
      if (!selector || (!Object.keys(selector.matchLabels ?? {}).length && !(selector.matchExpressions ?? []).length)) {
        record(hpa, 'Warning', 'SelectorRequired', 'selector is required');
        condition({ type: 'ScalingActive', status: 'False', reason: 'InvalidSelector', message: "the HPA target's scale is missing a selector" });
        status.currentReplicas = current;
        write();
        return;
      }
      const pods = store.list(context.types.pods(), namespace).filter((pod) => selectorMatches(selector, pod.metadata.labels));
      const metrics: any[] = hpa.spec?.metrics ?? [];
      const statuses: any[] = [];
      let proposal = 0;
      let metricName = '';
      let invalid = 0;
      let firstError: MetricError | undefined;
      for (const metric of metrics) {
        try {
          const result = computeMetric(hpa, metric, current, pods);
          statuses.push(result.status);
          if (proposal === 0 || result.replicas > proposal) {
            proposal = result.replicas;
            metricName = result.metricName;
          }
        } catch (error) {
          const failure = error as MetricError & { eventMessage?: string };
          statuses.push({ type: '' });
          record(hpa, 'Warning', failure.reason, failure.eventMessage ?? failure.message);
          if (!firstError) firstError = failure;
          invalid++;
        }
      }
      metricStatuses = statuses;
      if (firstError && (invalid >= metrics.length || proposal < current)) {
        const message = `invalid metrics (${invalid} invalid out of ${metrics.length}), first error is: ${firstError.message}`;
        condition({ type: 'ScalingActive', status: 'False', reason: firstError.reason, message: `the HPA was unable to compute the replica count: ${(firstError as any).eventMessage ?? firstError.message}` });
        status.currentReplicas = current;
        status.currentMetrics = statuses;
        write();
        record(hpa, 'Warning', 'FailedComputeMetricsReplicas', message);
        return;
      }
      condition({ type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound', message: `the HPA was able to successfully calculate a replica count from ${metricName}` });
      desired = proposal;
      if (desired > current) reason = `${metricName} above target`;
      if (desired < current) reason = 'All metrics below target';

      // normalizeDesiredReplicas (no spec.behavior): stabilization, then the min/max/scale-up-limit rules.
      const stabilized = stabilize(key, desired);
      if (stabilized !== desired) condition({ type: 'AbleToScale', status: 'True', reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' });
      else condition({ type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' });
      const scaleUpLimit = Math.max(scaleUpLimitFactor * current, scaleUpLimitMinimum);
      const [upperBound, upperReason, upperMessage] = maxReplicas > scaleUpLimit
        ? [scaleUpLimit, 'ScaleUpLimit', 'the desired replica count is increasing faster than the maximum scale rate']
        : [maxReplicas, 'TooManyReplicas', 'the desired replica count is more than the maximum replica count'];
      let limited: Condition;
      if (stabilized < minReplicas) {
        desired = minReplicas;
        limited = { type: 'ScalingLimited', status: 'True', reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
      } else if (stabilized > upperBound) {
        desired = upperBound;
        limited = { type: 'ScalingLimited', status: 'True', reason: upperReason, message: upperMessage };
      } else {
        desired = stabilized;
        limited = { type: 'ScalingLimited', status: 'False', reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
      }
      condition(limited);
      rescale = desired !== current;
    }

    if (rescale) {
      store.mutate(targetType, namespace, target.metadata.name!, (latest) => {
        if (latest.metadata.uid !== target.metadata.uid) return undefined;
        latest.spec = { ...latest.spec, replicas: desired };
        return latest;
      });
      condition({ type: 'AbleToScale', status: 'True', reason: 'SucceededRescale', message: `the HPA controller was able to update the target scale to ${desired}` });
      record(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${reason}`);
      status.lastScaleTime = now;
    } else {
      desired = current;
    }
    status.currentReplicas = current;
    status.desiredReplicas = desired;
    if (metricStatuses) status.currentMetrics = metricStatuses;
    else status.currentMetrics = null;
    write();
  }

  controller = {
    name: 'horizontal-pod-autoscaler',
    keysFor(change) {
      if (change.resource.group !== 'autoscaling' || change.resource.resource !== 'horizontalpodautoscalers') return [];
      const key = keyOf(change.object.metadata.namespace, change.object.metadata.name);
      if (change.type === 'DELETED') {
        forget(key);
        return [];
      }
      // Status writes (its own) do not trigger a new evaluation: the next one comes with the sync period.
      if (change.type === 'MODIFIED' && change.previous && change.previous.metadata.generation === change.object.metadata.generation && !isTerminating(change.object)) return [];
      return [key];
    },
    reconcile,
  };
  return controller;
}
