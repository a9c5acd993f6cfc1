/**
 * Verifies a workload after a change: the rollout reaches its desired state, the pods of the new revision do not
 * crash-loop / fail to pull / get OOMKilled / stay Pending, no new settled Warning events appear, and the changed
 * fields (replicas, images) still read back as intended — a controller that sets them back is caught.
 */
import type { VerificationEvidence } from '@skyflo/protocol';
import { rolloutState as kubeRolloutState, type RolloutKind } from '../tools/kubectl/rollouts.ts';
import { rolloutState as argoRolloutState } from '../tools/argo/rollout-view.ts';
import { pending, type Check, type CheckState } from './check-types.ts';
import { eventLine, eventTime, isPending, isPodReady, isSettledWarning, isWarning, podLine, podProblem } from './pod-health.ts';
import { nameRevertingController } from './revert-controller.ts';
import { defaultHpaSyncPeriodSeconds, findReplicaOwner, ownsReplicas, predictReplicaOwner, type ReplicaOwner } from '../kube/replica-owner.ts';
import type { WatchSession } from './watch-session.ts';
import type { KubeHttp } from '../kube/create-kube-http.ts';

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Rollout';

export interface WorkloadExpectations {
  /** spec.replicas the call set */
  replicas?: number;
  /** container → image the call set ('*' = every container) */
  images?: Record<string, string>;
  /** only pods created after the change count as new (a scale: the existing pods were there before) */
  onlyPodsCreatedAfterChange?: boolean;
}

const paths: Record<WorkloadKind, (namespace: string) => string> = {
  Deployment: (namespace) => `/apis/apps/v1/namespaces/${namespace}/deployments`,
  StatefulSet: (namespace) => `/apis/apps/v1/namespaces/${namespace}/statefulsets`,
  DaemonSet: (namespace) => `/apis/apps/v1/namespaces/${namespace}/daemonsets`,
  Rollout: (namespace) => `/apis/argoproj.io/v1alpha1/namespaces/${namespace}/rollouts`,
};

export function workloadKindOf(kind: string | undefined): WorkloadKind | undefined {
  return (['Deployment', 'StatefulSet', 'DaemonSet', 'Rollout'] as const).find((candidate) => candidate === kind);
}

function selectorOf(workload: Record<string, any>): string | undefined {
  const labels = Object.entries(workload.spec?.selector?.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  return labels.length ? labels.join(',') : undefined;
}

function templateImages(workload: Record<string, any>): Array<{ name: string; image: string }> {
  const spec = workload.spec?.template?.spec ?? {};
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])].map((container: any) => ({ name: container.name, image: container.image }));
}

export function createWorkloadCheck(options: {
  http: KubeHttp;
  kind: WorkloadKind;
  namespace: string;
  name: string;
  expect?: WorkloadExpectations;
  /** when the change ran (ms since epoch): older Warning events are not news */
  changedAt: number;
  /** the sync period of an HPA owning the replicas the call set (seconds; default 15, as kube-controller-manager's) */
  hpaSyncSeconds?: number;
}): Check {
  const { kind, namespace, name } = options;
  const expect = options.expect ?? {};
  const label = `${kind.toLowerCase()} ${namespace}/${name}`;
  const key = (what: string) => `${label}:${what}`;
  let session: WatchSession;
  let revertedField: string | undefined;
  let selectorMissing = false;
  /** an HPA targeting the workload, when the call set its replicas (issue 31: it, not the call, has the last word) */
  let replicaOwner: ReplicaOwner | undefined;

  const workload = () => session.items(key('workload'))[0];

  /** The intended fields that no longer read back, e.g. "spec.replicas 3 (set to 5)". */
  function drift(object: Record<string, any>): string[] {
    const lines: string[] = [];
    if (expect.replicas !== undefined && (object.spec?.replicas ?? 1) !== expect.replicas) lines.push(`spec.replicas is ${object.spec?.replicas ?? 1} (set to ${expect.replicas})`);
    for (const [container, image] of Object.entries(expect.images ?? {})) {
      for (const current of templateImages(object)) {
        if ((container === '*' || current.name === container) && current.image !== image) lines.push(`container ${current.name} image is ${current.image} (set to ${image})`);
      }
    }
    return lines;
  }

  function newPods(object: Record<string, any>): Record<string, any>[] {
    const pods = session.items(key('pods')).filter((pod) => !pod.metadata?.deletionTimestamp);
    let selected: Record<string, any>[];
    if (kind === 'Deployment') {
      const revision = object.metadata?.annotations?.['deployment.kubernetes.io/revision'];
      const replicaSet = session.items(key('replicasets')).find(
        (candidate) => candidate.metadata?.annotations?.['deployment.kubernetes.io/revision'] === revision && (candidate.metadata?.ownerReferences ?? []).some((owner: any) => owner.uid === object.metadata?.uid),
      );
      selected = replicaSet ? pods.filter((pod) => (pod.metadata?.ownerReferences ?? []).some((owner: any) => owner.uid === replicaSet.metadata?.uid)) : [];
    } else if (kind === 'StatefulSet') {
      selected = pods.filter((pod) => pod.metadata?.labels?.['controller-revision-hash'] === object.status?.updateRevision);
    } else if (kind === 'Rollout') {
      selected = pods.filter((pod) => pod.metadata?.labels?.['rollouts-pod-template-hash'] === object.status?.currentPodHash);
    } else {
      const images = JSON.stringify(templateImages(object).map((entry) => entry.image).sort());
      selected = pods.filter((pod) => JSON.stringify([...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((container: any) => container.image).sort()) === images);
    }
    if (expect.onlyPodsCreatedAfterChange) selected = selected.filter((pod) => Date.parse(pod.metadata?.creationTimestamp ?? '') >= options.changedAt - 1000);
    return selected;
  }

  /** Warning events about the workload, its ReplicaSets or the new pods, since the change. */
  function warnings(object: Record<string, any>, pods: Record<string, any>[]): Record<string, any>[] {
    const podNames = new Set(pods.map((pod) => pod.metadata?.name));
    const podUids = new Set(pods.map((pod) => pod.metadata?.uid));
    const ownNames = new Set([name, ...session.items(key('replicasets')).filter((replicaSet) => (replicaSet.metadata?.ownerReferences ?? []).some((owner: any) => owner.uid === object.metadata?.uid)).map((replicaSet) => replicaSet.metadata?.name)]);
    return session
      .items(key('events'))
      .filter(isWarning)
      .filter((event) => {
        const involved = event.involvedObject ?? event.regarding ?? {};
        if (involved.kind === 'Pod') return podUids.has(involved.uid) || (podNames.has(involved.name) && eventTime(event) >= options.changedAt - 1000);
        return ownNames.has(involved.name) && ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Rollout'].includes(involved.kind) && eventTime(event) >= options.changedAt - 1000;
      })
      .sort((a, b) => eventTime(a) - eventTime(b));
  }

  function evidenceOf(pods: Record<string, any>[], events: Record<string, any>[], extra: VerificationEvidence[] = []): VerificationEvidence[] {
    const evidence: VerificationEvidence[] = [...extra];
    if (pods.length > 0) evidence.push({ read: `pods -n ${namespace} (new revision of ${kind.toLowerCase()} ${name})`, text: pods.slice(0, 10).map(podLine).join('\n') });
    if (events.length > 0) evidence.push({ read: `warning events for ${kind.toLowerCase()} ${namespace}/${name} and its pods`, text: events.slice(-10).map(eventLine).join('\n') });
    return evidence;
  }

  /** Rollout progress: done, still going (with kubectl's message), or failed for good. */
  function progress(object: Record<string, any>): { done: boolean; failed?: boolean; message: string } {
    if (kind === 'Rollout') {
      const state = argoRolloutState(object as any);
      if (state.phase === 'Degraded') return { done: false, failed: true, message: `rollout is Degraded${state.message ? `: ${state.message}` : ''}` };
      // A canary paused at a step is where the change should be: the promotion is a decision of its own.
      return { done: state.phase === 'Healthy' || state.phase === 'Paused', message: `phase ${state.phase}${state.message ? ` (${state.message})` : ''}` };
    }
    try {
      return kubeRolloutState(kind.toLowerCase() as RolloutKind, object);
    } catch (error) {
      return { done: false, failed: true, message: (error as Error).message };
    }
  }

  function readyLine(object: Record<string, any>, pods: Record<string, any>[]): string {
    const images = [...new Set(templateImages(object).map((entry) => entry.image))].join(', ');
    if (kind === 'DaemonSet') return `${object.status?.numberReady ?? 0}/${object.status?.desiredNumberScheduled ?? 0} pods of ${label} ready on ${images}`;
    const desired = object.spec?.replicas ?? 1;
    const ready = kind === 'Deployment' ? (object.status?.availableReplicas ?? pods.filter(isPodReady).length) : (object.status?.readyReplicas ?? object.status?.availableReplicas ?? 0);
    return `${ready}/${desired} replicas of ${label} ready on ${images}`;
  }

  function evaluate(): CheckState {
    const object = workload();
    if (!object) {
      if (session.deleted(key('workload')).size > 0) return { status: 'regressed', summary: `${label} was deleted`, evidence: [] };
      return pending(`waiting for ${label}`);
    }
    // The HPA's min/max make its next sync predictable: a count outside them is set back, so say so now rather
    // than `verified` after a hold shorter than its sync period.
    const predicted = replicaOwner && expect.replicas !== undefined ? predictReplicaOwner(replicaOwner, expect.replicas) : undefined;
    if (replicaOwner && predicted) {
      const text = `${replicaOwner.controller} keeps replicas between ${replicaOwner.minReplicas} and ${replicaOwner.maxReplicas}`;
      return {
        status: 'reverted',
        predicted: true,
        controller: replicaOwner.controller,
        summary: `will set ${label} back to ${predicted.replicas} replicas at its next sync (every ${replicaOwner.syncSeconds} s): ${predicted.why}`,
        evidence: [{ read: `horizontalpodautoscaler ${replicaOwner.controller.replace(/^HorizontalPodAutoscaler /, '')}`, text: `${text}; the call set ${expect.replicas}` }],
      };
    }
    if (selectorMissing) return { status: 'ok', summary: `${label} has no label selector; only its fields were checked`, evidence: [] };
    const changed = drift(object);
    if (changed.length > 0) {
      revertedField = changed[0];
      return { status: 'reverted', summary: `${label}: ${changed.join('; ')}`, evidence: [{ read: `${kind.toLowerCase()} ${namespace}/${name}`, text: changed.join('\n') }] };
    }
    const pods = newPods(object);
    const events = warnings(object, pods);
    const problems = pods.map(podProblem).filter((problem) => problem !== undefined);
    if (problems.length > 0) {
      const reasons = [...new Set(problems.map((problem) => problem.reason))].join(', ');
      return { status: 'regressed', summary: `${problems.length} new pod(s) of ${label}: ${reasons}`, evidence: evidenceOf(pods.filter((pod) => podProblem(pod)), events) };
    }
    const settled = events.filter(isSettledWarning);
    if (settled.length > 0) return { status: 'regressed', summary: `${label}: ${settled.at(-1)!.reason}: ${String(settled.at(-1)!.message ?? '').slice(0, 160)}`, evidence: evidenceOf(pods, events) };
    const state = progress(object);
    if (state.failed) {
      const stuck = pods.filter(isPending);
      return { status: stuck.length > 0 ? 'regressed' : 'pending', summary: stuck.length > 0 ? `${stuck.length} new pod(s) of ${label} stayed Pending (${state.message})` : state.message, evidence: evidenceOf(pods, events) };
    }
    if (!state.done) return pending(state.message, evidenceOf(pods, events));
    return { status: 'ok', summary: readyLine(object, pods), evidence: [{ read: `${kind.toLowerCase()} ${namespace}/${name}`, text: `${state.message}\n${readyLine(object, pods)}` }] };
  }

  return {
    label,
    async start(watchSession, signal) {
      session = watchSession;
      const object = await options.http.json<Record<string, any>>({ path: `${paths[kind](namespace)}/${name}`, signal });
      const selector = selectorOf(object);
      selectorMissing = !selector;
      if (expect.replicas !== undefined) {
        const owner = await findReplicaOwner({ http: options.http, kind, namespace, name, syncSeconds: options.hpaSyncSeconds ?? defaultHpaSyncPeriodSeconds, signal });
        replicaOwner = owner && ownsReplicas(owner, expect.replicas) ? owner : undefined;
      }
      const opened = [session.watch(key('workload'), paths[kind](namespace), { fieldSelector: `metadata.name=${name}` })];
      if (selector) {
        opened.push(session.watch(key('pods'), `/api/v1/namespaces/${namespace}/pods`, { labelSelector: selector }));
        if (kind === 'Deployment' || kind === 'Rollout') opened.push(session.watch(key('replicasets'), `/apis/apps/v1/namespaces/${namespace}/replicasets`, { labelSelector: selector }));
        opened.push(session.watch(key('events'), `/api/v1/namespaces/${namespace}/events`, { fieldSelector: 'type=Warning' }));
      }
      await Promise.all(opened);
    },
    evaluate,
    atDeadline() {
      const state = evaluate();
      if (state.status !== 'pending') return state;
      const object = workload();
      const pods = object ? newPods(object) : [];
      const stuck = pods.filter(isPending);
      if (stuck.length > 0) return { status: 'regressed', summary: `${stuck.length} new pod(s) of ${label} stayed Pending`, evidence: state.evidence.length ? state.evidence : evidenceOf(pods, []) };
      return state;
    },
    minimumHold() {
      // inside the HPA's range its metrics still decide: the count must hold through one of its syncs
      return replicaOwner ? { seconds: replicaOwner.syncSeconds, why: `${replicaOwner.controller} owns spec.replicas and syncs every ${replicaOwner.syncSeconds} s` } : undefined;
    },
    deadlineSeconds() {
      const seconds = workload()?.spec?.progressDeadlineSeconds;
      return typeof seconds === 'number' && seconds > 0 ? seconds : undefined;
    },
    async explainRevert(signal) {
      const object = workload();
      if (!object) return undefined;
      return nameRevertingController({ http: options.http, object, kind, namespace, name, field: revertedField?.startsWith('spec.replicas') ? 'replicas' : 'template', signal });
    },
  };
}
