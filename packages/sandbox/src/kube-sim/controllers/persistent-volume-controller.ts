import type { KubeObject, StoreChange } from '../cluster-types.ts';
import type { WorkloadContext } from '../workloads/workload-context.ts';
import { keyOf, splitKey, type Controller } from './controller-manager.ts';
import { isTerminating } from './object-helpers.ts';
import {
  claimClass,
  claimNamesOf,
  defaultClassOf,
  findMatchingVolume,
  isDelayBinding,
  isVolumeBoundToClaim,
  noProvisioner,
  pvcProtectionFinalizer,
  pvProtectionFinalizer,
  simulatedDriver,
  storageAnnotations,
  storageTypes,
} from './storage-helpers.ts';

/**
 * kube-controller-manager's persistentvolume-binder, pvc-protection and pv-protection controllers:
 * - binds claims to matching static volumes (class, size, access modes, volume mode, selector; smallest first)
 *   and to volumes pre-bound either way (`spec.volumeName` / `spec.claimRef`), phase Bound on both sides;
 * - hands claims of a class to its provisioner (ExternalProvisioning), or reports why it cannot
 *   (ProvisioningFailed: class not found, `kubernetes.io/no-provisioner`), or waits for a first consumer;
 * - releases volumes whose claim is gone and applies their reclaim policy (Retain, Delete, Recycle);
 * - removes the protection finalizers once a deleted claim is no longer mounted / a deleted volume no longer bound.
 * Events carry the real controllers' reasons and messages.
 */
export function createPersistentVolumeController(context: WorkloadContext): Controller {
  const { store, events } = context.cluster;
  const types = storageTypes(context);
  /** claims without a volume, retried when volumes or classes change */
  const unbound = new Set<string>();
  /** deleted claims still held by pvc-protection, by namespace, re-checked when pods go away */
  const protectedClaims = new Map<string, Set<string>>();
  /** the last event per object, so a claim waiting for the same reason is not reported on every change */
  const lastEvent = new Map<string, string>();

  const claimKey = (namespace: string | undefined, name: string | undefined) => `claim|${keyOf(namespace, name)}`;
  const volumeKey = (name: string | undefined) => `volume|${name}`;

  function record(object: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const key = `${object.kind}|${object.metadata.namespace ?? ''}|${object.metadata.name}|${object.metadata.uid}`;
    const text = `${reason}|${message}`;
    if (lastEvent.get(key) === text) return;
    lastEvent.set(key, text);
    events.record(object, { type, reason, message, component: 'persistentvolume-controller' });
  }

  function setClaimPhase(claim: KubeObject, phase: string): void {
    store.mutate(types.claims(), claim.metadata.namespace, claim.metadata.name!, (current) => {
      if (current.metadata.uid !== claim.metadata.uid || current.status?.phase === phase) return undefined;
      current.status = { ...current.status, phase };
      if (phase !== 'Bound') {
        delete current.status.capacity;
        delete current.status.accessModes;
      }
      return current;
    });
  }

  function setVolumePhase(volume: KubeObject, phase: string, failure?: { reason: string; message: string }): void {
    store.mutate(types.volumes(), undefined, volume.metadata.name!, (current) => {
      if (current.metadata.uid !== volume.metadata.uid) return undefined;
      if (current.status?.phase === phase && current.status?.message === failure?.message) return undefined;
      current.status = { phase, ...(failure ? failure : {}), lastPhaseTransitionTime: current.status?.phase === phase ? current.status?.lastPhaseTransitionTime : context.timestamp() };
      return current;
    });
  }

  /** bind(): claimRef and phase Bound on the volume, then volumeName, annotations and Bound on the claim. */
  function bind(volume: KubeObject, claim: KubeObject): void {
    const boundVolume = store.mutate(types.volumes(), undefined, volume.metadata.name!, (current) => {
      if (current.metadata.uid !== volume.metadata.uid) return undefined;
      if (!isVolumeBoundToClaim(current, claim) || !current.spec.claimRef.uid) {
        current.spec = { ...current.spec, claimRef: { kind: 'PersistentVolumeClaim', namespace: claim.metadata.namespace, name: claim.metadata.name, uid: claim.metadata.uid, apiVersion: 'v1', resourceVersion: claim.metadata.resourceVersion } };
        if (!volume.spec?.claimRef) current.metadata.annotations = { ...current.metadata.annotations, [storageAnnotations.boundByController]: 'yes' };
      }
      if (current.status?.phase !== 'Bound') current.status = { phase: 'Bound', lastPhaseTransitionTime: context.timestamp() };
      return current;
    });
    if (!boundVolume) return;
    store.mutate(types.claims(), claim.metadata.namespace, claim.metadata.name!, (current) => {
      if (current.metadata.uid !== claim.metadata.uid) return undefined;
      const annotations = { ...current.metadata.annotations, [storageAnnotations.bindCompleted]: 'yes' };
      if (!current.spec?.volumeName) annotations[storageAnnotations.boundByController] = 'yes';
      current.metadata.annotations = annotations;
      current.spec = { ...current.spec, volumeName: boundVolume.metadata.name };
      // Capacity is taken from the volume when binding; afterwards only expansion changes it.
      if (current.status?.phase !== 'Bound') current.status = { ...current.status, phase: 'Bound', accessModes: boundVolume.spec?.accessModes, capacity: { ...boundVolume.spec?.capacity } };
      return current;
    });
  }

  /** A claim's pods that the scheduler has not placed yet (WaitForPodScheduled). */
  function unscheduledPodsOf(claim: KubeObject): string[] {
    return store
      .list(context.types.pods(), claim.metadata.namespace)
      .filter((pod) => !pod.spec?.nodeName && !isTerminating(pod) && claimNamesOf(pod).includes(claim.metadata.name!))
      .map((pod) => pod.metadata.name!);
  }

  function claimInUse(claim: KubeObject): boolean {
    return store
      .list(context.types.pods(), claim.metadata.namespace)
      .some((pod) => pod.spec?.nodeName && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed' && claimNamesOf(pod).includes(claim.metadata.name!));
  }

  function syncDeletedClaim(claim: KubeObject, key: string): void {
    const { namespace = '', name } = splitKey(key.slice('claim|'.length));
    if (!(claim.metadata.finalizers ?? []).includes(pvcProtectionFinalizer)) return;
    if (claimInUse(claim)) {
      if (!protectedClaims.has(namespace)) protectedClaims.set(namespace, new Set());
      protectedClaims.get(namespace)!.add(name);
      return;
    }
    protectedClaims.get(namespace)?.delete(name);
    store.mutate(types.claims(), claim.metadata.namespace, claim.metadata.name!, (current) => {
      if (current.metadata.uid !== claim.metadata.uid) return undefined;
      current.metadata.finalizers = (current.metadata.finalizers ?? []).filter((finalizer) => finalizer !== pvcProtectionFinalizer);
      return current;
    });
  }

  function syncClaim(key: string): void {
    const { namespace, name } = splitKey(key.slice('claim|'.length));
    const claim = store.get(types.claims(), namespace, name);
    if (!claim) {
      unbound.delete(key);
      return;
    }
    if (isTerminating(claim)) {
      unbound.delete(key);
      syncDeletedClaim(claim, key);
      return;
    }
    // Retroactive default class (GA in v1.28): a claim created before any default class gets the default later.
    if ((claim.spec?.storageClassName === undefined || claim.spec?.storageClassName === null) && claim.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] === undefined && !claim.spec?.volumeName) {
      const fallback = defaultClassOf(store.list(types.classes()));
      if (fallback) {
        store.mutate(types.claims(), namespace, name, (current) => {
          if (current.metadata.uid !== claim.metadata.uid) return undefined;
          current.spec = { ...current.spec, storageClassName: fallback.metadata.name };
          return current;
        });
        return;
      }
    }
    const volumes = store.list(types.volumes());
    if (claim.spec?.volumeName) {
      unbound.delete(key);
      const volume = volumes.find((candidate) => candidate.metadata.name === claim.spec.volumeName);
      if (!volume) {
        if (claim.metadata.annotations?.[storageAnnotations.bindCompleted]) {
          if (claim.status?.phase !== 'Lost') {
            setClaimPhase(claim, 'Lost');
            record(claim, 'Warning', 'ClaimLost', 'Bound claim has lost its PersistentVolume. Data on the volume is lost!');
          }
        } else {
          unbound.add(key);
          setClaimPhase(claim, 'Pending');
        }
        return;
      }
      if (!volume.spec?.claimRef || isVolumeBoundToClaim(volume, claim)) {
        bind(volume, claim);
        return;
      }
      if (!claim.metadata.annotations?.[storageAnnotations.boundByController]) {
        record(claim, 'Warning', 'FailedBinding', `volume "${volume.metadata.name}" already bound to a different claim.`);
        setClaimPhase(claim, 'Pending');
      }
      return;
    }

    unbound.add(key);
    const delayBinding = isDelayBinding(context, claim);
    const selectedNode = claim.metadata.annotations?.[storageAnnotations.selectedNode];
    const match = findMatchingVolume(claim, volumes, { delayBinding });
    if (match) {
      bind(match, claim);
      return;
    }
    setClaimPhase(claim, 'Pending');
    if (delayBinding && !selectedNode) {
      const waiting = unscheduledPodsOf(claim);
      if (waiting.length === 0) record(claim, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
      else record(claim, 'Normal', 'WaitForPodScheduled', waiting.length === 1 ? `waiting for pod ${waiting[0]} to be scheduled` : `waiting for pods ${waiting.join(',')} to be scheduled`);
      return;
    }
    const className = claimClass(claim);
    if (!className) {
      record(claim, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set');
      return;
    }
    const storageClass = store.get(types.classes(), undefined, className);
    if (!storageClass) {
      record(claim, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`);
      return;
    }
    const provisioner = String(storageClass.provisioner ?? '');
    if (provisioner.startsWith('kubernetes.io/') && !simulatedDriver(provisioner)) {
      // In-tree names: only provisioners with a volume plugin exist, and no-provisioner (local volumes) never does.
      record(claim, 'Warning', 'ProvisioningFailed', `no volume plugin matched name: ${provisioner === noProvisioner ? noProvisioner : provisioner}`);
      return;
    }
    record(
      claim,
      'Normal',
      'ExternalProvisioning',
      `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
    );
    // The annotation hands the claim to the provisioner (the simulated CSI driver watches for it).
    if (claim.metadata.annotations?.[storageAnnotations.storageProvisioner] !== provisioner) {
      store.mutate(types.claims(), namespace, name, (current) => {
        if (current.metadata.uid !== claim.metadata.uid) return undefined;
        current.metadata.annotations = { ...current.metadata.annotations, [storageAnnotations.betaStorageProvisioner]: provisioner, [storageAnnotations.storageProvisioner]: provisioner };
        return current;
      });
    }
  }

  function syncVolume(key: string): void {
    const name = key.slice('volume|'.length);
    const volume = store.get(types.volumes(), undefined, name);
    if (!volume) return;
    if (isTerminating(volume)) {
      if (volume.status?.phase !== 'Bound' && (volume.metadata.finalizers ?? []).includes(pvProtectionFinalizer)) {
        store.mutate(types.volumes(), undefined, name, (current) => {
          if (current.metadata.uid !== volume.metadata.uid) return undefined;
          current.metadata.finalizers = (current.metadata.finalizers ?? []).filter((finalizer) => finalizer !== pvProtectionFinalizer);
          return current;
        });
      }
      return;
    }
    const reference = volume.spec?.claimRef;
    if (!reference) {
      if (volume.status?.phase !== 'Available') {
        setVolumePhase(volume, 'Available');
        retryUnbound();
      }
      return;
    }
    let claim = store.get(types.claims(), reference.namespace, reference.name);
    // Same name, new claim: the one the volume was bound to is gone.
    if (claim && reference.uid && claim.metadata.uid !== reference.uid) claim = undefined;
    if (!claim) {
      if (!reference.uid) {
        // Pre-bound by an administrator to a claim that does not exist yet.
        if (volume.status?.phase !== 'Available') setVolumePhase(volume, 'Available');
        return;
      }
      if (volume.status?.phase !== 'Released' && volume.status?.phase !== 'Failed') setVolumePhase(volume, 'Released');
      reclaim(volume);
      return;
    }
    if (claim.spec?.volumeName === name) {
      if (volume.status?.phase !== 'Bound') setVolumePhase(volume, 'Bound');
      if (claim.status?.phase !== 'Bound') context.manager.enqueue(controller, claimKey(claim.metadata.namespace, claim.metadata.name));
      return;
    }
    if (!claim.spec?.volumeName) {
      context.manager.enqueue(controller, claimKey(claim.metadata.namespace, claim.metadata.name));
      return;
    }
    // The claim went to another volume: a volume the controller bound is handed back.
    if (volume.metadata.annotations?.[storageAnnotations.boundByController]) {
      store.mutate(types.volumes(), undefined, name, (current) => {
        if (current.metadata.uid !== volume.metadata.uid) return undefined;
        delete current.spec.claimRef;
        delete current.metadata.annotations?.[storageAnnotations.boundByController];
        current.status = { phase: 'Available', lastPhaseTransitionTime: context.timestamp() };
        return current;
      });
    }
  }

  /** reclaimVolume: Retain keeps the data (Released until an administrator acts), Delete and Recycle act on it. */
  function reclaim(volume: KubeObject): void {
    const policy = volume.spec?.persistentVolumeReclaimPolicy ?? 'Retain';
    if (policy === 'Retain') return;
    if (policy === 'Recycle') {
      store.mutate(types.volumes(), undefined, volume.metadata.name!, (current) => {
        if (current.metadata.uid !== volume.metadata.uid) return undefined;
        delete current.spec.claimRef;
        current.status = { phase: 'Available', lastPhaseTransitionTime: context.timestamp() };
        return current;
      });
      record(volume, 'Normal', 'VolumeRecycled', 'Volume recycled');
      return;
    }
    // Delete: a provisioned volume is deleted by its provisioner; nothing can delete a static one.
    if (simulatedDriver(volume.metadata.annotations?.[storageAnnotations.provisionedBy])) return;
    if (volume.metadata.annotations?.[storageAnnotations.provisionedBy]) return; // an external provisioner that is not running
    const message = `error getting deleter volume plugin for volume "${volume.metadata.name}": no deletable volume plugin matched`;
    setVolumePhase(volume, 'Failed', { reason: 'VolumeFailedDelete', message });
    record(volume, 'Warning', 'VolumeFailedDelete', message);
  }

  function retryUnbound(): void {
    for (const key of unbound) context.manager.enqueue(controller, key);
  }

  function keysForPod(change: StoreChange): string[] {
    const namespace = change.object.metadata.namespace ?? '';
    const waiting = protectedClaims.get(namespace);
    const keys: string[] = [];
    const pod = change.object;
    const names = claimNamesOf(pod);
    if (names.length === 0) return keys;
    const stopped = change.type === 'DELETED' || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
    for (const claimName of names) {
      if (stopped && waiting?.has(claimName)) keys.push(claimKey(namespace, claimName));
      // A new consumer of a delay-binding claim turns WaitForFirstConsumer into WaitForPodScheduled.
      if (change.type === 'ADDED' && unbound.has(claimKey(namespace, claimName))) keys.push(claimKey(namespace, claimName));
    }
    return keys;
  }

  const controller: Controller = {
    name: 'persistentvolume-controller',
    keysFor(change) {
      const { group, resource } = change.resource;
      if (group === '' && resource === 'persistentvolumeclaims') {
        const keys = [claimKey(change.object.metadata.namespace, change.object.metadata.name)];
        const volumeName = change.object.spec?.volumeName ?? change.previous?.spec?.volumeName;
        if (volumeName && (change.type === 'DELETED' || isTerminating(change.object))) keys.push(volumeKey(volumeName));
        if (change.type === 'DELETED') {
          protectedClaims.get(change.object.metadata.namespace ?? '')?.delete(change.object.metadata.name!);
          // Volumes pointing at the claim are released.
          for (const volume of store.list(types.volumes())) {
            if (volume.spec?.claimRef?.uid === change.object.metadata.uid) keys.push(volumeKey(volume.metadata.name));
          }
        }
        return keys;
      }
      if (group === '' && resource === 'persistentvolumes') {
        const keys = [volumeKey(change.object.metadata.name)];
        const reference = change.object.spec?.claimRef ?? change.previous?.spec?.claimRef;
        if (reference) keys.push(claimKey(reference.namespace, reference.name));
        if (change.type === 'DELETED') {
          for (const claimKeyValue of [...unbound]) keys.push(claimKeyValue);
        }
        return keys;
      }
      if (group === 'storage.k8s.io' && resource === 'storageclasses') return [...unbound];
      if (group === '' && resource === 'pods') return keysForPod(change);
      return [];
    },
    reconcile(key) {
      if (key.startsWith('claim|')) syncClaim(key);
      else if (key.startsWith('volume|')) syncVolume(key);
    },
  };

  return controller;
}
