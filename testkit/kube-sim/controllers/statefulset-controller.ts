import type { KubeObject } from '../cluster-types.ts';
import type { WorkloadContext } from '../workloads/workload-context.ts';
import { keyOf, splitKey, type Controller } from './controller-manager.ts';
import { syncControllerRevisions } from './controller-revisions.ts';
import { canonicalJson, isPodReady, isTerminating } from './object-helpers.ts';
import { createPodFromTemplate, deletePodGracefully, podsOwnedBy } from './pod-template.ts';
import { ownerKeysForPodChange } from './replicaset-controller.ts';

const ordinalOf = (setName: string, pod: KubeObject) => Number(pod.metadata.name!.slice(setName.length + 1));

/** StatefulSets: pods `<name>-0..n-1` created in order (or in parallel), rolling updates from the highest ordinal. */
export function createStatefulSetController(context: WorkloadContext): Controller {
  const { store, events } = context.cluster;
  return {
    name: 'statefulset-controller',
    keysFor(change) {
      if (change.resource.group === 'apps' && change.resource.resource === 'statefulsets') return [keyOf(change.object.metadata.namespace, change.object.metadata.name)];
      return ownerKeysForPodChange(change, 'StatefulSet');
    },
    reconcile(key) {
      const { namespace, name } = splitKey(key);
      const type = context.types.get('apps', 'statefulsets');
      const set = store.get(type, namespace, name);
      if (!set || isTerminating(set) || !set.spec?.template) return;
      const { current: revision } = syncControllerRevisions(context, set);
      const updateRevision = revision.metadata.name!;
      const replicas = set.spec.replicas ?? 1;
      const parallel = set.spec.podManagementPolicy === 'Parallel';
      const pods = podsOwnedBy(context, set);
      const byOrdinal = new Map(pods.map((pod) => [ordinalOf(name, pod), pod]));
      const record = (verb: string, podName: string) => events.record(set, { reason: verb === 'create' ? 'SuccessfulCreate' : 'SuccessfulDelete', message: `${verb} Pod ${podName} in StatefulSet ${name} successful`, component: 'statefulset-controller' });
      const healthy = (pod: KubeObject | undefined) => Boolean(pod && !isTerminating(pod) && pod.status?.phase === 'Running' && isPodReady(pod));

      let blocked = false;
      for (let ordinal = 0; ordinal < replicas && !blocked; ordinal++) {
        const pod = byOrdinal.get(ordinal);
        if (pod?.status?.phase === 'Failed' && !isTerminating(pod)) {
          deletePodGracefully(context, pod);
          blocked = !parallel;
          continue;
        }
        if (!pod) {
          const podName = `${name}-${ordinal}`;
          createPodFromTemplate(context, {
            owner: set,
            template: set.spec.template,
            name: podName,
            labels: { 'controller-revision-hash': updateRevision, 'statefulset.kubernetes.io/pod-name': podName, 'apps.kubernetes.io/pod-index': String(ordinal) },
          });
          record('create', podName);
          blocked = !parallel;
          continue;
        }
        if (!parallel && !healthy(pod)) blocked = true;
      }
      const extra = pods.filter((pod) => ordinalOf(name, pod) >= replicas && !isTerminating(pod)).sort((left, right) => ordinalOf(name, right) - ordinalOf(name, left));
      if (extra.length && (parallel || pods.every((pod) => ordinalOf(name, pod) >= replicas || healthy(pod)))) {
        for (const pod of parallel ? extra : extra.slice(0, 1)) {
          deletePodGracefully(context, pod);
          record('delete', pod.metadata.name!);
        }
      }
      const strategy = set.spec.updateStrategy?.type ?? 'RollingUpdate';
      const partition = set.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
      const inRange = pods.filter((pod) => ordinalOf(name, pod) < replicas);
      if (strategy === 'RollingUpdate' && !extra.length && inRange.length === replicas && inRange.every(healthy)) {
        const stale = inRange.filter((pod) => ordinalOf(name, pod) >= partition && pod.metadata.labels?.['controller-revision-hash'] !== updateRevision).sort((left, right) => ordinalOf(name, right) - ordinalOf(name, left));
        if (stale[0]) {
          deletePodGracefully(context, stale[0]);
          record('delete', stale[0].metadata.name!);
        }
      }

      const active = podsOwnedBy(context, set).filter((pod) => !isTerminating(pod) && ordinalOf(name, pod) < replicas);
      const ready = active.filter(isPodReady).length;
      const updated = active.filter((pod) => pod.metadata.labels?.['controller-revision-hash'] === updateRevision).length;
      const previousCurrent: string | undefined = set.status?.currentRevision;
      const rolledOut = updated === replicas && ready === replicas;
      const currentRevision = rolledOut || !previousCurrent ? updateRevision : previousCurrent;
      const current = active.filter((pod) => pod.metadata.labels?.['controller-revision-hash'] === currentRevision).length;
      const status: Record<string, unknown> = {
        observedGeneration: set.metadata.generation ?? 1,
        replicas: active.length,
        readyReplicas: ready,
        currentReplicas: current,
        updatedReplicas: updated,
        availableReplicas: ready,
        currentRevision,
        updateRevision,
        collisionCount: 0,
      };
      for (const field of ['readyReplicas', 'currentReplicas', 'updatedReplicas']) if (!status[field]) delete status[field];
      store.mutate(type, namespace, name, (latest) => {
        if (latest.metadata.uid !== set.metadata.uid || canonicalJson(latest.status ?? {}) === canonicalJson(status)) return undefined;
        latest.status = status;
        return latest;
      });
    },
  };
}
