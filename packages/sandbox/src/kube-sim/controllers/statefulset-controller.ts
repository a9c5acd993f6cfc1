import type { KubeObject } from '../cluster-types.ts';
import type { WorkloadContext } from '../workloads/workload-context.ts';
import { keyOf, splitKey, type Controller } from './controller-manager.ts';
import { syncControllerRevisions } from './controller-revisions.ts';
import { canonicalJson, isPodReady, isTerminating } from './object-helpers.ts';
import { createPodFromTemplate, deletePodGracefully, podsOwnedBy } from './pod-template.ts';
import { ownerKeysForPodChange } from './replicaset-controller.ts';

const ordinalOf = (setName: string, pod: KubeObject) => Number(pod.metadata.name!.slice(setName.length + 1));

/** `<template>-<set>-<ordinal>`: the claims a StatefulSet's pod mounts, one per volumeClaimTemplate. */
function claimsFor(set: KubeObject, ordinal: number): Array<{ template: any; claim: KubeObject }> {
  return (set.spec?.volumeClaimTemplates ?? []).map((template: any) => {
    const { status: _status, apiVersion: _apiVersion, kind: _kind, metadata = {}, ...rest } = structuredClone(template ?? {});
    const { creationTimestamp: _created, ...claimMetadata } = metadata;
    const claim: KubeObject = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      ...rest,
      metadata: {
        ...claimMetadata,
        name: `${metadata.name}-${set.metadata.name}-${ordinal}`,
        namespace: set.metadata.namespace,
        labels: { ...(metadata.labels ?? {}), ...(set.spec?.selector?.matchLabels ?? {}) },
      },
    };
    return { template, claim };
  });
}

/** The pod template with one persistentVolumeClaim volume per claim template (claims first, as updateStorage does). */
function templateWithClaims(set: KubeObject, ordinal: number): any {
  const claims = claimsFor(set, ordinal);
  if (claims.length === 0) return set.spec.template;
  const template = structuredClone(set.spec.template);
  const names = new Set(claims.map(({ template: claimTemplate }) => claimTemplate.metadata?.name));
  template.spec = template.spec ?? {};
  template.spec.volumes = [
    ...claims.map(({ template: claimTemplate, claim }) => ({ name: claimTemplate.metadata?.name, persistentVolumeClaim: { claimName: claim.metadata.name } })),
    ...(template.spec.volumes ?? []).filter((volume: any) => !names.has(volume?.name)),
  ];
  return template;
}

/** StatefulSets: pods `<name>-0..n-1` created in order (or in parallel), rolling updates from the highest ordinal. */
export function createStatefulSetController(context: WorkloadContext): Controller {
  const { store, events } = context.cluster;
  const claimsType = () => context.types.get('', 'persistentvolumeclaims');

  /**
   * createPersistentVolumeClaims: creates the pod's missing claims (through admission, like an API create) and
   * returns the error that stops the pod from being created (a claim still being deleted).
   */
  function ensureClaims(set: KubeObject, podName: string, ordinal: number): string | undefined {
    const errors: string[] = [];
    for (const { claim } of claimsFor(set, ordinal)) {
      const existing = store.get(claimsType(), claim.metadata.namespace, claim.metadata.name!);
      if (existing) {
        if (existing.metadata.deletionTimestamp) errors.push(`pvc ${claim.metadata.name} is being deleted`);
        continue;
      }
      if (set.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete') {
        claim.metadata.ownerReferences = [{ apiVersion: set.apiVersion, kind: set.kind, name: set.metadata.name!, uid: set.metadata.uid!, controller: true, blockOwnerDeletion: true }];
      }
      context.cluster.applyDefaults(claimsType(), claim);
      context.cluster.admitCreate(claimsType(), claim);
      claim.status = { phase: 'Pending' };
      store.create(claimsType(), claim);
      events.record(set, { reason: 'SuccessfulCreate', message: `create Claim ${claim.metadata.name} Pod ${podName} in StatefulSet ${set.metadata.name} success`, component: 'statefulset-controller' });
    }
    return errors.length ? (errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`) : undefined;
  }

  return {
    name: 'statefulset-controller',
    keysFor(change) {
      if (change.resource.group === 'apps' && change.resource.resource === 'statefulsets') return [keyOf(change.object.metadata.namespace, change.object.metadata.name)];
      if (change.resource.group === '' && change.resource.resource === 'persistentvolumeclaims' && change.type === 'DELETED') {
        // A claim that was being deleted is gone: its StatefulSet can create it (and the pod) again.
        const claimName = change.object.metadata.name!;
        return store
          .list(context.types.get('apps', 'statefulsets'), change.object.metadata.namespace)
          .filter((set) => (set.spec?.volumeClaimTemplates ?? []).some((template: any) => claimName.startsWith(`${template?.metadata?.name}-${set.metadata.name}-`)))
          .map((set) => keyOf(set.metadata.namespace, set.metadata.name));
      }
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
          const claimError = ensureClaims(set, podName, ordinal);
          if (claimError) {
            events.record(set, { type: 'Warning', reason: 'FailedCreate', message: `create Pod ${podName} in StatefulSet ${name} failed error: ${claimError}`, component: 'statefulset-controller' });
            blocked = !parallel;
            continue;
          }
          createPodFromTemplate(context, {
            owner: set,
            template: templateWithClaims(set, ordinal),
            name: podName,
            labels: { 'controller-revision-hash': updateRevision, 'statefulset.kubernetes.io/pod-name': podName, 'apps.kubernetes.io/pod-index': String(ordinal) },
          });
          record('create', podName);
          blocked = !parallel;
          continue;
        }
        // createMissingPersistentVolumeClaims: a pending pod gets back a claim deleted under it.
        if (pod.status?.phase === 'Pending' && !isTerminating(pod)) ensureClaims(set, pod.metadata.name!, ordinal);
        if (!parallel && !healthy(pod)) blocked = true;
      }
      const extra = pods.filter((pod) => ordinalOf(name, pod) >= replicas && !isTerminating(pod)).sort((left, right) => ordinalOf(name, right) - ordinalOf(name, left));
      if (extra.length && (parallel || pods.every((pod) => ordinalOf(name, pod) >= replicas || healthy(pod)))) {
        for (const pod of parallel ? extra : extra.slice(0, 1)) {
          deletePodGracefully(context, pod);
          record('delete', pod.metadata.name!);
          // persistentVolumeClaimRetentionPolicy.whenScaled: Delete removes the claims of scaled-down ordinals.
          if (set.spec?.persistentVolumeClaimRetentionPolicy?.whenScaled === 'Delete') {
            for (const { claim } of claimsFor(set, ordinalOf(name, pod))) {
              if (store.get(claimsType(), claim.metadata.namespace, claim.metadata.name!)) store.delete(claimsType(), claim.metadata.namespace, claim.metadata.name!);
            }
          }
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
