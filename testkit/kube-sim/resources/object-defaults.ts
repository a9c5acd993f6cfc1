import type { KubeObject, ResourceType } from '../cluster-types.ts';

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

let nextClusterIp = 1;

/** Allocates from 10.96.0.0/12 like a default kubeadm cluster; the simulator never reuses addresses. */
function allocateClusterIp(): string {
  const value = nextClusterIp++;
  return `10.96.${Math.floor(value / 250)}.${(value % 250) + 1}`;
}

/**
 * Defaulting done by the API server on create (and update for spec defaults): the values `kubectl get -o yaml`
 * shows that nobody wrote, such as a Deployment's strategy or a Service's clusterIP.
 */
export function applyDefaults(resource: ResourceType, object: KubeObject, creating: boolean): void {
  const key = `${resource.group}/${resource.resource}`;
  const spec = object.spec;
  switch (key) {
    case '/namespaces':
      object.metadata.labels = { ...(object.metadata.labels ?? {}), 'kubernetes.io/metadata.name': object.metadata.name! };
      object.spec = { finalizers: ['kubernetes'], ...(spec ?? {}) };
      if (creating) object.status = { phase: 'Active' };
      break;
    case '/pods':
      defaultPodSpec(spec);
      if (spec) spec.serviceAccountName ??= spec.serviceAccount ?? 'default';
      if (creating) object.status = { phase: 'Pending', qosClass: 'BestEffort' };
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
      if (creating) object.status = { loadBalancer: {} };
      break;
    case 'apps/deployments':
      if (spec) {
        spec.replicas ??= 1;
        spec.revisionHistoryLimit ??= 10;
        spec.progressDeadlineSeconds ??= 600;
        if (!spec.strategy?.type) spec.strategy = { type: 'RollingUpdate', ...(spec.strategy ?? {}) };
        if (spec.strategy.type === 'RollingUpdate') spec.strategy.rollingUpdate = { maxUnavailable: '25%', maxSurge: '25%', ...(spec.strategy.rollingUpdate ?? {}) };
        defaultPodSpec(spec.template?.spec);
      }
      break;
    case 'apps/replicasets':
    case 'apps/statefulsets':
    case 'apps/daemonsets':
      if (spec) {
        if (key !== 'apps/daemonsets') spec.replicas ??= 1;
        defaultPodSpec(spec.template?.spec);
      }
      break;
    case 'batch/jobs':
      if (spec) {
        spec.parallelism ??= 1;
        spec.completions ??= 1;
        spec.backoffLimit ??= 6;
        defaultPodSpec(spec.template?.spec);
        if (spec.template?.spec && spec.template.spec.restartPolicy === 'Always') spec.template.spec.restartPolicy = 'Never';
      }
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
