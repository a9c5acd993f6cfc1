import type { KubeObject } from '../cluster-types.ts';
import type { WorkloadContext } from '../workloads/workload-context.ts';
import { defaultProvisioner, storageAnnotations, storageTypes } from './storage-helpers.ts';

/**
 * The StorageClass a fresh cluster comes with, like kind's or a cloud's: `standard`, the default, provisioned
 * by kube-sim's hostPath CSI driver on the node the first consumer lands on (WaitForFirstConsumer), deleted
 * with its claim, and expandable.
 */
export function defaultStorageClass(): KubeObject {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'standard', annotations: { [storageAnnotations.isDefaultClass]: 'true' } },
    provisioner: defaultProvisioner,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
    allowVolumeExpansion: true,
  };
}

/** Creates the default StorageClass unless one named `standard` exists. */
export function createDefaultStorageClass(context: WorkloadContext): void {
  const classes = storageTypes(context).classes();
  if (context.cluster.store.get(classes, undefined, 'standard')) return;
  const storageClass = defaultStorageClass();
  context.cluster.applyDefaults(classes, storageClass);
  context.cluster.store.create(classes, storageClass);
}
