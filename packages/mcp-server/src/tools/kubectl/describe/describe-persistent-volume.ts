/** `kubectl describe pv`, natively (PersistentVolumeDescriber). */
import { NativeDescribeUnsupported, type NativeDescriber } from './describe-context.ts';
import { eventsOrNone, referenceTo, writeEvents } from './describe-events.ts';
import { goList, printAnnotationsMultiline, printLabelsMultiline, since } from './describe-format.ts';
import { accessModesString, printVolumeAttributes } from './describe-pod-template.ts';
import { createDescribeWriter, LEVEL_0, LEVEL_1, LEVEL_2, type DescribeWriter } from './describe-writer.ts';
import { quantityString } from '../quantity.ts';
import type { KubeObject } from './describe-format.ts';

export const describePersistentVolume: NativeDescriber = {
  group: '',
  kind: 'PersistentVolume',
  version: 'v1',
  async describe(volume, context) {
    const events = await eventsOrNone(context, referenceTo(volume, 'PersistentVolume'));
    const spec = volume.spec ?? {};
    const writer = createDescribeWriter();
    writer.write(LEVEL_0, `Name:\t${volume.metadata.name}\n`);
    printLabelsMultiline(writer, 'Labels', volume.metadata.labels);
    printAnnotationsMultiline(writer, 'Annotations', volume.metadata.annotations);
    writer.write(LEVEL_0, `Finalizers:\t${goList(volume.metadata.finalizers)}\n`);
    // storageutil.GetPersistentVolumeClass: the beta annotation wins over spec.storageClassName.
    writer.write(LEVEL_0, `StorageClass:\t${volume.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? spec.storageClassName ?? ''}\n`);
    if (volume.metadata.deletionTimestamp) writer.write(LEVEL_0, `Status:\tTerminating (lasts ${since(volume.metadata.deletionTimestamp, context.now)})\n`);
    else writer.write(LEVEL_0, `Status:\t${volume.status?.phase ?? ''}\n`);
    writer.write(LEVEL_0, `Claim:\t${spec.claimRef ? `${spec.claimRef.namespace ?? ''}/${spec.claimRef.name ?? ''}` : ''}\n`);
    writer.write(LEVEL_0, `Reclaim Policy:\t${spec.persistentVolumeReclaimPolicy ?? ''}\n`);
    writer.write(LEVEL_0, `Access Modes:\t${accessModesString(spec.accessModes)}\n`);
    if (spec.volumeMode) writer.write(LEVEL_0, `VolumeMode:\t${spec.volumeMode}\n`);
    writer.write(LEVEL_0, `Capacity:\t${quantityString(spec.capacity?.storage ?? '0')}\n`);
    printNodeAffinity(writer, spec.nodeAffinity);
    writer.write(LEVEL_0, `Message:\t${volume.status?.message ?? ''}\n`);
    writer.write(LEVEL_0, 'Source:\n');
    printSource(writer, spec);
    writeEvents(writer, events, context.now);
    return writer.toString();
  },
};

/** printVolumeNodeAffinity */
function printNodeAffinity(writer: DescribeWriter, affinity: KubeObject | undefined): void {
  writer.write(LEVEL_0, 'Node Affinity:\t');
  if (!affinity?.required) {
    writer.line('<none>');
    return;
  }
  writer.line('');
  writer.write(LEVEL_1, 'Required Terms:\t');
  const terms: KubeObject[] = affinity.required.nodeSelectorTerms ?? [];
  if (terms.length === 0) {
    writer.line('<none>');
    return;
  }
  writer.line('');
  terms.forEach((term, index) => {
    writer.write(LEVEL_2, `Term ${index}:\t`);
    const requirements: KubeObject[] = term.matchExpressions ?? [];
    if (requirements.length === 0) {
      writer.line('<none>');
      return;
    }
    requirements.forEach((requirement, position) => {
      if (position !== 0) writer.write(LEVEL_2, '\t');
      let text = `${requirement.key} ${String(requirement.operator ?? '').toLowerCase()}`;
      if (requirement.values?.length) text += ` [${requirement.values.join(', ')}]`;
      writer.write(LEVEL_0, `${text}\n`);
    });
  });
}

function printSource(writer: DescribeWriter, spec: KubeObject): void {
  const line = (text: string) => writer.write(LEVEL_2, text);
  if (spec.hostPath) {
    line(`Type:\tHostPath (bare host directory volume)\n    Path:\t${spec.hostPath.path ?? ''}\n    HostPathType:\t${spec.hostPath.type ?? '<none>'}\n`);
  } else if (spec.nfs) {
    line(`Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n    Server:\t${spec.nfs.server ?? ''}\n    Path:\t${spec.nfs.path ?? ''}\n    ReadOnly:\t${spec.nfs.readOnly === true}\n`);
  } else if (spec.local) {
    line(`Type:\tLocalVolume (a persistent volume backed by local storage on a node)\n    Path:\t${spec.local.path ?? ''}\n`);
  } else if (spec.csi) {
    line(`Type:\tCSI (a Container Storage Interface (CSI) volume source)\n    Driver:\t${spec.csi.driver ?? ''}\n    FSType:\t${spec.csi.fsType ?? ''}\n    VolumeHandle:\t${spec.csi.volumeHandle ?? ''}\n    ReadOnly:\t${spec.csi.readOnly === true}\n`);
    printVolumeAttributes(writer, spec.csi.volumeAttributes);
  } else {
    // The other in-tree sources (cloud disks, iSCSI, RBD…) are left to kubectl rather than printed as "<unknown>".
    throw new NativeDescribeUnsupported('this PersistentVolume source');
  }
}
