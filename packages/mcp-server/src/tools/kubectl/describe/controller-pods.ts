/** getPodStatusForController: phases of the pods a controller owns (matched by selector, then controller uid). */
import { listAll, type DescribeContext } from './describe-context.ts';
import { selectorString, type KubeObject } from './describe-format.ts';

export interface PodPhaseCounts {
  running: number;
  waiting: number;
  succeeded: number;
  failed: number;
}

export async function podPhasesFor(context: DescribeContext, controller: KubeObject, selector: KubeObject | undefined): Promise<PodPhaseCounts> {
  const pods = await listAll(context, `/api/v1/namespaces/${encodeURIComponent(controller.metadata.namespace)}/pods`, { labelSelector: selectorString(selector) || undefined });
  const counts: PodPhaseCounts = { running: 0, waiting: 0, succeeded: 0, failed: 0 };
  for (const pod of pods) {
    const owner = (pod.metadata?.ownerReferences ?? []).find((reference: KubeObject) => reference.controller === true);
    if (!owner || owner.uid !== controller.metadata.uid) continue;
    if (pod.status?.phase === 'Running') counts.running += 1;
    else if (pod.status?.phase === 'Pending') counts.waiting += 1;
    else if (pod.status?.phase === 'Succeeded') counts.succeeded += 1;
    else if (pod.status?.phase === 'Failed') counts.failed += 1;
  }
  return counts;
}

export function formatPodPhases(counts: PodPhaseCounts): string {
  return `${counts.running} Running / ${counts.waiting} Waiting / ${counts.succeeded} Succeeded / ${counts.failed} Failed`;
}
