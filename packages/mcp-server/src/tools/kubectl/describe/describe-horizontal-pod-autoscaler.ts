/** `kubectl describe hpa`, natively (HorizontalPodAutoscalerDescriber, autoscaling/v2). */
import type { NativeDescriber } from './describe-context.ts';
import { eventsOrNone, referenceTo, writeEvents } from './describe-events.ts';
import { formatTime, printAnnotationsMultiline, printLabelsMultiline, type KubeObject } from './describe-format.ts';
import { createDescribeWriter, LEVEL_0, LEVEL_1, LEVEL_2, LEVEL_3, type DescribeWriter } from './describe-writer.ts';
import { quantityString } from '../quantity.ts';

/** (*Quantity).String(), which prints <nil> for an absent quantity. */
const quantity = (value: unknown) => (value === undefined || value === null ? '<nil>' : quantityString(value));

export const describeHorizontalPodAutoscaler: NativeDescriber = {
  group: 'autoscaling',
  kind: 'HorizontalPodAutoscaler',
  version: 'v2',
  async describe(hpa, context) {
    const events = await eventsOrNone(context, referenceTo(hpa, 'HorizontalPodAutoscaler'));
    const spec = hpa.spec ?? {};
    const status = hpa.status ?? {};
    const writer = createDescribeWriter();
    writer.write(LEVEL_0, `Name:\t${hpa.metadata.name}\n`);
    writer.write(LEVEL_0, `Namespace:\t${hpa.metadata.namespace}\n`);
    printLabelsMultiline(writer, 'Labels', hpa.metadata.labels);
    printAnnotationsMultiline(writer, 'Annotations', hpa.metadata.annotations);
    writer.write(LEVEL_0, `CreationTimestamp:\t${formatTime(hpa.metadata.creationTimestamp)}\n`);
    writer.write(LEVEL_0, `Reference:\t${spec.scaleTargetRef?.kind ?? ''}/${spec.scaleTargetRef?.name ?? ''}\n`);
    writer.write(LEVEL_0, 'Metrics:\t( current / target )\n');
    (spec.metrics ?? []).forEach((metric: KubeObject, index: number) => describeMetric(writer, metric, status.currentMetrics?.[index]));
    writer.write(LEVEL_0, `Min replicas:\t${spec.minReplicas ?? '<unset>'}\n`);
    writer.write(LEVEL_0, `Max replicas:\t${spec.maxReplicas ?? 0}\n`);
    if (spec.behavior) {
      writer.write(LEVEL_0, 'Behavior:\n');
      describeDirection(writer, 'Scale Up', spec.behavior.scaleUp);
      describeDirection(writer, 'Scale Down', spec.behavior.scaleDown);
    }
    writer.write(LEVEL_0, `${spec.scaleTargetRef?.kind ?? ''} pods:\t`);
    writer.write(LEVEL_0, `${status.currentReplicas ?? 0} current / ${status.desiredReplicas ?? 0} desired\n`);
    if (status.conditions?.length) {
      writer.write(LEVEL_0, 'Conditions:\n');
      writer.write(LEVEL_1, 'Type\tStatus\tReason\tMessage\n');
      writer.write(LEVEL_1, '----\t------\t------\t-------\n');
      for (const condition of status.conditions) writer.write(LEVEL_1, `${condition.type}\t${condition.status}\t${condition.reason ?? ''}\t${condition.message ?? ''}\n`);
    }
    writeEvents(writer, events, context.now);
    return writer.toString();
  },
};

function describeMetric(writer: DescribeWriter, metric: KubeObject, current: KubeObject | undefined): void {
  switch (metric.type) {
    case 'External': {
      const name = JSON.stringify(metric.external?.metric?.name ?? '');
      if (metric.external?.target?.averageValue !== undefined && metric.external?.target?.averageValue !== null) {
        const now = current?.external?.current?.averageValue !== undefined && current?.external?.current?.averageValue !== null ? quantity(current.external.current.averageValue) : '<unknown>';
        writer.write(LEVEL_1, `${name} (target average value):\t${now} / ${quantity(metric.external.target.averageValue)}\n`);
      } else {
        const now = current?.external ? quantity(current.external.current?.value) : '<unknown>';
        writer.write(LEVEL_1, `${name} (target value):\t${now} / ${quantity(metric.external?.target?.value)}\n`);
      }
      return;
    }
    case 'Pods': {
      const now = current?.pods ? quantity(current.pods.current?.averageValue) : '<unknown>';
      writer.write(LEVEL_1, `${JSON.stringify(metric.pods?.metric?.name ?? '')} on pods:\t${now} / ${quantity(metric.pods?.target?.averageValue)}\n`);
      return;
    }
    case 'Object': {
      writer.write(LEVEL_1, `"${metric.object?.metric?.name ?? ''}" on ${metric.object?.describedObject?.kind ?? ''}/${metric.object?.describedObject?.name ?? ''} `);
      if (metric.object?.target?.type === 'AverageValue') {
        const now = current?.object ? quantity(current.object.current?.averageValue) : '<unknown>';
        writer.write(LEVEL_0, `(target average value):\t${now} / ${quantity(metric.object.target.averageValue)}\n`);
      } else {
        const now = current?.object ? quantity(current.object.current?.value) : '<unknown>';
        writer.write(LEVEL_0, `(target value):\t${now} / ${quantity(metric.object?.target?.value)}\n`);
      }
      return;
    }
    case 'Resource':
    case 'ContainerResource': {
      const source = metric.type === 'Resource' ? metric.resource : metric.containerResource;
      const currentSource = metric.type === 'Resource' ? current?.resource : current?.containerResource;
      writer.write(LEVEL_1, metric.type === 'Resource' ? `resource ${source?.name ?? ''} on pods` : `resource ${source?.name ?? ''} of container "${source?.container ?? ''}" on pods`);
      if (source?.target?.averageValue !== undefined && source?.target?.averageValue !== null) {
        const now = currentSource ? quantity(currentSource.current?.averageValue) : '<unknown>';
        writer.write(LEVEL_0, `:\t${now} / ${quantity(source.target.averageValue)}\n`);
      } else {
        const utilization = currentSource?.current?.averageUtilization;
        const now = currentSource && utilization !== undefined && utilization !== null ? `${utilization}% (${quantity(currentSource.current?.averageValue)})` : '<unknown>';
        const target = source?.target?.averageUtilization !== undefined && source?.target?.averageUtilization !== null ? `${source.target.averageUtilization}%` : '<auto>';
        writer.write(LEVEL_1, `(as a percentage of request):\t${now} / ${target}\n`);
      }
      return;
    }
    default:
      writer.write(LEVEL_1, `<unknown metric type ${JSON.stringify(String(metric.type ?? ''))}>\n`);
  }
}

/** printDirectionBehavior */
function describeDirection(writer: DescribeWriter, direction: string, rules: KubeObject | undefined): void {
  if (!rules) return;
  writer.write(LEVEL_1, `${direction}:\n`);
  if (rules.stabilizationWindowSeconds !== undefined && rules.stabilizationWindowSeconds !== null) writer.write(LEVEL_2, `Stabilization Window: ${rules.stabilizationWindowSeconds} seconds\n`);
  if (rules.policies?.length) {
    writer.write(LEVEL_2, `Select Policy: ${rules.selectPolicy ?? 'Max'}\n`);
    writer.write(LEVEL_2, 'Policies:\n');
    for (const policy of rules.policies) writer.write(LEVEL_3, `- Type: ${policy.type ?? ''}\tValue: ${policy.value ?? 0}\tPeriod: ${policy.periodSeconds ?? 0} seconds\n`);
  }
}
