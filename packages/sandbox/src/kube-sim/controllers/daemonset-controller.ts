import type { KubeObject } from '../cluster-types.ts';
import type { WorkloadContext } from '../workloads/workload-context.ts';
import { keyOf, splitKey, type Controller } from './controller-manager.ts';
import { syncControllerRevisions } from './controller-revisions.ts';
import { canonicalJson, controllerOf, intOrPercent, isPodActive, isPodReady, isTerminating } from './object-helpers.ts';
import { createPodFromTemplate, deletePodGracefully, podsOwnedBy } from './pod-template.ts';
import { ownerKeysForPodChange } from './replicaset-controller.ts';
import { unfitReason } from './scheduler.ts';

// DaemonSet pods tolerate node conditions and cordoning: the DaemonSet controller adds these tolerations.
const daemonTolerations = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

/** DaemonSets: one pod per node the template fits (taints, nodeSelector), rolling updates by revision hash. */
export function createDaemonSetController(context: WorkloadContext): Controller {
  const { store, events } = context.cluster;
  return {
    name: 'daemonset-controller',
    keysFor(change) {
      if (change.resource.group === 'apps' && change.resource.resource === 'daemonsets') return [keyOf(change.object.metadata.namespace, change.object.metadata.name)];
      if (change.resource.group === '' && change.resource.resource === 'nodes') {
        return store.list(context.types.get('apps', 'daemonsets')).map((set) => keyOf(set.metadata.namespace, set.metadata.name));
      }
      return ownerKeysForPodChange(change, 'DaemonSet');
    },
    reconcile(key) {
      const { namespace, name } = splitKey(key);
      const type = context.types.get('apps', 'daemonsets');
      const set = store.get(type, namespace, name);
      if (!set || isTerminating(set) || !set.spec?.template) return;
      const { hash } = syncControllerRevisions(context, set);
      const template = structuredClone(set.spec.template);
      template.spec = { ...template.spec, tolerations: [...(template.spec?.tolerations ?? []), ...daemonTolerations] };
      const probe: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'probe' }, spec: { ...template.spec, containers: [] } };
      const nodes = store.list(context.types.nodes());
      const eligible = new Set(nodes.filter((node) => !unfitReason(probe, node, { cpu: 0, memory: 0 }, 0)).map((node) => node.metadata.name!));
      const pods = podsOwnedBy(context, set).filter((pod) => !isTerminating(pod));
      const byNode = new Map<string, KubeObject[]>();
      for (const pod of pods) byNode.set(pod.spec?.nodeName ?? '', [...(byNode.get(pod.spec?.nodeName ?? '') ?? []), pod]);
      const record = (reason: string, message: string) => events.record(set, { reason, message, component: 'daemonset-controller' });

      for (const nodeName of eligible) {
        const onNode = (byNode.get(nodeName) ?? []).filter(isPodActive);
        if (onNode.length === 0) {
          const pod = createPodFromTemplate(context, { owner: set, template, nodeName, labels: { 'controller-revision-hash': hash, 'pod-template-generation': String(set.metadata.generation ?? 1) } });
          record('SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
        }
        for (const pod of onNode.slice(1)) deletePodGracefully(context, pod);
        for (const pod of (byNode.get(nodeName) ?? []).filter((candidate) => candidate.status?.phase === 'Failed')) deletePodGracefully(context, pod);
      }
      for (const pod of pods) {
        if (!eligible.has(pod.spec?.nodeName ?? '')) {
          deletePodGracefully(context, pod);
          record('SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
        }
      }
      if ((set.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
        const maxUnavailable = Math.max(1, intOrPercent(set.spec.updateStrategy?.rollingUpdate?.maxUnavailable, eligible.size, 1, false));
        const live = podsOwnedBy(context, set);
        const unavailable = [...eligible].filter((nodeName) => !live.some((pod) => pod.spec?.nodeName === nodeName && !isTerminating(pod) && isPodReady(pod))).length;
        const stale = live.filter((pod) => !isTerminating(pod) && pod.metadata.labels?.['controller-revision-hash'] !== hash);
        for (const pod of stale.slice(0, Math.max(0, maxUnavailable - unavailable))) {
          deletePodGracefully(context, pod);
          record('SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
        }
      }

      const live = podsOwnedBy(context, set).filter((pod) => !isTerminating(pod) && controllerOf(pod));
      const scheduled = live.filter((pod) => eligible.has(pod.spec?.nodeName ?? ''));
      const ready = scheduled.filter(isPodReady).length;
      const updated = scheduled.filter((pod) => pod.metadata.labels?.['controller-revision-hash'] === hash).length;
      const status: Record<string, unknown> = {
        currentNumberScheduled: new Set(scheduled.map((pod) => pod.spec?.nodeName)).size,
        numberMisscheduled: live.length - scheduled.length,
        desiredNumberScheduled: eligible.size,
        numberReady: ready,
        observedGeneration: set.metadata.generation ?? 1,
        updatedNumberScheduled: updated,
        numberAvailable: ready,
        numberUnavailable: Math.max(0, eligible.size - ready),
      };
      for (const field of ['numberAvailable', 'numberUnavailable', 'updatedNumberScheduled']) if (!status[field]) delete status[field];
      store.mutate(type, namespace, name, (latest) => {
        if (latest.metadata.uid !== set.metadata.uid || canonicalJson(latest.status ?? {}) === canonicalJson(status)) return undefined;
        latest.status = status;
        return latest;
      });
    },
  };
}
