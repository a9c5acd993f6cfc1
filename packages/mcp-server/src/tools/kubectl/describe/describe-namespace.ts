/** `kubectl describe namespace`, natively (NamespaceDescriber): status, conditions, resource quotas and limit ranges. */
import { KubeApiError } from '../../../kube/kube-api-error.ts';
import { listAll, type DescribeContext, type NativeDescriber } from './describe-context.ts';
import { compareStrings, formatTime, printAnnotationsMultiline, printLabelsMultiline, type KubeObject } from './describe-format.ts';
import { createDescribeWriter, LEVEL_0, LEVEL_1, type DescribeWriter } from './describe-writer.ts';
import { quantityString } from '../quantity.ts';

const SCOPE_HELP: Record<string, string> = {
  Terminating: 'Matches all pods that have an active deadline. These pods have a limited lifespan on a node before being actively terminated by the system.',
  NotTerminating: 'Matches all pods that do not have an active deadline. These pods usually include long running pods whose container command is not expected to terminate.',
  BestEffort: 'Matches all pods that do not have resource requirements set. These pods have a best effort quality of service.',
  NotBestEffort: 'Matches all pods that have at least one resource requirement set. These pods have a burstable or guaranteed quality of service.',
};

export const describeNamespace: NativeDescriber = {
  group: '',
  kind: 'Namespace',
  version: 'v1',
  withoutEvents: true,
  async describe(namespace, context) {
    const name: string = namespace.metadata.name;
    const [quotas, limitRanges] = await Promise.all([
      listUnlessMissing(context, `/api/v1/namespaces/${encodeURIComponent(name)}/resourcequotas`),
      listUnlessMissing(context, `/api/v1/namespaces/${encodeURIComponent(name)}/limitranges`),
    ]);
    const writer = createDescribeWriter();
    writer.write(LEVEL_0, `Name:\t${name}\n`);
    printLabelsMultiline(writer, 'Labels', namespace.metadata.labels);
    printAnnotationsMultiline(writer, 'Annotations', namespace.metadata.annotations);
    writer.write(LEVEL_0, `Status:\t${namespace.status?.phase ?? ''}\n`);
    if (namespace.status?.conditions?.length) {
      writer.write(LEVEL_0, 'Conditions:\n');
      writer.write(LEVEL_1, 'Type\tStatus\tLastTransitionTime\tReason\tMessage\n');
      writer.write(LEVEL_1, '----\t------\t------------------\t------\t-------\n');
      for (const condition of namespace.status.conditions) {
        writer.write(LEVEL_1, `${condition.type}\t${condition.status}\t${formatTime(condition.lastTransitionTime)}\t${condition.reason ?? ''}\t${condition.message ?? ''}\n`);
      }
    }
    if (quotas) {
      writer.write(LEVEL_0, '\n');
      describeResourceQuotas(writer, quotas);
    }
    if (limitRanges) {
      writer.write(LEVEL_0, '\n');
      describeLimitRanges(writer, limitRanges);
    }
    return writer.toString();
  },
};

/** A server that does not serve quotas or limit ranges (404) simply has none to show. */
async function listUnlessMissing(context: DescribeContext, path: string): Promise<KubeObject[] | undefined> {
  try {
    return await listAll(context, path);
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404) return undefined;
    throw error;
  }
}

/** DescribeResourceQuotas */
function describeResourceQuotas(writer: DescribeWriter, quotas: KubeObject[]): void {
  if (quotas.length === 0) {
    writer.write(LEVEL_0, 'No resource quota.\n');
    return;
  }
  writer.write(LEVEL_0, 'Resource Quotas\n');
  for (const quota of [...quotas].sort((a, b) => compareStrings(a.metadata.name, b.metadata.name))) {
    writer.write(LEVEL_1, `Name:\t${quota.metadata.name}\n`);
    const scopes: string[] = [...(quota.spec?.scopes ?? [])].sort(compareStrings);
    if (scopes.length > 0) {
      writer.write(LEVEL_1, `Scopes:\t${scopes.join(', ')}\n`);
      for (const scope of scopes) if (SCOPE_HELP[scope]) writer.write(LEVEL_1, `* ${SCOPE_HELP[scope]}\n`);
    }
    writer.write(LEVEL_1, 'Resource\tUsed\tHard\n');
    writer.write(LEVEL_1, '--------\t---\t---\n');
    const hard = quota.status?.hard ?? {};
    for (const resource of Object.keys(hard).sort(compareStrings)) {
      writer.write(LEVEL_1, `${resource}\t${quantityString(quota.status?.used?.[resource] ?? '0')}\t${quantityString(hard[resource])}\n`);
    }
  }
}

/** DescribeLimitRanges (kubectl iterates a Go map per item, so its row order varies; here rows are sorted by resource). */
function describeLimitRanges(writer: DescribeWriter, limitRanges: KubeObject[]): void {
  if (limitRanges.length === 0) {
    writer.write(LEVEL_0, 'No LimitRange resource.\n');
    return;
  }
  writer.write(LEVEL_0, 'Resource Limits\n Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio\n');
  writer.write(LEVEL_0, ' ----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n');
  for (const limitRange of limitRanges) describeLimitRangeSpec(writer, limitRange.spec ?? {}, ' ');
}

function describeLimitRangeSpec(writer: DescribeWriter, spec: KubeObject, prefix: string): void {
  for (const item of spec.limits ?? []) {
    const lists = [item.min, item.max, item.defaultRequest, item.default, item.maxLimitRequestRatio].map((list) => (list ?? {}) as Record<string, unknown>);
    const names = [...new Set(lists.flatMap((list) => Object.keys(list)))].sort(compareStrings);
    for (const name of names) {
      const cells = lists.map((list) => (name in list ? quantityString(list[name]) : '-'));
      writer.write(LEVEL_0, `${prefix}${item.type ?? ''}\t${name}\t${cells.join('\t')}\n`);
    }
  }
}
