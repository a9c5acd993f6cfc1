/**
 * Rollout logic shared by k8s_rollout_status, k8s_rollout_history and k8s_rollout_undo, written against
 * the API the way kubectl's rollout subcommands work (ReplicaSets for Deployments, ControllerRevisions
 * for DaemonSets and StatefulSets).
 */
import { z } from 'zod';
import { ToolInputError } from '../../contract/errors.ts';
import { KubeApiError } from '../../kube/kube-api-error.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { assertSafeName, clients, namespaceOf } from './kubectl-common.ts';
import type { MutationResult } from './mutations.ts';
import { accessEntry } from '../approved-access.ts';

/** The workload resource of a rollout kind (for the approved access, issue 34). */
const workloadResource = (kind: RolloutKind) => ({ group: 'apps', resource: `${kind}s` });

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

export interface UndoArgs {
  name: string;
  resource_type: RolloutKind;
  namespace?: string;
  to_revision?: number;
}

/** `kubectl rollout undo`: put an earlier revision's pod template back (dryRun for previews). */
export async function undoRollout(deps: ToolDeps, args: UndoArgs, options: { dryRun: boolean; signal?: AbortSignal }): Promise<MutationResult & { revision?: number }> {
  assertSafeName('name', args.name);
  const namespace = namespaceOf(deps, args.namespace);
  const path = workloadPath(args.resource_type, namespace, args.name);
  const { http } = clients(deps);
  const workload = await http.json<any>({ path, signal: options.signal });
  const revisions = await listRevisions(deps, args.resource_type, namespace, workload, options.signal);
  const label = `${args.resource_type}.apps/${args.name}`;
  const current = revisions.at(-1);
  const wanted = args.to_revision !== undefined ? revisions.find((entry) => entry.revision === args.to_revision) : revisions.at(-2);
  if (!wanted) {
    throw new ToolInputError(
      args.to_revision !== undefined ? `${label} has no revision ${args.to_revision}.` : `${label} has no previous revision to roll back to.`,
      { hint: `known revisions: ${revisions.map((entry) => entry.revision).join(', ') || 'none'} (see k8s_rollout_history)`, code: 'NOT_FOUND' },
    );
  }
  if (current && wanted.revision === current.revision) {
    return { summary: `${label} skipped rollback (current template already matches revision ${wanted.revision})`, before: [{ key: label, object: workload }], after: [{ key: label, object: workload }] };
  }
  const query = { fieldManager: 'kubectl-rollout', ...(options.dryRun ? { dryRun: 'All' } : {}) };
  let after: Record<string, any>;
  if (args.resource_type === 'deployment') {
    const template = structuredClone(wanted.template ?? {});
    // The hash label belongs to the ReplicaSet, not the Deployment's template.
    if (template.metadata?.labels) delete template.metadata.labels['pod-template-hash'];
    after = await http.json({ method: 'PATCH', path, query, contentType: 'application/json-patch+json', body: [{ op: 'replace', path: '/spec/template', value: template }], signal: options.signal });
  } else {
    after = await http.json({ method: 'PATCH', path, query, contentType: 'application/strategic-merge-patch+json', body: wanted.data ?? { spec: { template: wanted.template } }, signal: options.signal });
  }
  return {
    summary: `${label} rolled back to revision ${wanted.revision}${options.dryRun ? ' (server dry run)' : ''}`,
    before: [{ key: label, object: workload }],
    after: [{ key: label, object: after }],
    revision: wanted.revision,
    ...(options.dryRun ? { access: [accessEntry(workloadResource(args.resource_type), { namespace, name: args.name, verbs: ['patch'], object: after })] } : {}),
  };
}

/** The images of a pod template, "a, b" (for resolution notes). */
export function templateImages(template: any): string {
  return ((template?.spec?.containers ?? []) as Array<{ image?: string }>).map((container) => container.image).filter(Boolean).join(', ');
}

/**
 * `to_revision` for an undo without one: the revision kubectl would pick now (the one before the current).
 * Why before approval: "the previous revision" moves when the workload gets a new revision, so the approved call
 * must name a number (the issue: approved "back to 1", executed "back to 2", the crash-looping image).
 */
export async function resolveUndoRevision(deps: ToolDeps, args: { name: string; resource_type: RolloutKind; namespace?: string; to_revision?: number }, signal?: AbortSignal) {
  if (args.to_revision !== undefined) return { set: {}, notes: [] };
  assertSafeName('name', args.name);
  const namespace = namespaceOf(deps, args.namespace);
  const workload = await clients(deps).http.json<any>({ path: workloadPath(args.resource_type, namespace, args.name), signal });
  const revisions = await listRevisions(deps, args.resource_type, namespace, workload, signal);
  const current = revisions.at(-1);
  const previous = revisions.at(-2);
  if (!previous) {
    throw new ToolInputError(`${args.resource_type}.apps/${args.name} has no previous revision to roll back to.`, {
      hint: `known revisions: ${revisions.map((entry) => entry.revision).join(', ') || 'none'} (see k8s_rollout_history)`,
      code: 'NOT_FOUND',
    });
  }
  const images = templateImages(previous.template);
  return {
    set: { to_revision: previous.revision },
    notes: [`to_revision: previous → ${previous.revision}${images ? ` (image ${images})` : ''}; current revision ${current!.revision}${templateImages(current!.template) ? ` (image ${templateImages(current!.template)})` : ''}`],
  };
}

/** What a restart preview shows for kubectl's restartedAt annotation: the real value is the time of execution. */
export const RESTARTED_AT_PLACEHOLDER = '<the time of execution>';

/**
 * `kubectl rollout restart`: sets the restartedAt pod-template annotation, which starts a new rollout. A dry run
 * writes a fixed placeholder instead of the time, so previewing twice against the same state gives the same text.
 */
export async function restartRollout(
  deps: ToolDeps,
  args: { name: string; resource_type: RolloutKind; namespace?: string },
  options: { dryRun: boolean; signal?: AbortSignal; now?: () => Date },
): Promise<MutationResult> {
  assertSafeName('name', args.name);
  const namespace = namespaceOf(deps, args.namespace);
  const path = workloadPath(args.resource_type, namespace, args.name);
  const label = `${args.resource_type}.apps/${args.name}`;
  const { http } = clients(deps);
  const before = options.dryRun ? await http.json<any>({ path, signal: options.signal }) : undefined;
  const restartedAt = options.dryRun ? RESTARTED_AT_PLACEHOLDER : (options.now ?? (() => new Date()))().toISOString();
  const after = await http
    .json<any>({
      method: 'PATCH',
      path,
      query: { fieldManager: 'kubectl-rollout', ...(options.dryRun ? { dryRun: 'All' } : {}) },
      contentType: 'application/strategic-merge-patch+json',
      body: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': restartedAt } } } } },
      signal: options.signal,
    })
    // a read-only identity (issue 34) may not dry-run it; the change is one pod-template annotation, known without the server
    .catch((error: unknown) => {
      if (!(options.dryRun && error instanceof KubeApiError && error.status === 403)) throw error;
      const template = before?.spec?.template ?? {};
      const annotations = { ...(template.metadata?.annotations ?? {}), 'kubectl.kubernetes.io/restartedAt': restartedAt };
      return { ...before, spec: { ...before?.spec, template: { ...template, metadata: { ...template.metadata, annotations } } } };
    });
  return {
    summary: `${label} restarted${options.dryRun ? ' (server dry run)' : ''}`,
    before: [{ key: label, object: before }],
    after: [{ key: label, object: after }],
    // no contentHash: the real annotation is the time of execution, which no dry-run can know
    ...(options.dryRun ? { access: [accessEntry(workloadResource(args.resource_type), { namespace, name: args.name, verbs: ['patch'] })] } : {}),
  };
}
