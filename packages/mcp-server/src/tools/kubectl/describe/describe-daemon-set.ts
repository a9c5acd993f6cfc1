/** `kubectl describe daemonset`, natively (DaemonSetDescriber; kubectl 1.32 prints no Namespace line for it). */
import type { NativeDescriber } from './describe-context.ts';
import { eventsOrNone, referenceTo, writeEvents } from './describe-events.ts';
import { formatLabels, printAnnotationsMultiline, printLabelsMultiline, selectorString } from './describe-format.ts';
import { describePodTemplate } from './describe-pod-template.ts';
import { createDescribeWriter, LEVEL_0 } from './describe-writer.ts';
import { formatPodPhases, podPhasesFor } from './controller-pods.ts';

export const describeDaemonSet: NativeDescriber = {
  group: 'apps',
  kind: 'DaemonSet',
  version: 'v1',
  async describe(daemonSet, context) {
    const spec = daemonSet.spec ?? {};
    const status = daemonSet.status ?? {};
    const [phases, events] = await Promise.all([podPhasesFor(context, daemonSet, spec.selector), eventsOrNone(context, referenceTo(daemonSet, 'DaemonSet'))]);
    const writer = createDescribeWriter();
    writer.write(LEVEL_0, `Name:\t${daemonSet.metadata.name}\n`);
    writer.write(LEVEL_0, `Selector:\t${selectorString(spec.selector)}\n`);
    writer.write(LEVEL_0, `Node-Selector:\t${formatLabels(spec.template?.spec?.nodeSelector)}\n`);
    printLabelsMultiline(writer, 'Labels', daemonSet.metadata.labels);
    printAnnotationsMultiline(writer, 'Annotations', daemonSet.metadata.annotations);
    writer.write(LEVEL_0, `Desired Number of Nodes Scheduled: ${status.desiredNumberScheduled ?? 0}\n`);
    writer.write(LEVEL_0, `Current Number of Nodes Scheduled: ${status.currentNumberScheduled ?? 0}\n`);
    writer.write(LEVEL_0, `Number of Nodes Scheduled with Up-to-date Pods: ${status.updatedNumberScheduled ?? 0}\n`);
    writer.write(LEVEL_0, `Number of Nodes Scheduled with Available Pods: ${status.numberAvailable ?? 0}\n`);
    writer.write(LEVEL_0, `Number of Nodes Misscheduled: ${status.numberMisscheduled ?? 0}\n`);
    writer.write(LEVEL_0, `Pods Status:\t${formatPodPhases(phases)}\n`);
    describePodTemplate(writer, spec.template);
    writeEvents(writer, events, context.now);
    return writer.toString();
  },
};
