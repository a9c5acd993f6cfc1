/** `kubectl describe deployment`, natively (DeploymentDescriber). */
import { isDeepStrictEqual } from 'node:util';
import { listAll, type NativeDescriber } from './describe-context.ts';
import { eventsOrNone, referenceTo, writeEvents } from './describe-events.ts';
import { compareStrings, formatTime, intOrString, matchesSelector, printAnnotationsMultiline, printLabelsMultiline, selectorString, type KubeObject } from './describe-format.ts';
import { describePodTemplate } from './describe-pod-template.ts';
import { createDescribeWriter, LEVEL_0, LEVEL_1 } from './describe-writer.ts';

export const describeDeployment: NativeDescriber = {
  group: 'apps',
  kind: 'Deployment',
  version: 'v1',
  // The namespace's ReplicaSets (one page) while the Deployment is read: its selector is applied here, so the
  // describe needs no second round of requests. A namespace with more than a page is queried as kubectl does.
  prefetch(context, { namespace }) {
    return context.http.json<KubeObject>({ path: replicaSetsPath(namespace), query: { limit: PREFETCH_LIMIT }, signal: context.signal });
  },
  async describe(deployment, context, prefetched) {
    // Independent reads run concurrently (kubectl makes them one after another).
    const eventsRequest = eventsOrNone(context, referenceTo(deployment, 'Deployment'));
    const selector = deployment.spec?.selector;
    const replicaSetsRequest = (async () => {
      const page = prefetched ? ((await prefetched.catch(() => undefined)) as KubeObject | undefined) : undefined;
      if (page && !page.metadata?.continue) return ((page.items ?? []) as KubeObject[]).filter((replicaSet) => matchesSelector(replicaSet.metadata?.labels, selector));
      return listAll(context, replicaSetsPath(deployment.metadata.namespace), { labelSelector: selectorString(selector) || undefined });
    })();
    replicaSetsRequest.catch(() => undefined);
    const events = await eventsRequest;
    // deploymentutil.GetAllReplicaSets: the ReplicaSets the deployment controls, oldest first; the new one has its template.
    let oldReplicaSets: KubeObject[] = [];
    let newReplicaSets: KubeObject[] = [];
    try {
      const owned = (await replicaSetsRequest)
        .filter((replicaSet) => (replicaSet.metadata?.ownerReferences ?? []).some((owner: KubeObject) => owner.controller === true && owner.uid === deployment.metadata.uid))
        .sort(byCreationThenName);
      const current = owned.find((replicaSet) => sameTemplate(replicaSet.spec?.template, deployment.spec?.template));
      newReplicaSets = current ? [current] : [];
      oldReplicaSets = owned.filter((replicaSet) => replicaSet !== current);
    } catch (error) {
      if (context.signal?.aborted) throw error;
    }
    const writer = createDescribeWriter();
    const spec = deployment.spec ?? {};
    const status = deployment.status ?? {};
    writer.write(LEVEL_0, `Name:\t${deployment.metadata.name}\n`);
    writer.write(LEVEL_0, `Namespace:\t${deployment.metadata.namespace}\n`);
    writer.write(LEVEL_0, `CreationTimestamp:\t${formatTime(deployment.metadata.creationTimestamp)}\n`);
    printLabelsMultiline(writer, 'Labels', deployment.metadata.labels);
    printAnnotationsMultiline(writer, 'Annotations', deployment.metadata.annotations);
    writer.write(LEVEL_0, `Selector:\t${selectorString(spec.selector)}\n`);
    writer.write(LEVEL_0, `Replicas:\t${spec.replicas ?? 1} desired | ${status.updatedReplicas ?? 0} updated | ${status.replicas ?? 0} total | ${status.availableReplicas ?? 0} available | ${status.unavailableReplicas ?? 0} unavailable\n`);
    writer.write(LEVEL_0, `StrategyType:\t${spec.strategy?.type ?? ''}\n`);
    writer.write(LEVEL_0, `MinReadySeconds:\t${spec.minReadySeconds ?? 0}\n`);
    const rollingUpdate = spec.strategy?.rollingUpdate;
    if (rollingUpdate) writer.write(LEVEL_0, `RollingUpdateStrategy:\t${intOrString(rollingUpdate.maxUnavailable)} max unavailable, ${intOrString(rollingUpdate.maxSurge)} max surge\n`);
    describePodTemplate(writer, spec.template);
    if (status.conditions?.length) {
      writer.write(LEVEL_0, 'Conditions:\n  Type\tStatus\tReason\n');
      writer.write(LEVEL_1, '----\t------\t------\n');
      for (const condition of status.conditions) writer.write(LEVEL_1, `${condition.type} \t${condition.status}\t${condition.reason ?? ''}\n`);
    }
    if (oldReplicaSets.length > 0 || newReplicaSets.length > 0) {
      writer.write(LEVEL_0, `OldReplicaSets:\t${replicaSetsByName(oldReplicaSets)}\n`);
      writer.write(LEVEL_0, `NewReplicaSet:\t${replicaSetsByName(newReplicaSets)}\n`);
    }
    writeEvents(writer, events, context.now);
    return writer.toString();
  },
};

const PREFETCH_LIMIT = 500;

function replicaSetsPath(namespace: string): string {
  return `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/replicasets`;
}

function byCreationThenName(a: KubeObject, b: KubeObject): number {
  const left = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
  const right = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
  return left !== right ? left - right : compareStrings(a.metadata?.name ?? '', b.metadata?.name ?? '');
}

/** printReplicaSetsByLabels */
function replicaSetsByName(replicaSets: KubeObject[]): string {
  const text = replicaSets.map((replicaSet) => `${replicaSet.metadata.name} (${replicaSet.status?.replicas ?? 0}/${replicaSet.spec?.replicas ?? 1} replicas created)`).join(', ');
  return text || '<none>';
}

/** deploymentutil.EqualIgnoreHash: templates equal once the pod-template-hash label is dropped (nil and empty alike). */
export function sameTemplate(left: KubeObject | undefined, right: KubeObject | undefined): boolean {
  return isDeepStrictEqual(normalise(withoutHash(left)), normalise(withoutHash(right)));
}

function withoutHash(template: KubeObject | undefined): KubeObject {
  const copy = structuredClone(template ?? {});
  if (copy.metadata?.labels) delete copy.metadata.labels['pod-template-hash'];
  return copy;
}

/** Go's semantic equality treats absent, null, empty maps and empty lists the same. */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.map(normalise);
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .map(([key, child]) => [key, normalise(child)] as const)
      .filter(([, child]) => child !== undefined && child !== null);
    return entries.length === 0 ? undefined : Object.fromEntries(entries);
  }
  return value;
}
