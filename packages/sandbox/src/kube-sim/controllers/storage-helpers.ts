import type { KubeObject } from '../cluster-types.ts';
import { memoryBytes } from '../runtime/quantity.ts';
import { nodeSelectorTermsMatch } from '../selectors/node-selector.ts';
import type { WorkloadContext } from '../workloads/workload-context.ts';
import { selectorMatches } from './object-helpers.ts';

/** Annotations and finalizers the storage controllers of a real cluster write. */
export const storageAnnotations = {
  bindCompleted: 'pv.kubernetes.io/bind-completed',
  boundByController: 'pv.kubernetes.io/bound-by-controller',
  provisionedBy: 'pv.kubernetes.io/provisioned-by',
  storageProvisioner: 'volume.kubernetes.io/storage-provisioner',
  betaStorageProvisioner: 'volume.beta.kubernetes.io/storage-provisioner',
  selectedNode: 'volume.kubernetes.io/selected-node',
  isDefaultClass: 'storageclass.kubernetes.io/is-default-class',
  betaIsDefaultClass: 'storageclass.beta.kubernetes.io/is-default-class',
};

export const pvcProtectionFinalizer = 'kubernetes.io/pvc-protection';
export const pvProtectionFinalizer = 'kubernetes.io/pv-protection';
export const provisionerFinalizer = 'external-provisioner.volume.kubernetes.io/finalizer';

/** The provisioner of kube-sim's default StorageClass `standard`. */
export const defaultProvisioner = 'sim.skyflo.ai/hostpath';

/**
 * CSI drivers the simulation runs. A class naming any other external provisioner leaves its claims at
 * ExternalProvisioning, as on a cluster where that driver is not installed. Drivers marked hostPath create
 * node-local hostPath volumes; the others create CSI volumes that need a file system resize on the node.
 */
const simulatedDrivers: Record<string, { hostPath: boolean }> = {
  [defaultProvisioner]: { hostPath: true },
  'rancher.io/local-path': { hostPath: true },
  'k8s.io/minikube-hostpath': { hostPath: true },
  'microk8s.io/hostpath': { hostPath: true },
  'hostpath.csi.k8s.io': { hostPath: false },
  'ebs.csi.aws.com': { hostPath: false },
  'efs.csi.aws.com': { hostPath: false },
  'pd.csi.storage.gke.io': { hostPath: false },
  'filestore.csi.storage.gke.io': { hostPath: false },
  'disk.csi.azure.com': { hostPath: false },
  'file.csi.azure.com': { hostPath: false },
  'driver.longhorn.io': { hostPath: false },
  'csi.vsphere.vmware.com': { hostPath: false },
  'cinder.csi.openstack.org': { hostPath: false },
  'nfs.csi.k8s.io': { hostPath: false },
};

export function simulatedDriver(provisioner: string | undefined): { hostPath: boolean } | undefined {
  return provisioner ? simulatedDrivers[provisioner] : undefined;
}

export const noProvisioner = 'kubernetes.io/no-provisioner';

export function isDefaultClass(storageClass: KubeObject): boolean {
  const annotations = storageClass.metadata.annotations ?? {};
  return annotations[storageAnnotations.isDefaultClass] === 'true' || annotations[storageAnnotations.betaIsDefaultClass] === 'true';
}

/** The default StorageClass; with several, the newest wins (as the DefaultStorageClass admission plugin chooses since v1.26). */
export function defaultClassOf(classes: readonly KubeObject[]): KubeObject | undefined {
  const defaults = classes.filter(isDefaultClass);
  defaults.sort((left, right) => String(right.metadata.creationTimestamp).localeCompare(String(left.metadata.creationTimestamp)) || String(left.metadata.name).localeCompare(String(right.metadata.name)));
  return defaults[0];
}

/** `spec.storageClassName` ('' when unset or explicitly empty, as GetPersistentVolumeClaimClass reads it). */
export function claimClass(claim: KubeObject): string {
  return claim.spec?.storageClassName ?? claim.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? '';
}

export function volumeClass(volume: KubeObject): string {
  return volume.spec?.storageClassName ?? volume.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? '';
}

export function requestedBytes(claim: KubeObject): number {
  return memoryBytes(claim.spec?.resources?.requests?.storage);
}

export function capacityBytes(object: KubeObject, from: 'spec' | 'status'): number {
  return memoryBytes(object[from]?.capacity?.storage);
}

/** The volume offers every access mode the claim asks for. */
export function accessModesCover(volume: KubeObject, claim: KubeObject): boolean {
  const offered: string[] = volume.spec?.accessModes ?? [];
  return (claim.spec?.accessModes ?? []).every((mode: string) => offered.includes(mode));
}

export function isVolumeBoundToClaim(volume: KubeObject, claim: KubeObject): boolean {
  const reference = volume.spec?.claimRef;
  return Boolean(reference) && reference.name === claim.metadata.name && reference.namespace === claim.metadata.namespace && (!reference.uid || reference.uid === claim.metadata.uid);
}

/** A PV's required node affinity, evaluated against a node's labels (and name, for matchFields). */
export function volumeFitsNode(volume: KubeObject, node: KubeObject): boolean {
  return nodeSelectorTermsMatch(volume.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? [], node);
}

/**
 * FindMatchingVolume (pkg/volume/util): a volume pre-bound to the claim, else the smallest Available one of the
 * claim's class that is large enough, offers its access modes and volume mode, and matches its selector.
 * With `node`, the scheduler's variant: node affinity must match too. Without it, delay-binding claims only
 * take pre-bound volumes (the scheduler binds the rest).
 */
export function findMatchingVolume(claim: KubeObject, volumes: readonly KubeObject[], options: { node?: KubeObject; delayBinding: boolean }): KubeObject | undefined {
  const requested = requestedBytes(claim);
  const wantedClass = claimClass(claim);
  const wantedMode = claim.spec?.volumeMode ?? 'Filesystem';
  let smallest: KubeObject | undefined;
  for (const volume of volumes) {
    if (volume.spec?.claimRef && !isVolumeBoundToClaim(volume, claim)) continue;
    if (capacityBytes(volume, 'spec') < requested) continue;
    if ((volume.spec?.volumeMode ?? 'Filesystem') !== wantedMode) continue;
    if (volume.metadata.deletionTimestamp) continue;
    if (!accessModesCover(volume, claim)) continue;
    const fitsNode = !options.node || volumeFitsNode(volume, options.node);
    if (isVolumeBoundToClaim(volume, claim)) return fitsNode ? volume : undefined;
    if (!options.node && options.delayBinding) continue;
    if (volume.status?.phase !== 'Available') continue;
    if (claim.spec?.selector && !selectorMatches(claim.spec.selector, volume.metadata.labels)) continue;
    if (volumeClass(volume) !== wantedClass || !fitsNode) continue;
    if (!smallest || capacityBytes(smallest, 'spec') > capacityBytes(volume, 'spec')) smallest = volume;
  }
  return smallest;
}

/** Claim names a pod mounts (persistentVolumeClaim volumes), in volume order. */
export function claimNamesOf(pod: KubeObject): string[] {
  const names: string[] = [];
  for (const volume of pod.spec?.volumes ?? []) {
    const claimName = volume?.persistentVolumeClaim?.claimName;
    if (claimName) names.push(claimName);
  }
  return names;
}

export interface StorageTypes {
  claims(): ReturnType<WorkloadContext['types']['get']>;
  volumes(): ReturnType<WorkloadContext['types']['get']>;
  classes(): ReturnType<WorkloadContext['types']['get']>;
}

export function storageTypes(context: WorkloadContext): StorageTypes {
  return {
    claims: () => context.types.get('', 'persistentvolumeclaims'),
    volumes: () => context.types.get('', 'persistentvolumes'),
    classes: () => context.types.get('storage.k8s.io', 'storageclasses'),
  };
}

/** Binding mode of the claim's class: WaitForFirstConsumer delays binding (a missing class does not). */
export function isDelayBinding(context: WorkloadContext, claim: KubeObject): boolean {
  const name = claimClass(claim);
  if (!name) return false;
  const storageClass = context.cluster.store.get(storageTypes(context).classes(), undefined, name);
  return storageClass?.volumeBindingMode === 'WaitForFirstConsumer';
}
