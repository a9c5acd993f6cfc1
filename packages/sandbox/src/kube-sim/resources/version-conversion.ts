import type { KubeObject } from '../cluster-types.ts';
import { isPlainObject } from '../util/json-values.ts';

/**
 * Conversion between the served versions of a resource that stores one shape. Only HorizontalPodAutoscaler
 * needs it: `kubectl autoscale` writes autoscaling/v1, `kubectl get/describe hpa` reads autoscaling/v2, and the
 * API server stores autoscaling/v2. What v1 cannot express travels in the same annotations the real
 * conversion uses (autoscaling.alpha.kubernetes.io/…), so a v1 read-modify-write keeps it.
 */

const annotations = {
  metrics: 'autoscaling.alpha.kubernetes.io/metrics',
  behavior: 'autoscaling.alpha.kubernetes.io/behavior',
  conditions: 'autoscaling.alpha.kubernetes.io/conditions',
  currentMetrics: 'autoscaling.alpha.kubernetes.io/current-metrics',
};

const isCpuUtilization = (metric: any) => metric?.type === 'Resource' && metric.resource?.name === 'cpu' && metric.resource?.target?.type === 'Utilization';

function parseAnnotation(object: KubeObject, key: string): any {
  const text = object.metadata.annotations?.[key];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function dropAnnotations(object: KubeObject): void {
  if (!object.metadata.annotations) return;
  for (const key of Object.values(annotations)) delete object.metadata.annotations[key];
  if (Object.keys(object.metadata.annotations).length === 0) delete object.metadata.annotations;
}

/** An autoscaling/v1 HPA (or one already in v2) in the v2 shape it is stored in. */
export function hpaToV2(object: KubeObject): KubeObject {
  if (object.apiVersion !== 'autoscaling/v1') return object;
  const { targetCPUUtilizationPercentage: target, ...spec } = isPlainObject(object.spec) ? object.spec : ({} as any);
  const converted: KubeObject = { ...object, apiVersion: 'autoscaling/v2', metadata: { ...object.metadata, annotations: object.metadata.annotations && { ...object.metadata.annotations } } };
  const otherMetrics = parseAnnotation(object, annotations.metrics);
  const metrics = [...(Array.isArray(otherMetrics) ? otherMetrics : []), ...(target !== undefined && target !== null ? [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target } } }] : [])];
  const behavior = parseAnnotation(object, annotations.behavior);
  converted.spec = { ...spec, ...(metrics.length ? { metrics } : {}), ...(behavior ? { behavior } : {}) };
  if (isPlainObject(object.status)) {
    const { currentCPUUtilizationPercentage: current, ...status } = object.status;
    const otherCurrent = parseAnnotation(object, annotations.currentMetrics);
    const currentMetrics = [...(Array.isArray(otherCurrent) ? otherCurrent : []), ...(current !== undefined && current !== null ? [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: current } } }] : [])];
    const conditions = parseAnnotation(object, annotations.conditions);
    converted.status = { ...status, ...(currentMetrics.length ? { currentMetrics } : {}), ...(Array.isArray(conditions) ? { conditions } : {}) };
  }
  dropAnnotations(converted);
  return converted;
}

/** A stored v2 HPA as autoscaling/v1 shows it. */
export function hpaToV1(object: KubeObject): KubeObject {
  const v2 = hpaToV2(object);
  const { metrics, behavior, ...spec } = isPlainObject(v2.spec) ? v2.spec : ({} as any);
  const list: any[] = Array.isArray(metrics) ? metrics : [];
  const cpu = list.find(isCpuUtilization);
  const others = list.filter((metric) => metric !== cpu);
  const extra: Record<string, string> = {};
  if (others.length) extra[annotations.metrics] = JSON.stringify(others);
  if (behavior) extra[annotations.behavior] = JSON.stringify(behavior);
  let status: any;
  if (isPlainObject(v2.status)) {
    const { currentMetrics, conditions, ...rest } = v2.status;
    const currents: any[] = Array.isArray(currentMetrics) ? currentMetrics : [];
    const currentCpu = currents.find((metric) => metric?.type === 'Resource' && metric.resource?.name === 'cpu');
    const otherCurrents = currents.filter((metric) => metric !== currentCpu);
    if (otherCurrents.length) extra[annotations.currentMetrics] = JSON.stringify(otherCurrents);
    if (Array.isArray(conditions) && conditions.length) extra[annotations.conditions] = JSON.stringify(conditions);
    status = { ...rest, ...(currentCpu?.resource?.current?.averageUtilization !== undefined ? { currentCPUUtilizationPercentage: currentCpu.resource.current.averageUtilization } : {}) };
  }
  const metadata = Object.keys(extra).length ? { ...v2.metadata, annotations: { ...v2.metadata.annotations, ...extra } } : v2.metadata;
  return {
    ...v2,
    apiVersion: 'autoscaling/v1',
    metadata,
    spec: { ...spec, ...(cpu ? { targetCPUUtilizationPercentage: cpu.resource.target.averageUtilization } : {}) },
    ...(status ? { status } : {}),
  };
}

/** Shows a stored object in `apiVersion`, converting where the shapes differ. */
export function convertToVersion(object: KubeObject, apiVersion: string): KubeObject {
  if (object.kind === 'HorizontalPodAutoscaler') {
    if (apiVersion === 'autoscaling/v1') return hpaToV1(object);
    if (object.apiVersion === 'autoscaling/v1') return { ...hpaToV2(object), apiVersion };
  }
  return { ...object, apiVersion };
}

/** A decoded request body in the shape the store keeps. */
export function toStorageVersion(object: KubeObject): KubeObject {
  return object.kind === 'HorizontalPodAutoscaler' ? hpaToV2(object) : object;
}
