/** `kubectl describe pvc`, natively (PersistentVolumeClaimDescriber): the claim, the pods using it, conditions, events. */
import { listAll, type NativeDescriber } from './describe-context.ts';
import { eventsOrNone, referenceTo, writeEvents } from './describe-events.ts';
import { compareStrings, formatTime, type KubeObject } from './describe-format.ts';
import { printPersistentVolumeClaim } from './describe-pod-template.ts';
import { createDescribeWriter, LEVEL_0, LEVEL_1 } from './describe-writer.ts';

export const describePersistentVolumeClaim: NativeDescriber = {
  group: '',
  kind: 'PersistentVolumeClaim',
  version: 'v1',
  async describe(claim, context) {
    const name: string = claim.metadata.name;
    const [pods, events] = await Promise.all([
      listAll(context, `/api/v1/namespaces/${encodeURIComponent(claim.metadata.namespace)}/pods`),
      eventsOrNone(context, referenceTo(claim, 'PersistentVolumeClaim')),
    ]);
    // getPodsForPVC: pods mounting the claim (once per volume that names it), then owner pods not already listed.
    const users: KubeObject[] = [];
    for (const pod of pods) for (const volume of pod.spec?.volumes ?? []) if (volume.persistentVolumeClaim?.claimName === name) users.push(pod);
    for (const owner of claim.metadata.ownerReferences ?? []) {
      if (owner.kind !== 'Pod') continue;
      const pod = pods.find((candidate) => candidate.metadata?.uid === owner.uid);
      if (pod && !users.some((user) => user.metadata?.uid === pod.metadata.uid)) users.push(pod);
    }
    const writer = createDescribeWriter();
    printPersistentVolumeClaim(writer, claim, { full: true, now: context.now });
    writer.write(LEVEL_0, 'Used By:\t');
    if (users.length === 0) writer.line('<none>');
    else {
      [...users].sort((a, b) => compareStrings(a.metadata.name, b.metadata.name)).forEach((pod, index) => {
        if (index !== 0) writer.write(LEVEL_0, '\t');
        writer.write(LEVEL_0, `${pod.metadata.name}\n`);
      });
    }
    if (claim.status?.conditions?.length) {
      writer.write(LEVEL_0, 'Conditions:\n');
      writer.write(LEVEL_1, 'Type\tStatus\tLastProbeTime\tLastTransitionTime\tReason\tMessage\n');
      writer.write(LEVEL_1, '----\t------\t-----------------\t------------------\t------\t-------\n');
      for (const condition of claim.status.conditions) {
        writer.write(LEVEL_1, `${condition.type} \t${condition.status} \t${formatTime(condition.lastProbeTime)} \t${formatTime(condition.lastTransitionTime)} \t${condition.reason ?? ''} \t${condition.message ?? ''}\n`);
      }
    }
    writeEvents(writer, events, context.now);
    return writer.toString();
  },
};
