import type { KubeObject, ResourceType } from '../cluster-types.ts';
import { hpaToV2 } from './version-conversion.ts';

/** Probe defaults of the API server: timeout 1 s, period 10 s, thresholds 1/3, httpGet path `/` over HTTP. */
function defaultProbe(probe: any): void {
  if (!probe || typeof probe !== 'object') return;
  probe.timeoutSeconds ??= 1;
  probe.periodSeconds ??= 10;
  probe.successThreshold ??= 1;
  probe.failureThreshold ??= 3;
  if (probe.httpGet && typeof probe.httpGet === 'object') {
    probe.httpGet.path ??= '/';
    probe.httpGet.scheme ??= 'HTTP';
  }
}

function defaultContainers(containers: any[] | undefined): void {
  for (const container of containers ?? []) {
    if (!container || typeof container !== 'object') continue;
    const image = String(container.image ?? '');
    const tag = image.includes('@') ? 'digest' : image.split('/').pop()!.split(':')[1];
    container.imagePullPolicy ??= !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
    container.terminationMessagePath ??= '/dev/termination-log';
    container.terminationMessagePolicy ??= 'File';
    container.resources ??= {};
    for (const port of container.ports ?? []) port.protocol ??= 'TCP';
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) defaultProbe(container[probe]);
  }
}

function defaultPodSpec(spec: any): void {
  if (!spec || typeof spec !== 'object') return;
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.securityContext ??= {};
  defaultContainers(spec.containers);
  defaultContainers(spec.initContainers);
}

/** Keys of the tolerations the DefaultTolerationSeconds admission plugin adds to every pod. */
const defaultTolerationKeys = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

/** What admission adds to a pod (not to templates): priority, service links, default tolerations. */
function admitPod(spec: any): void {
  if (!spec || typeof spec !== 'object') return;
  spec.serviceAccountName ??= spec.serviceAccount ?? 'default';
  spec.enableServiceLinks ??= true;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  spec.priority ??= 0;
  const tolerations: any[] = Array.isArray(spec.tolerations) ? spec.tolerations : [];
  for (const key of defaultTolerationKeys) {
    if (tolerations.some((toleration) => toleration?.key === key || (toleration?.operator === 'Exists' && !toleration?.key))) continue;
    tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  spec.tolerations = tolerations;
}

function defaultRollingUpdate(strategy: any, rollingUpdate: Record<string, unknown>): any {
  const next = { type: 'RollingUpdate', ...(strategy ?? {}) };
  if (next.type === 'RollingUpdate') next.rollingUpdate = { ...rollingUpdate, ...(next.rollingUpdate ?? {}) };
  return next;
}

let nextClusterIp = 1;

/** Allocates from 10.96.0.0/12 like a default kubeadm cluster; the simulator never reuses addresses. */
function allocateClusterIp(): string {
  const value = nextClusterIp++;
  return `10.96.${Math.floor(value / 250)}.${(value % 250) + 1}`;
}

/**
 * Defaulting done by the API server on every create and update (and by kube-sim's own controllers and
 * scenarios when they write objects): the values `kubectl get -o yaml` shows that nobody wrote, such as a
 * Deployment's strategy or a Service's clusterIP. Idempotent; never touches status.
 */
export function applyDefaults(resource: ResourceType, object: KubeObject): void {
  const key = `${resource.group}/${resource.resource}`;
  const spec = object.spec;
  switch (key) {
    case '/namespaces':
      object.metadata.labels = { ...(object.metadata.labels ?? {}), 'kubernetes.io/metadata.name': object.metadata.name! };
      object.spec = { finalizers: ['kubernetes'], ...(spec ?? {}) };
      break;
    case '/pods':
      defaultPodSpec(spec);
      admitPod(spec);
      break;
    case '/secrets':
      object.type ??= 'Opaque';
      if (object.stringData && typeof object.stringData === 'object') {
        object.data = { ...(object.data ?? {}) };
        for (const [name, value] of Object.entries(object.stringData)) object.data[name] = Buffer.from(String(value)).toString('base64');
      }
      delete object.stringData;
      break;
    case '/services':
      if (spec) {
        spec.type ??= 'ClusterIP';
        spec.sessionAffinity ??= 'None';
        if (spec.type !== 'ExternalName' && !spec.clusterIP) spec.clusterIP = allocateClusterIp();
        if (spec.clusterIP && spec.clusterIP !== 'None') spec.clusterIPs ??= [spec.clusterIP];
        spec.ipFamilies ??= ['IPv4'];
        spec.ipFamilyPolicy ??= 'SingleStack';
        spec.internalTrafficPolicy ??= 'Cluster';
        for (const port of spec.ports ?? []) {
          port.protocol ??= 'TCP';
          port.targetPort ??= port.port;
        }
      }
      break;
    case 'apps/deployments':
      if (spec) {
        spec.replicas ??= 1;
        spec.revisionHistoryLimit ??= 10;
        spec.progressDeadlineSeconds ??= 600;
        spec.strategy = defaultRollingUpdate(spec.strategy, { maxUnavailable: '25%', maxSurge: '25%' });
        defaultPodSpec(spec.template?.spec);
      }
      break;
    case 'apps/replicasets':
      if (spec) {
        spec.replicas ??= 1;
        defaultPodSpec(spec.template?.spec);
      }
      break;
    case 'apps/statefulsets':
      if (spec) {
        spec.replicas ??= 1;
        spec.podManagementPolicy ??= 'OrderedReady';
        spec.revisionHistoryLimit ??= 10;
        spec.updateStrategy = defaultRollingUpdate(spec.updateStrategy, { partition: 0 });
        spec.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: 'Retain', whenScaled: 'Retain' };
        defaultPodSpec(spec.template?.spec);
        // Claim templates are full PersistentVolumeClaims to the API server: kind, defaults and a Pending status.
        for (const template of Array.isArray(spec.volumeClaimTemplates) ? spec.volumeClaimTemplates : []) {
          if (!template || typeof template !== 'object') continue;
          template.apiVersion ??= 'v1';
          template.kind ??= 'PersistentVolumeClaim';
          if (template.spec && typeof template.spec === 'object') template.spec.volumeMode ??= 'Filesystem';
          template.status ??= { phase: 'Pending' };
        }
      }
      break;
    case 'apps/daemonsets':
      if (spec) {
        spec.revisionHistoryLimit ??= 10;
        spec.updateStrategy = defaultRollingUpdate(spec.updateStrategy, { maxUnavailable: 1, maxSurge: 0 });
        defaultPodSpec(spec.template?.spec);
      }
      break;
    case 'batch/jobs':
      if (spec) {
        spec.parallelism ??= 1;
        spec.completions ??= 1;
        spec.backoffLimit ??= 6;
        spec.completionMode ??= 'NonIndexed';
        spec.suspend ??= false;
        defaultPodSpec(spec.template?.spec);
        if (spec.template?.spec && spec.template.spec.restartPolicy === 'Always') spec.template.spec.restartPolicy = 'Never';
      }
      break;
    case 'autoscaling/horizontalpodautoscalers': {
      // Stored as autoscaling/v2 whatever version wrote it (scenarios may still hold a v1 document).
      if (object.apiVersion === 'autoscaling/v1') {
        const converted = hpaToV2(object);
        for (const key of Object.keys(object)) delete object[key];
        Object.assign(object, converted);
      }
      if (object.spec) {
        object.spec.minReplicas ??= 1;
        if (!Array.isArray(object.spec.metrics) || object.spec.metrics.length === 0) {
          object.spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
        }
      }
      break;
    }
    case '/persistentvolumeclaims':
      if (spec) spec.volumeMode ??= 'Filesystem';
      break;
    case '/persistentvolumes':
      if (spec) {
        spec.persistentVolumeReclaimPolicy ??= 'Retain';
        spec.volumeMode ??= 'Filesystem';
      }
      break;
    case 'storage.k8s.io/storageclasses':
      object.reclaimPolicy ??= 'Delete';
      object.volumeBindingMode ??= 'Immediate';
      break;
    case 'batch/cronjobs':
      if (spec) {
        spec.concurrencyPolicy ??= 'Allow';
        spec.suspend ??= false;
        spec.successfulJobsHistoryLimit ??= 3;
        spec.failedJobsHistoryLimit ??= 1;
      }
      break;
  }
}

/** The status a freshly created object starts with, where the API server sets one. */
export function initialStatus(resource: ResourceType, object: KubeObject): void {
  switch (`${resource.group}/${resource.resource}`) {
    case '/namespaces':
      object.status = { phase: 'Active' };
      break;
    case '/pods':
      object.status = { phase: 'Pending', qosClass: 'BestEffort' };
      break;
    case '/services':
      object.status = { loadBalancer: {} };
      break;
    case '/persistentvolumeclaims':
    case '/persistentvolumes':
      object.status = { phase: 'Pending' };
      break;
    case 'autoscaling/horizontalpodautoscalers':
      object.status = { currentMetrics: null, desiredReplicas: 0 };
      break;
  }
}
