/** `kubectl describe statefulset`, natively (StatefulSetDescriber). */
import type { NativeDescriber } from './describe-context.ts';
import { eventsOrNone, referenceTo, writeEvents } from './describe-events.ts';
import { formatTime, intOrString, printAnnotationsMultiline, printLabelsMultiline, selectorString } from './describe-format.ts';
import { describePodTemplate } from './describe-pod-template.ts';
import { createDescribeWriter, LEVEL_0, LEVEL_1 } from './describe-writer.ts';
import { formatPodPhases, podPhasesFor } from './controller-pods.ts';
import { quantityString } from '../quantity.ts';

export const describeStatefulSet: NativeDescriber = {
  group: 'apps',
  kind: 'StatefulSet',
  version: 'v1',
  async describe(statefulSet, context) {
    const spec = statefulSet.spec ?? {};
    const [phases, events] = await Promise.all([podPhasesFor(context, statefulSet, spec.selector), eventsOrNone(context, referenceTo(statefulSet, 'StatefulSet'))]);
    const writer = createDescribeWriter();
    writer.write(LEVEL_0, `Name:\t${statefulSet.metadata.name}\n`);
    writer.write(LEVEL_0, `Namespace:\t${statefulSet.metadata.namespace}\n`);
    writer.write(LEVEL_0, `CreationTimestamp:\t${formatTime(statefulSet.metadata.creationTimestamp)}\n`);
    writer.write(LEVEL_0, `Selector:\t${selectorString(spec.selector)}\n`);
    printLabelsMultiline(writer, 'Labels', statefulSet.metadata.labels);
    printAnnotationsMultiline(writer, 'Annotations', statefulSet.metadata.annotations);
    writer.write(LEVEL_0, `Replicas:\t${spec.replicas ?? 1} desired | ${statefulSet.status?.replicas ?? 0} total\n`);
    writer.write(LEVEL_0, `Update Strategy:\t${spec.updateStrategy?.type ?? ''}\n`);
    const rollingUpdate = spec.updateStrategy?.rollingUpdate;
    if (rollingUpdate && rollingUpdate.partition !== undefined && rollingUpdate.partition !== null) {
      writer.write(LEVEL_1, `Partition:\t${rollingUpdate.partition}\n`);
      if (rollingUpdate.maxUnavailable !== undefined && rollingUpdate.maxUnavailable !== null) writer.write(LEVEL_1, `MaxUnavailable:\t${intOrString(rollingUpdate.maxUnavailable)}\n`);
    }
    writer.write(LEVEL_0, `Pods Status:\t${formatPodPhases(phases)}\n`);
    describePodTemplate(writer, spec.template);
    const claims = spec.volumeClaimTemplates ?? [];
    if (claims.length === 0) {
      writer.write(LEVEL_0, 'Volume Claims:\t<none>\n');
    } else {
      writer.write(LEVEL_0, 'Volume Claims:\n');
      for (const claim of claims) {
        writer.write(LEVEL_1, `Name:\t${claim.metadata?.name ?? ''}\n`);
        const storageClass = claim.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? claim.spec?.storageClassName ?? '';
        writer.write(LEVEL_1, `StorageClass:\t${storageClass}\n`);
        printLabelsMultiline(writer, 'Labels', claim.metadata?.labels, '  ');
        printLabelsMultiline(writer, 'Annotations', claim.metadata?.annotations, '  ');
        const storage = claim.spec?.resources?.requests?.storage;
        writer.write(LEVEL_1, `Capacity:\t${storage !== undefined ? quantityString(storage) : '<default>'}\n`);
        writer.write(LEVEL_1, `Access Modes:\t[${(claim.spec?.accessModes ?? []).join(' ')}]\n`);
      }
    }
    writeEvents(writer, events, context.now);
    return writer.toString();
  },
};
