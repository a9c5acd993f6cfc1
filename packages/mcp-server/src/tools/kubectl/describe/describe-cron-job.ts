/** `kubectl describe cronjob`, natively (CronJobDescriber). */
import type { NativeDescriber } from './describe-context.ts';
import { eventsOrNone, referenceTo, writeEvents } from './describe-events.ts';
import { formatTime, printAnnotationsMultiline, printLabelsMultiline, selectorString } from './describe-format.ts';
import { describePodTemplate } from './describe-pod-template.ts';
import { createDescribeWriter, LEVEL_0 } from './describe-writer.ts';

const present = (value: unknown) => value !== undefined && value !== null;
const orUnset = (value: unknown, suffix = '') => (present(value) ? `${value}${suffix}` : '<unset>');

export const describeCronJob: NativeDescriber = {
  group: 'batch',
  kind: 'CronJob',
  version: 'v1',
  async describe(cronJob, context) {
    const events = await eventsOrNone(context, referenceTo(cronJob, 'CronJob'));
    const spec = cronJob.spec ?? {};
    const writer = createDescribeWriter();
    writer.write(LEVEL_0, `Name:\t${cronJob.metadata.name}\n`);
    writer.write(LEVEL_0, `Namespace:\t${cronJob.metadata.namespace}\n`);
    printLabelsMultiline(writer, 'Labels', cronJob.metadata.labels);
    printAnnotationsMultiline(writer, 'Annotations', cronJob.metadata.annotations);
    writer.write(LEVEL_0, `Schedule:\t${spec.schedule ?? ''}\n`);
    writer.write(LEVEL_0, `Concurrency Policy:\t${spec.concurrencyPolicy ?? ''}\n`);
    writer.write(LEVEL_0, `Suspend:\t${present(spec.suspend) ? (spec.suspend ? 'True' : 'False') : '<unset>'}\n`);
    writer.write(LEVEL_0, `Successful Job History Limit:\t${orUnset(spec.successfulJobsHistoryLimit)}\n`);
    writer.write(LEVEL_0, `Failed Job History Limit:\t${orUnset(spec.failedJobsHistoryLimit)}\n`);
    writer.write(LEVEL_0, `Starting Deadline Seconds:\t${orUnset(spec.startingDeadlineSeconds, 's')}\n`);
    // describeJobTemplate
    const jobSpec = spec.jobTemplate?.spec ?? {};
    writer.write(LEVEL_0, `Selector:\t${jobSpec.selector ? selectorString(jobSpec.selector) : '<unset>'}\n`);
    writer.write(LEVEL_0, `Parallelism:\t${orUnset(jobSpec.parallelism)}\n`);
    writer.write(LEVEL_0, `Completions:\t${orUnset(jobSpec.completions)}\n`);
    if (present(jobSpec.activeDeadlineSeconds)) writer.write(LEVEL_0, `Active Deadline Seconds:\t${jobSpec.activeDeadlineSeconds}s\n`);
    describePodTemplate(writer, jobSpec.template ?? {});
    writer.write(LEVEL_0, `Last Schedule Time:\t${cronJob.status?.lastScheduleTime ? formatTime(cronJob.status.lastScheduleTime) : '<unset>'}\n`);
    const active = cronJob.status?.active ?? [];
    writer.write(LEVEL_0, 'Active Jobs:\t');
    if (active.length === 0) writer.line('<none>');
    else writer.line(active.map((job: { name?: string }) => job.name ?? '').join(', '));
    writeEvents(writer, events, context.now);
    return writer.toString();
  },
};
