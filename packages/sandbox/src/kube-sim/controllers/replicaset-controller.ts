import type { KubeObject } from '../cluster-types.ts';
import type { WorkloadContext } from '../workloads/workload-context.ts';
import { keyOf, splitKey, type Controller } from './controller-manager.ts';
import { canonicalJson, controllerOf, isPodActive, isPodReady, isTerminating } from './object-helpers.ts';
import { createPodFromTemplate, deletePodGracefully, podsOwnedBy } from './pod-template.ts';

/** Which pods go first when scaling down: unscheduled, then pending, then not ready, then the youngest. */
export function deletionOrder(left: KubeObject, right: KubeObject): number {
  const rank = (pod: KubeObject) => (!pod.spec?.nodeName ? 0 : pod.status?.phase === 'Pending' ? 1 : !isPodReady(pod) ? 2 : 3);
  return rank(left) - rank(right) || String(right.metadata.creationTimestamp ?? '').localeCompare(String(left.metadata.creationTimestamp ?? '')) || String(right.metadata.name).localeCompare(String(left.metadata.name));
}

/** Keys of the owners of kind `kind` whose pods changed. */
export function ownerKeysForPodChange(change: { resource: { group: string; resource: string }; object: KubeObject; previous?: KubeObject }, kind: string): string[] {
  if (change.resource.group !== '' || change.resource.resource !== 'pods') return [];
  const owner = controllerOf(change.object) ?? (change.previous ? controllerOf(change.previous) : undefined);
  return owner?.kind === kind ? [keyOf(change.object.metadata.namespace, owner.name)] : [];
}

/** Keeps each ReplicaSet's pod count at spec.replicas and reports replicas/ready/available in its status. */
export function createReplicaSetController(context: WorkloadContext): Controller {
  const { store, events } = context.cluster;
  return {
    name: 'replicaset-controller',
    keysFor(change) {
      if (change.resource.group === 'apps' && change.resource.resource === 'replicasets') return [keyOf(change.object.metadata.namespace, change.object.metadata.name)];
      return ownerKeysForPodChange(change, 'ReplicaSet');
    },
    reconcile(key) {
      const { namespace, name } = splitKey(key);
      const type = context.types.get('apps', 'replicasets');
      const replicaSet = store.get(type, namespace, name);
      if (!replicaSet || isTerminating(replicaSet)) return;
      const owned = podsOwnedBy(context, replicaSet);
      const active = owned.filter(isPodActive);
      const desired = replicaSet.spec?.replicas ?? 1;
      const pods = context.types.pods();
      if (active.length < desired) {
        for (let index = active.length; index < desired; index++) {
          const pod = createPodFromTemplate(context, { owner: replicaSet, template: replicaSet.spec.template });
          events.record(replicaSet, { reason: 'SuccessfulCreate', message: `Created pod: ${pod.metadata.name}`, component: 'replicaset-controller' });
        }
      } else if (active.length > desired) {
        for (const pod of [...active].sort(deletionOrder).slice(0, active.length - desired)) {
          deletePodGracefully(context, pod);
          events.record(replicaSet, { reason: 'SuccessfulDelete', message: `Deleted pod: ${pod.metadata.name}`, component: 'replicaset-controller' });
        }
      }
      const current = podsOwnedBy(context, replicaSet).filter(isPodActive);
      const ready = current.filter(isPodReady).length;
      const status = {
        replicas: current.length,
        fullyLabeledReplicas: current.length,
        readyReplicas: ready,
        availableReplicas: ready,
        observedGeneration: replicaSet.metadata.generation ?? 1,
      };
      store.mutate(type, namespace, name, (latest) => {
        if (latest.metadata.uid !== replicaSet.metadata.uid) return undefined;
        const next = { ...latest.status, ...status };
        if (!next.readyReplicas) delete next.readyReplicas;
        if (!next.availableReplicas) delete next.availableReplicas;
        if (!next.fullyLabeledReplicas) delete next.fullyLabeledReplicas;
        if (canonicalJson(next) === canonicalJson(latest.status ?? {})) return undefined;
        latest.status = next;
        return latest;
      });
    },
  };
}
