import type { KubeObject } from '../cluster-types.ts';
import { cpuMillis, memoryBytes } from '../runtime/quantity.ts';
import { nodeSelectorTermsMatch } from '../selectors/node-selector.ts';
import type { WorkloadContext } from '../workloads/workload-context.ts';
import { keyOf, splitKey, type Controller } from './controller-manager.ts';
import { isTerminating, setCondition } from './object-helpers.ts';
import { claimNamesOf } from './storage-helpers.ts';
import { createVolumeBinding } from './volume-binding.ts';

export interface PodRequests {
  cpu: number;
  memory: number;
}

export function podRequests(pod: KubeObject): PodRequests {
  let cpu = 0;
  let memory = 0;
  for (const container of pod.spec?.containers ?? []) {
    const requests = container.resources?.requests ?? container.resources?.limits ?? {};
    cpu += cpuMillis(requests.cpu);
    memory += memoryBytes(requests.memory);
  }
  return { cpu, memory };
}

function tolerates(pod: KubeObject, taint: { key: string; value?: string; effect: string }): boolean {
  return (pod.spec?.tolerations ?? []).some((toleration: any) => {
    if (toleration.effect && toleration.effect !== taint.effect) return false;
    if (toleration.operator === 'Exists') return !toleration.key || toleration.key === taint.key;
    return toleration.key === taint.key && (toleration.value ?? '') === (taint.value ?? '');
  });
}

function matchesAffinity(pod: KubeObject, node: KubeObject): boolean {
  return nodeSelectorTermsMatch(pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [], node);
}

/** The QoS class the API server assigns at admission. */
export function qosClassOf(pod: KubeObject): string {
  const resources: any[] = (pod.spec?.containers ?? []).map((container: any) => container.resources ?? {});
  const guaranteed = resources.length > 0 && resources.every((entry) => entry.limits?.cpu && entry.limits?.memory && (!entry.requests || (entry.requests.cpu === entry.limits.cpu && entry.requests.memory === entry.limits.memory)));
  if (guaranteed) return 'Guaranteed';
  return resources.some((entry) => Object.keys(entry.requests ?? {}).length || Object.keys(entry.limits ?? {}).length) ? 'Burstable' : 'BestEffort';
}

/** Why a pod cannot go to a node, in the scheduler's own words, or undefined if it fits. */
export function unfitReason(pod: KubeObject, node: KubeObject, used: PodRequests, count: number): string | undefined {
  const taints: any[] = node.spec?.taints ?? [];
  if (node.spec?.unschedulable && !tolerates(pod, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' })) return 'node(s) were unschedulable';
  const untolerated = taints.find((taint) => (taint.effect === 'NoSchedule' || taint.effect === 'NoExecute') && taint.key !== 'node.kubernetes.io/unschedulable' && !tolerates(pod, taint));
  if (untolerated) return `node(s) had untolerated taint {${untolerated.key}: ${untolerated.value ?? ''}}`;
  const selector: Record<string, string> = pod.spec?.nodeSelector ?? {};
  const labels = node.metadata.labels ?? {};
  if (!Object.entries(selector).every(([key, value]) => labels[key] === value) || !matchesAffinity(pod, node)) return "node(s) didn't match Pod's node affinity/selector";
  const requests = podRequests(pod);
  const allocatable = node.status?.allocatable ?? {};
  if (count + 1 > Number(allocatable.pods ?? 110)) return 'Too many pods';
  if (requests.cpu > 0 && used.cpu + requests.cpu > cpuMillis(allocatable.cpu)) return 'Insufficient cpu';
  if (requests.memory > 0 && used.memory + requests.memory > memoryBytes(allocatable.memory)) return 'Insufficient memory';
  return undefined;
}

/** The default-scheduler: binds pending pods to the least-loaded node that fits, or reports why none does. */
export function createScheduler(context: WorkloadContext): Controller {
  const { store } = context.cluster;
  const lastFailure = new Map<string, string>();

  /**
   * Indexes kept from the change stream, so one pod change costs O(1) rather than a list of every pod:
   * the unbound pods, and what the pods bound to each node request.
   */
  const pending = new Set<string>();
  /** pending pods that mount claims: retried when claims, volumes or storage classes change */
  const pendingWithClaims = new Set<string>();
  const volumeBinding = createVolumeBinding(context);
  const bound = new Map<string, { nodeName: string; requests: PodRequests }>();
  const usage = new Map<string, { used: PodRequests; count: number }>();
  /** Queued when capacity may have freed up (a node changed, a pod went away): retries every pending pod. */
  const retryPending = '*retry-pending*';

  const occupies = (pod: KubeObject) => Boolean(pod.spec?.nodeName) && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';

  function track(key: string, pod: KubeObject | undefined): boolean {
    if (pod && !pod.spec?.nodeName && !isTerminating(pod)) pending.add(key);
    else pending.delete(key);
    if (pod && pending.has(key) && claimNamesOf(pod).length > 0) pendingWithClaims.add(key);
    else pendingWithClaims.delete(key);
    const before = bound.get(key);
    if (before) {
      const entry = usage.get(before.nodeName)!;
      entry.used.cpu -= before.requests.cpu;
      entry.used.memory -= before.requests.memory;
      entry.count--;
      bound.delete(key);
    }
    if (pod && occupies(pod)) {
      const nodeName = pod.spec.nodeName as string;
      const requests = podRequests(pod);
      const entry = usage.get(nodeName) ?? { used: { cpu: 0, memory: 0 }, count: 0 };
      entry.used.cpu += requests.cpu;
      entry.used.memory += requests.memory;
      entry.count++;
      usage.set(nodeName, entry);
      bound.set(key, { nodeName, requests });
    }
    return Boolean(before) && !bound.has(key);
  }

  for (const pod of store.list(context.types.pods())) track(keyOf(pod.metadata.namespace, pod.metadata.name), pod);

  const controller: Controller = {
    name: 'default-scheduler',
    keysFor(change) {
      const storage = (change.resource.group === '' && (change.resource.resource === 'persistentvolumeclaims' || change.resource.resource === 'persistentvolumes')) || (change.resource.group === 'storage.k8s.io' && change.resource.resource === 'storageclasses');
      if (storage) return [...pendingWithClaims];
      if (change.resource.group !== '') return [];
      if (change.resource.resource === 'nodes') return [retryPending];
      if (change.resource.resource !== 'pods') return [];
      const key = keyOf(change.object.metadata.namespace, change.object.metadata.name);
      const freed = track(key, change.type === 'DELETED' ? undefined : change.object);
      const keys = pending.has(key) ? [key] : [];
      if (freed || (isTerminating(change.object) && !(change.previous && isTerminating(change.previous)))) keys.push(retryPending);
      return keys;
    },
    reconcile(key) {
      if (key === retryPending) {
        // Sorted like a list of pods, so pods competing for the same room are retried in a stable order.
        for (const waiting of [...pending].sort()) context.manager.enqueue(controller, waiting);
        return;
      }
      const { namespace, name } = splitKey(key);
      const pods = context.types.pods();
      const pod = store.get(pods, namespace, name);
      if (!pod || pod.spec?.nodeName || isTerminating(pod)) {
        lastFailure.delete(key);
        return;
      }
      if (pod.spec?.schedulerName && pod.spec.schedulerName !== 'default-scheduler') return;
      const nodes = store.list(context.types.nodes());
      const reasons = new Map<string, number>();
      const candidates: Array<{ node: KubeObject; count: number }> = [];
      const hasClaims = claimNamesOf(pod).length > 0;
      // PreFilter (VolumeBinding): a missing or unbound immediate claim rules out every node at once.
      const preFilterMessage = hasClaims ? volumeBinding.preFilter(pod) : undefined;
      for (const node of preFilterMessage ? [] : nodes) {
        const entry = usage.get(node.metadata.name!) ?? { used: { cpu: 0, memory: 0 }, count: 0 };
        const reason = unfitReason(pod, node, entry.used, entry.count) ?? (hasClaims ? volumeBinding.filter(pod, node) : undefined);
        if (reason) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
        else candidates.push({ node, count: entry.count });
      }
      const now = context.timestamp();
      if (candidates.length === 0) {
        // Sorted as whole strings, count included, like the scheduler's sort.Strings.
        const details = preFilterMessage ?? [...reasons.entries()]
          .map(([reason, count]) => `${count} ${reason}`)
          .sort((left, right) => (left < right ? -1 : left > right ? 1 : 0))
          .join(', ');
        const message = `0/${nodes.length} nodes are available: ${details || 'no nodes available to schedule pods'}. preemption: 0/${nodes.length} nodes are available: ${nodes.length} Preemption is not helpful for scheduling.`;
        if (lastFailure.get(key) === message) return;
        lastFailure.set(key, message);
        store.mutate(pods, namespace, name, (current) => {
          if (current.metadata.uid !== pod.metadata.uid) return undefined;
          current.status = { ...current.status, phase: 'Pending', qosClass: qosClassOf(current), conditions: setCondition(current.status?.conditions, { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }, now, { lastProbeTime: null }) };
          return current;
        });
        context.cluster.events.record(pod, { type: 'Warning', reason: 'FailedScheduling', message, component: 'default-scheduler' });
        return;
      }
      lastFailure.delete(key);
      candidates.sort((left, right) => left.count - right.count || left.node.metadata.name!.localeCompare(right.node.metadata.name!));
      const target = candidates[0].node.metadata.name!;
      // Reserve/PreBind: delay-binding claims are bound (or provisioned) on this node before the pod is.
      if (hasClaims && volumeBinding.bindVolumes(pod, candidates[0].node)) return;
      const binding = store.mutate(pods, namespace, name, (current) => {
        if (current.metadata.uid !== pod.metadata.uid || current.spec?.nodeName) return undefined;
        current.spec = { ...current.spec, nodeName: target };
        current.status = { ...current.status, phase: current.status?.phase ?? 'Pending', conditions: setCondition(current.status?.conditions, { type: 'PodScheduled', status: 'True' }, now, { lastProbeTime: null }) };
        return current;
      });
      if (binding?.spec?.nodeName === target) {
        context.cluster.events.record(pod, { reason: 'Scheduled', message: `Successfully assigned ${namespace}/${name} to ${target}`, component: 'default-scheduler' });
      }
    },
  };
  return controller;
}
