import type { KubeObject } from '../cluster-types.ts';
import type { WorkloadContext } from '../workloads/workload-context.ts';
import {
  claimClass,
  claimNamesOf,
  findMatchingVolume,
  isDelayBinding,
  noProvisioner,
  storageAnnotations,
  storageTypes,
  volumeFitsNode,
} from './storage-helpers.ts';

/**
 * The scheduler's VolumeBinding plugin. PreFilter rejects a pod whose claims are missing, being deleted,
 * lost or unbound with Immediate binding (the API server's wording). Filter rejects nodes a bound volume's
 * node affinity excludes, or where a WaitForFirstConsumer claim can neither find a volume nor be provisioned.
 * Once a node is chosen, delay-binding claims are bound there (a static volume) or handed to the provisioner
 * with the `volume.kubernetes.io/selected-node` annotation; the pod binds once every claim is Bound.
 */
export interface VolumeBinding {
  /** why no node can take the pod (UnschedulableAndUnresolvable), or undefined */
  preFilter(pod: KubeObject): string | undefined;
  /** why this node cannot take the pod's volumes, or undefined */
  filter(pod: KubeObject, node: KubeObject): string | undefined;
  /** prepares the claims on the chosen node; true while the pod must wait for them to bind */
  bindVolumes(pod: KubeObject, node: KubeObject): boolean;
}

export const volumeConflictReasons = {
  nodeConflict: 'node(s) had volume node affinity conflict',
  bindConflict: "node(s) didn't find available persistent volumes to bind",
};

export function createVolumeBinding(context: WorkloadContext): VolumeBinding {
  const { store } = context.cluster;
  const types = storageTypes(context);

  const claimsOf = (pod: KubeObject) => claimNamesOf(pod).map((name) => ({ name, claim: store.get(types.claims(), pod.metadata.namespace, name) }));

  function canProvision(claim: KubeObject): boolean {
    const storageClass = store.get(types.classes(), undefined, claimClass(claim));
    return Boolean(storageClass && storageClass.provisioner !== noProvisioner);
  }

  return {
    preFilter(pod) {
      const claims = claimsOf(pod);
      if (claims.length === 0) return undefined;
      for (const { name, claim } of claims) {
        if (!claim) return `persistentvolumeclaim "${name}" not found`;
        if (claim.status?.phase === 'Lost') return `persistentvolumeclaim "${name}" bound to non-existent persistentvolume "${claim.spec?.volumeName ?? ''}"`;
        if (claim.metadata.deletionTimestamp) return `persistentvolumeclaim "${name}" is being deleted`;
      }
      const immediateUnbound = claims.some(({ claim }) => !claim!.spec?.volumeName && !isDelayBinding(context, claim!));
      return immediateUnbound ? 'pod has unbound immediate PersistentVolumeClaims' : undefined;
    },
    filter(pod, node) {
      const volumes = store.list(types.volumes());
      for (const { claim } of claimsOf(pod)) {
        if (!claim) continue;
        if (claim.spec?.volumeName) {
          const volume = volumes.find((candidate) => candidate.metadata.name === claim.spec.volumeName);
          if (volume && !volumeFitsNode(volume, node)) return volumeConflictReasons.nodeConflict;
          continue;
        }
        const selected = claim.metadata.annotations?.[storageAnnotations.selectedNode];
        if (selected) {
          if (selected !== node.metadata.name) return volumeConflictReasons.bindConflict;
          continue;
        }
        if (!findMatchingVolume(claim, volumes, { node, delayBinding: true }) && !canProvision(claim)) return volumeConflictReasons.bindConflict;
      }
      return undefined;
    },
    bindVolumes(pod, node) {
      let waiting = false;
      for (const { claim } of claimsOf(pod)) {
        if (!claim || claim.spec?.volumeName) continue;
        waiting = true;
        if (claim.metadata.annotations?.[storageAnnotations.selectedNode]) continue;
        const volume = findMatchingVolume(claim, store.list(types.volumes()), { node, delayBinding: true });
        if (volume) {
          // Pre-bind the static volume; the persistentvolume-controller completes the binding.
          store.mutate(types.volumes(), undefined, volume.metadata.name!, (current) => {
            if (current.metadata.uid !== volume.metadata.uid || current.spec?.claimRef) return undefined;
            current.spec = { ...current.spec, claimRef: { kind: 'PersistentVolumeClaim', namespace: claim.metadata.namespace, name: claim.metadata.name, uid: claim.metadata.uid, apiVersion: 'v1', resourceVersion: claim.metadata.resourceVersion } };
            current.metadata.annotations = { ...current.metadata.annotations, [storageAnnotations.boundByController]: 'yes' };
            return current;
          });
          continue;
        }
        store.mutate(types.claims(), claim.metadata.namespace, claim.metadata.name!, (current) => {
          if (current.metadata.uid !== claim.metadata.uid || current.spec?.volumeName) return undefined;
          current.metadata.annotations = { ...current.metadata.annotations, [storageAnnotations.selectedNode]: node.metadata.name! };
          return current;
        });
      }
      return waiting;
    },
  };
}
