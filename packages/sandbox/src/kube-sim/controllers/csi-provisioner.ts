import { randomBytes, randomUUID } from 'node:crypto';
import type { KubeObject, StoreChange } from '../cluster-types.ts';
import { memoryBytes } from '../runtime/quantity.ts';
import type { WorkloadContext } from '../workloads/workload-context.ts';
import { keyOf, splitKey, type Controller } from './controller-manager.ts';
import { isTerminating } from './object-helpers.ts';
import { capacityBytes, claimNamesOf, isDelayBinding, provisionerFinalizer, requestedBytes, simulatedDriver, storageAnnotations, storageTypes } from './storage-helpers.ts';

/**
 * The CSI side of storage, for the drivers kube-sim simulates (storage-helpers `simulatedDriver`): the
 * external-provisioner (creates `pvc-<uid>` volumes for claims handed to it, deletes them when released
 * under the Delete policy), the external-resizer (grows the volume when a claim asks for more), and the
 * kubelet's file system expansion on the node that mounts the claim. Events as those components write them.
 */
export function createCsiProvisioner(context: WorkloadContext): Controller {
  const { store, events } = context.cluster;
  const types = storageTypes(context);
  /** one identity per run, as the sidecar has (it shows in event sources and the volumes' attributes) */
  const instance = randomUUID().slice(0, 8);
  const identity = (driver: string) => `${driver}_sim-control-plane_${instance}`;
  const busy = new Set<string>();
  /** claims whose volume grew but whose file system waits for a pod (NodeResizePending), by namespace/name */
  const nodeResizePending = new Set<string>();
  let controller: Controller;

  const claimDriver = (claim: KubeObject) => {
    const provisioner = claim.metadata.annotations?.[storageAnnotations.storageProvisioner];
    return simulatedDriver(provisioner) ? provisioner! : undefined;
  };

  function provisionKeys(claim: KubeObject): string[] {
    if (isTerminating(claim) || claim.spec?.volumeName || !claimDriver(claim)) return [];
    return [`provision|${keyOf(claim.metadata.namespace, claim.metadata.name)}`];
  }

  function provision(key: string): void {
    const { namespace, name } = splitKey(key.slice('provision|'.length));
    const claim = store.get(types.claims(), namespace, name);
    if (!claim || isTerminating(claim) || claim.spec?.volumeName) return;
    const driver = claimDriver(claim);
    if (!driver || busy.has(key)) return;
    const selectedNode = claim.metadata.annotations?.[storageAnnotations.selectedNode];
    if (isDelayBinding(context, claim) && !selectedNode) return;
    const volumeName = `pvc-${claim.metadata.uid}`;
    if (store.get(types.volumes(), undefined, volumeName)) return;
    busy.add(key);
    events.record(claim, { reason: 'Provisioning', message: `External provisioner is provisioning volume for claim "${namespace}/${name}"`, component: identity(driver) });
    context.timers.after(context.settings().provisionDelayMs, () => {
      busy.delete(key);
      const latest = store.get(types.claims(), namespace, name);
      if (!latest || latest.metadata.uid !== claim.metadata.uid || latest.spec?.volumeName || isTerminating(latest)) return;
      const className = latest.spec?.storageClassName ?? '';
      const storageClass = store.get(types.classes(), undefined, className);
      if (!storageClass) {
        events.record(latest, { type: 'Warning', reason: 'ProvisioningFailed', message: `failed to provision volume with StorageClass "${className}": error getting StorageClass "${className}": storageclass.storage.k8s.io "${className}" not found`, component: identity(driver) });
        return;
      }
      const hostPath = simulatedDriver(driver)!.hostPath;
      const volume: KubeObject = {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: {
          name: volumeName,
          annotations: { [storageAnnotations.provisionedBy]: driver, 'volume.kubernetes.io/provisioner-deletion-secret-name': '', 'volume.kubernetes.io/provisioner-deletion-secret-namespace': '' },
          finalizers: [provisionerFinalizer],
        },
        spec: {
          accessModes: latest.spec?.accessModes ?? ['ReadWriteOnce'],
          capacity: { storage: latest.spec?.resources?.requests?.storage },
          claimRef: { kind: 'PersistentVolumeClaim', namespace, name, uid: latest.metadata.uid, apiVersion: 'v1', resourceVersion: latest.metadata.resourceVersion },
          persistentVolumeReclaimPolicy: storageClass.reclaimPolicy ?? 'Delete',
          storageClassName: className,
          volumeMode: latest.spec?.volumeMode ?? 'Filesystem',
          ...(storageClass.mountOptions ? { mountOptions: storageClass.mountOptions } : {}),
          ...(hostPath
            ? { hostPath: { path: `/var/lib/kube-sim/volumes/${volumeName}_${namespace}_${name}`, type: 'DirectoryOrCreate' } }
            : { csi: { driver, volumeHandle: `vol-${randomBytes(8).toString('hex')}`, fsType: 'ext4', volumeAttributes: { 'storage.kubernetes.io/csiProvisionerIdentity': `${Date.now()}-${instance}-${driver}` } } }),
          ...(selectedNode ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [selectedNode] }] }] } } } : {}),
        },
        status: { phase: 'Pending' },
      };
      context.cluster.applyDefaults(types.volumes(), volume);
      context.cluster.admitCreate(types.volumes(), volume);
      store.create(types.volumes(), volume);
      events.record(latest, { reason: 'ProvisioningSucceeded', message: `Successfully provisioned volume ${volumeName}`, component: identity(driver) });
    });
  }

  /** Released under the Delete policy: the backing volume goes, then the PersistentVolume. */
  function deleteVolume(key: string): void {
    const name = key.slice('delete|'.length);
    const volume = store.get(types.volumes(), undefined, name);
    if (!volume) return;
    const driver = volume.metadata.annotations?.[storageAnnotations.provisionedBy];
    if (!simulatedDriver(driver)) return;
    if (isTerminating(volume)) {
      if ((volume.metadata.finalizers ?? []).includes(provisionerFinalizer)) {
        store.mutate(types.volumes(), undefined, name, (current) => {
          if (current.metadata.uid !== volume.metadata.uid) return undefined;
          current.metadata.finalizers = (current.metadata.finalizers ?? []).filter((finalizer) => finalizer !== provisionerFinalizer);
          return current;
        });
      }
      return;
    }
    if (volume.status?.phase !== 'Released' || (volume.spec?.persistentVolumeReclaimPolicy ?? 'Delete') !== 'Delete' || busy.has(key)) return;
    busy.add(key);
    context.timers.after(context.settings().provisionDelayMs, () => {
      busy.delete(key);
      const latest = store.get(types.volumes(), undefined, name);
      if (!latest || latest.metadata.uid !== volume.metadata.uid || latest.status?.phase !== 'Released') return;
      store.delete(types.volumes(), undefined, name);
    });
  }

  function setClaimStatus(claim: KubeObject, update: (status: Record<string, any>) => void): void {
    store.mutate(types.claims(), claim.metadata.namespace, claim.metadata.name!, (current) => {
      if (current.metadata.uid !== claim.metadata.uid) return undefined;
      const status = { ...(current.status ?? {}) };
      update(status);
      current.status = status;
      return current;
    });
  }

  /** The external-resizer: ControllerExpandVolume, then (CSI block volumes) a file system resize on the node. */
  function resize(key: string): void {
    const { namespace, name } = splitKey(key.slice('resize|'.length));
    const claim = store.get(types.claims(), namespace, name);
    if (!claim || isTerminating(claim) || claim.status?.phase !== 'Bound' || busy.has(key)) return;
    const volume = store.get(types.volumes(), undefined, claim.spec?.volumeName ?? '');
    const driver = volume?.metadata.annotations?.[storageAnnotations.provisionedBy] ?? volume?.spec?.csi?.driver;
    if (!volume || !simulatedDriver(driver)) return;
    const requested = requestedBytes(claim);
    if (requested <= capacityBytes(volume, 'spec')) return;
    const size = claim.spec.resources.requests.storage;
    const resizer = `external-resizer ${driver}`;
    busy.add(key);
    events.record(claim, { reason: 'Resizing', message: `External resizer is resizing volume ${volume.metadata.name}`, component: resizer });
    const now = context.timestamp();
    setClaimStatus(claim, (status) => {
      status.conditions = [{ type: 'Resizing', status: 'True', lastProbeTime: null, lastTransitionTime: now }];
      status.allocatedResources = { storage: size };
      status.allocatedResourceStatuses = { storage: 'ControllerResizeInProgress' };
    });
    context.timers.after(context.settings().provisionDelayMs, () => {
      busy.delete(key);
      const latest = store.get(types.claims(), namespace, name);
      if (!latest || latest.metadata.uid !== claim.metadata.uid) return;
      store.mutate(types.volumes(), undefined, volume.metadata.name!, (current) => {
        if (current.metadata.uid !== volume.metadata.uid) return undefined;
        current.spec = { ...current.spec, capacity: { ...current.spec.capacity, storage: size } };
        return current;
      });
      if (simulatedDriver(driver)!.hostPath) {
        // Node-local volumes need no file system step: the claim shows the new size at once.
        setClaimStatus(latest, (status) => {
          status.capacity = { ...status.capacity, storage: size };
          delete status.conditions;
          delete status.allocatedResourceStatuses;
        });
        events.record(latest, { reason: 'VolumeResizeSuccessful', message: 'Resize volume succeeded', component: resizer });
        return;
      }
      const later = context.timestamp();
      setClaimStatus(latest, (status) => {
        status.conditions = [{ type: 'FileSystemResizePending', status: 'True', lastProbeTime: null, lastTransitionTime: later, message: 'Waiting for user to (re-)start a pod to finish file system resize of volume on node.' }];
        status.allocatedResourceStatuses = { storage: 'NodeResizePending' };
      });
      events.record(latest, { reason: 'FileSystemResizeRequired', message: 'Require file system resize of volume on node', component: resizer });
      nodeResizePending.add(keyOf(namespace, name));
      context.manager.enqueue(controller, `expand|${keyOf(namespace, name)}`);
    });
  }

  /** The kubelet's NodeExpandVolume, once a running pod on a node mounts the claim. */
  function expandOnNode(key: string): void {
    const { namespace, name } = splitKey(key.slice('expand|'.length));
    const claim = store.get(types.claims(), namespace, name);
    if (!claim || claim.status?.allocatedResourceStatuses?.storage !== 'NodeResizePending') {
      nodeResizePending.delete(keyOf(namespace, name));
      return;
    }
    const pod = store.list(context.types.pods(), namespace).find((candidate) => candidate.spec?.nodeName && candidate.status?.phase === 'Running' && !isTerminating(candidate) && claimNamesOf(candidate).includes(name));
    if (!pod) return;
    nodeResizePending.delete(keyOf(namespace, name));
    const volume = store.get(types.volumes(), undefined, claim.spec?.volumeName ?? '');
    setClaimStatus(claim, (status) => {
      status.capacity = { ...status.capacity, storage: volume?.spec?.capacity?.storage ?? claim.spec?.resources?.requests?.storage };
      delete status.conditions;
      delete status.allocatedResourceStatuses;
    });
    const message = `MountVolume.NodeExpandVolume succeeded for volume "${claim.spec?.volumeName}" ${pod.spec.nodeName}`;
    events.record(claim, { reason: 'FileSystemResizeSuccessful', message, component: 'kubelet' });
    events.record(pod, { reason: 'FileSystemResizeSuccessful', message, component: 'kubelet' });
  }

  function keysForClaim(change: StoreChange): string[] {
    const claim = change.object;
    if (change.type === 'DELETED') {
      nodeResizePending.delete(keyOf(claim.metadata.namespace, claim.metadata.name));
      return [];
    }
    const keys = provisionKeys(claim);
    const key = keyOf(claim.metadata.namespace, claim.metadata.name);
    if (claim.status?.phase === 'Bound' && requestedBytes(claim) > memoryBytes(claim.status?.capacity?.storage) && claim.status?.allocatedResourceStatuses?.storage !== 'NodeResizePending') keys.push(`resize|${key}`);
    if (claim.status?.allocatedResourceStatuses?.storage === 'NodeResizePending') {
      nodeResizePending.add(key);
      keys.push(`expand|${key}`);
    }
    return keys;
  }

  controller = {
    name: 'csi-provisioner',
    keysFor(change) {
      const { group, resource } = change.resource;
      if (group === '' && resource === 'persistentvolumeclaims') return keysForClaim(change);
      if (group === '' && resource === 'persistentvolumes') {
        if (change.type === 'DELETED' || !simulatedDriver(change.object.metadata.annotations?.[storageAnnotations.provisionedBy])) return [];
        return [`delete|${change.object.metadata.name}`];
      }
      if (group === '' && resource === 'pods' && nodeResizePending.size > 0 && change.type !== 'DELETED' && change.object.status?.phase === 'Running') {
        return claimNamesOf(change.object)
          .map((claimName) => keyOf(change.object.metadata.namespace, claimName))
          .filter((key) => nodeResizePending.has(key))
          .map((key) => `expand|${key}`);
      }
      return [];
    },
    reconcile(key) {
      if (key.startsWith('provision|')) provision(key);
      else if (key.startsWith('delete|')) deleteVolume(key);
      else if (key.startsWith('resize|')) resize(key);
      else if (key.startsWith('expand|')) expandOnNode(key);
    },
  };
  return controller;
}
