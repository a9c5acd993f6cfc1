/** `kubectl describe replicaset`, natively (ReplicaSetDescriber). */
import type { NativeDescriber } from './describe-context.ts';
import { eventsOrNone, referenceTo, writeEvents } from './describe-events.ts';
import { controllerOf, formatLabelSelector, printAnnotationsMultiline, printLabelsMultiline } from './describe-format.ts';
import { describePodTemplate } from './describe-pod-template.ts';
import { createDescribeWriter, LEVEL_0, LEVEL_1 } from './describe-writer.ts';
import { formatPodPhases, podPhasesFor } from './controller-pods.ts';

export const describeReplicaSet: NativeDescriber = {
  group: 'apps',
  kind: 'ReplicaSet',
  version: 'v1',
  async describe(replicaSet, context) {
    const spec = replicaSet.spec ?? {};
    // kubectl prints a pod listing failure in place of the counts instead of failing the describe.
    const [phases, events] = await Promise.all([podPhasesFor(context, replicaSet, spec.selector).then(formatPodPhases, (error: unknown) => {
      if (context.signal?.aborted) throw error;
      return `error in fetching pods: ${error instanceof Error ? error.message : String(error)}`;
    }), eventsOrNone(context, referenceTo(replicaSet, 'ReplicaSet'))]);
    const writer = createDescribeWriter();
    writer.write(LEVEL_0, `Name:\t${replicaSet.metadata.name}\n`);
    writer.write(LEVEL_0, `Namespace:\t${replicaSet.metadata.namespace}\n`);
    writer.write(LEVEL_0, `Selector:\t${formatLabelSelector(spec.selector)}\n`);
    printLabelsMultiline(writer, 'Labels', replicaSet.metadata.labels);
    printAnnotationsMultiline(writer, 'Annotations', replicaSet.metadata.annotations);
    const controlledBy = controllerOf(replicaSet);
    if (controlledBy) writer.write(LEVEL_0, `Controlled By:\t${controlledBy}\n`);
    writer.write(LEVEL_0, `Replicas:\t${replicaSet.status?.replicas ?? 0} current / ${spec.replicas ?? 1} desired\n`);
    writer.write(LEVEL_0, `Pods Status:\t${phases}\n`);
    describePodTemplate(writer, spec.template);
    if (replicaSet.status?.conditions?.length) {
      writer.write(LEVEL_0, 'Conditions:\n  Type\tStatus\tReason\n');
      writer.write(LEVEL_1, '----\t------\t------\n');
      for (const condition of replicaSet.status.conditions) writer.write(LEVEL_1, `${condition.type} \t${condition.status}\t${condition.reason ?? ''}\n`);
    }
    writeEvents(writer, events, context.now);
    return writer.toString();
  },
};
