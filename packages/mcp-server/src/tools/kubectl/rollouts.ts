/**
 * Rollout logic shared by k8s_rollout_status, k8s_rollout_history and k8s_rollout_undo, written against
 * the API the way kubectl's rollout subcommands work (ReplicaSets for Deployments, ControllerRevisions
 * for DaemonSets and StatefulSets).
 */
import { z } from 'zod';
import { ToolInputError } from '../../errors.ts';
import type { ToolDeps } from '../deps.ts';
import { clients } from './kubectl-common.ts';

export const rolloutResourceField = z
  .enum(['deployment', 'daemonset', 'statefulset'])
  .describe("'deployment', 'daemonset', or 'statefulset'");

export type RolloutKind = z.infer<typeof rolloutResourceField>;

const PLURAL: Record<RolloutKind, string> = { deployment: 'deployments', daemonset: 'daemonsets', statefulset: 'statefulsets' };

export function workloadPath(kind: RolloutKind, namespace: string, name: string): string {
  return `/apis/apps/v1/namespaces/${namespace}/${PLURAL[kind]}/${name}`;
}

/** One kubectl-like status line and whether the rollout is finished. Throws when it failed for good. */
export function rolloutState(kind: RolloutKind, object: any): { done: boolean; message: string } {
  const name = object.metadata?.name;
  const status = object.status ?? {};
  const spec = object.spec ?? {};
  if ((object.metadata?.generation ?? 0) > (status.observedGeneration ?? 0)) {
    return { done: false, message: `Waiting for ${kind} spec update to be observed...` };
  }
  if (kind === 'deployment') {
    const progressing = (status.conditions ?? []).find((condition: any) => condition.type === 'Progressing');
    if (progressing?.reason === 'ProgressDeadlineExceeded') {
      throw new ToolInputError(`deployment "${name}" exceeded its progress deadline.`, { hint: `inspect the new pods with k8s_describe and k8s_logs, or roll back with k8s_rollout_undo`, code: 'FAILED' });
    }
    const replicas = spec.replicas ?? 1;
    const updated = status.updatedReplicas ?? 0;
    const total = status.replicas ?? 0;
    const available = status.availableReplicas ?? 0;
    if (updated < replicas) return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${replicas} new replicas have been updated...` };
    if (total > updated) return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${total - updated} old replicas are pending termination...` };
    if (available < updated) return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...` };
    return { done: true, message: `deployment "${name}" successfully rolled out` };
  }
  if (kind === 'statefulset') {
    const replicas = spec.replicas ?? 1;
    if ((status.readyReplicas ?? 0) < replicas) return { done: false, message: `Waiting for ${replicas - (status.readyReplicas ?? 0)} pods to be ready...` };
    if (status.updateRevision && status.currentRevision !== status.updateRevision) {
      return { done: false, message: `waiting for statefulset rolling update to complete ${status.updatedReplicas ?? 0} pods at revision ${status.updateRevision}...` };
    }
    return { done: true, message: `partitioned roll out complete: ${replicas} new pods have been updated...` };
  }
  const desired = status.desiredNumberScheduled ?? 0;
  if ((status.updatedNumberScheduled ?? 0) < desired) {
    return { done: false, message: `Waiting for daemon set "${name}" rollout to finish: ${status.updatedNumberScheduled ?? 0} out of ${desired} new pods have been updated...` };
  }
  if ((status.numberAvailable ?? 0) < desired) {
    return { done: false, message: `Waiting for daemon set "${name}" rollout to finish: ${status.numberAvailable ?? 0} of ${desired} updated pods are available...` };
  }
  return { done: true, message: `daemon set "${name}" successfully rolled out` };
}

export interface Revision {
  revision: number;
  changeCause?: string;
  /** the pod template of this revision */
  template: any;
  /** DaemonSet/StatefulSet ControllerRevisions store a patch instead */
  data?: any;
}

/** All revisions of a workload, oldest first. */
export async function listRevisions(deps: ToolDeps, kind: RolloutKind, namespace: string, workload: any, signal?: AbortSignal): Promise<Revision[]> {
  const { http } = clients(deps);
  const uid = workload.metadata?.uid;
  const ownedBy = (item: any): boolean => (item.metadata?.ownerReferences ?? []).some((owner: any) => owner.uid === uid);
  const selector = Object.entries(workload.spec?.selector?.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`).join(',');
  if (kind === 'deployment') {
    const list = await http.json<{ items: any[] }>({ path: `/apis/apps/v1/namespaces/${namespace}/replicasets`, query: { labelSelector: selector || undefined }, signal });
    return list.items
      .filter(ownedBy)
      .map((replicaSet) => ({
        revision: Number(replicaSet.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0),
        changeCause: replicaSet.metadata?.annotations?.['kubernetes.io/change-cause'],
        template: replicaSet.spec?.template,
      }))
      .sort((a, b) => a.revision - b.revision);
  }
  const list = await http.json<{ items: any[] }>({ path: `/apis/apps/v1/namespaces/${namespace}/controllerrevisions`, query: { labelSelector: selector || undefined }, signal });
  return list.items
    .filter(ownedBy)
    .map((revision) => ({
      revision: Number(revision.revision ?? 0),
      changeCause: revision.metadata?.annotations?.['kubernetes.io/change-cause'],
      template: revision.data?.spec?.template,
      data: revision.data,
    }))
    .sort((a, b) => a.revision - b.revision);
}
