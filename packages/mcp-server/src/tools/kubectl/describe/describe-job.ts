/** `kubectl describe job`, natively (JobDescriber). */
import type { NativeDescriber } from './describe-context.ts';
import { eventsOrNone, referenceTo, writeEvents } from './describe-events.ts';
import { controllerOf, formatTime, humanDuration, printAnnotationsMultiline, printLabelsMultiline, selectorString } from './describe-format.ts';
import { describePodTemplate } from './describe-pod-template.ts';
import { createDescribeWriter, LEVEL_0 } from './describe-writer.ts';

const present = (value: unknown) => value !== undefined && value !== null;

export const describeJob: NativeDescriber = {
  group: 'batch',
  kind: 'Job',
  version: 'v1',
  async describe(job, context) {
    const events = await eventsOrNone(context, referenceTo(job, 'Job'));
    const spec = job.spec ?? {};
    const status = job.status ?? {};
    const writer = createDescribeWriter();
    writer.write(LEVEL_0, `Name:\t${job.metadata.name}\n`);
    writer.write(LEVEL_0, `Namespace:\t${job.metadata.namespace}\n`);
    writer.write(LEVEL_0, `Selector:\t${selectorString(spec.selector)}\n`);
    printLabelsMultiline(writer, 'Labels', job.metadata.labels);
    printAnnotationsMultiline(writer, 'Annotations', job.metadata.annotations);
    const controlledBy = controllerOf(job);
    if (controlledBy) writer.write(LEVEL_0, `Controlled By:\t${controlledBy}\n`);
    if (present(spec.parallelism)) writer.write(LEVEL_0, `Parallelism:\t${spec.parallelism}\n`);
    writer.write(LEVEL_0, present(spec.completions) ? `Completions:\t${spec.completions}\n` : 'Completions:\t<unset>\n');
    if (present(spec.completionMode)) writer.write(LEVEL_0, `Completion Mode:\t${spec.completionMode}\n`);
    if (present(spec.suspend)) writer.write(LEVEL_0, `Suspend:\t${spec.suspend}\n`);
    if (present(spec.backoffLimit)) writer.write(LEVEL_0, `Backoff Limit:\t${spec.backoffLimit}\n`);
    if (present(spec.ttlSecondsAfterFinished)) writer.write(LEVEL_0, `TTL Seconds After Finished:\t${spec.ttlSecondsAfterFinished}\n`);
    if (status.startTime) writer.write(LEVEL_0, `Start Time:\t${formatTime(status.startTime)}\n`);
    if (status.completionTime) writer.write(LEVEL_0, `Completed At:\t${formatTime(status.completionTime)}\n`);
    if (status.startTime && status.completionTime) writer.write(LEVEL_0, `Duration:\t${humanDuration(Date.parse(status.completionTime) - Date.parse(status.startTime))}\n`);
    if (present(spec.activeDeadlineSeconds)) writer.write(LEVEL_0, `Active Deadline Seconds:\t${spec.activeDeadlineSeconds}s\n`);
    if (present(status.ready)) writer.write(LEVEL_0, `Pods Statuses:\t${status.active ?? 0} Active (${status.ready} Ready) / ${status.succeeded ?? 0} Succeeded / ${status.failed ?? 0} Failed\n`);
    else writer.write(LEVEL_0, `Pods Statuses:\t${status.active ?? 0} Active / ${status.succeeded ?? 0} Succeeded / ${status.failed ?? 0} Failed\n`);
    if (spec.completionMode === 'Indexed') writer.write(LEVEL_0, `Completed Indexes:\t${capIndexes(status.completedIndexes ?? '', 50)}\n`);
    describePodTemplate(writer, spec.template);
    writeEvents(writer, events, context.now);
    return writer.toString();
  },
};

/** capIndexesListOrNone */
function capIndexes(indexes: string, softLimit: number): string {
  if (indexes.length === 0) return '<none>';
  let index = softLimit;
  while (index < indexes.length && indexes[index] !== ',') index += 1;
  return index >= indexes.length ? indexes : `${indexes.slice(0, index + 1)}...`;
}
