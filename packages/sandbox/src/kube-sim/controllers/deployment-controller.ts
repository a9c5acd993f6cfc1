import type { KubeObject } from '../cluster-types.ts';
import type { WorkloadContext } from '../workloads/workload-context.ts';
import { keyOf, splitKey, type Controller } from './controller-manager.ts';
import { canonicalJson, controllerOf, controllerRef, intOrPercent, isTerminating, templateHash } from './object-helpers.ts';
import { podsOwnedBy } from './pod-template.ts';

export const revisionAnnotation = 'deployment.kubernetes.io/revision';
const hashLabel = 'pod-template-hash';
// Annotations a Deployment does not pass on to its ReplicaSets (as in the real controller).
const skippedAnnotations = new Set(['kubectl.kubernetes.io/last-applied-configuration', revisionAnnotation, 'deployment.kubernetes.io/revision-history', 'deployment.kubernetes.io/desired-replicas', 'deployment.kubernetes.io/max-replicas', 'kubernetes.io/change-cause']);

export function revisionOf(object: KubeObject): number {
  return Number(object.metadata.annotations?.[revisionAnnotation] ?? 0) || 0;
}

/** A ReplicaSet's template with the controller-added hash label removed, for comparison with the Deployment's. */
export function templateWithoutHash(template: any, label = hashLabel): any {
  const copy = structuredClone(template ?? {});
  if (copy.metadata?.labels) {
    delete copy.metadata.labels[label];
    if (Object.keys(copy.metadata.labels).length === 0) delete copy.metadata.labels;
  }
  return copy;
}

export function sameTemplate(left: any, right: any): boolean {
  return canonicalJson(left ?? {}) === canonicalJson(right ?? {});
}

/**
 * The Deployment controller: one ReplicaSet per pod template (named `<deployment>-<pod-template-hash>`),
 * RollingUpdate (maxSurge/maxUnavailable) or Recreate, revisions and history limit, pause, and the
 * Available/Progressing conditions `kubectl rollout status` reads (including ProgressDeadlineExceeded).
 */
export function createDeploymentController(context: WorkloadContext): Controller {
  const { store, events } = context.cluster;
  const lastProgress = new Map<string, number>();
  const deadlineTimers = new Map<string, () => void>();
  let controller: Controller;

  // One pending deadline check per Deployment: progress replaces it rather than piling up timers.
  function checkDeadlineAfter(deployment: KubeObject, delayMs: number): void {
    const uid = deployment.metadata.uid!;
    deadlineTimers.get(uid)?.();
    const key = keyOf(deployment.metadata.namespace, deployment.metadata.name);
    deadlineTimers.set(uid, context.timers.after(delayMs, () => {
      deadlineTimers.delete(uid);
      context.manager.enqueue(controller, key);
    }));
  }

  const deployments = () => context.types.get('apps', 'deployments');
  const replicaSets = () => context.types.get('apps', 'replicasets');

  function scale(deployment: KubeObject, replicaSet: KubeObject, replicas: number): void {
    const from = replicaSet.spec?.replicas ?? 0;
    if (from === replicas) return;
    store.mutate(replicaSets(), replicaSet.metadata.namespace, replicaSet.metadata.name!, (current) => {
      current.spec = { ...current.spec, replicas };
      current.metadata.annotations = {
        ...current.metadata.annotations,
        'deployment.kubernetes.io/desired-replicas': String(deployment.spec?.replicas ?? 1),
        'deployment.kubernetes.io/max-replicas': String((deployment.spec?.replicas ?? 1) + maxSurgeOf(deployment)),
      };
      return current;
    });
    replicaSet.spec = { ...replicaSet.spec, replicas };
    events.record(deployment, {
      reason: 'ScalingReplicaSet',
      message: `Scaled ${replicas > from ? 'up' : 'down'} replica set ${replicaSet.metadata.name} from ${from} to ${replicas}`,
      component: 'deployment-controller',
    });
  }

  function maxSurgeOf(deployment: KubeObject): number {
    if (deployment.spec?.strategy?.type === 'Recreate') return 0;
    return intOrPercent(deployment.spec?.strategy?.rollingUpdate?.maxSurge, deployment.spec?.replicas ?? 1, '25%', true);
  }

  function maxUnavailableOf(deployment: KubeObject): number {
    const replicas = deployment.spec?.replicas ?? 1;
    if (deployment.spec?.strategy?.type === 'Recreate') return 0;
    const unavailable = intOrPercent(deployment.spec?.strategy?.rollingUpdate?.maxUnavailable, replicas, '25%', false);
    if (unavailable === 0 && maxSurgeOf(deployment) === 0) return 1;
    return Math.min(unavailable, replicas);
  }

  function createNewReplicaSet(deployment: KubeObject, hash: string, revision: number): KubeObject {
    const template = structuredClone(deployment.spec.template ?? {});
    template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [hashLabel]: hash } };
    const annotations: Record<string, string> = {};
    for (const [key, value] of Object.entries(deployment.metadata.annotations ?? {})) if (!skippedAnnotations.has(key)) annotations[key] = value;
    const changeCause = deployment.metadata.annotations?.['kubernetes.io/change-cause'];
    if (changeCause) annotations['kubernetes.io/change-cause'] = changeCause;
    annotations['deployment.kubernetes.io/desired-replicas'] = String(deployment.spec?.replicas ?? 1);
    annotations['deployment.kubernetes.io/max-replicas'] = String((deployment.spec?.replicas ?? 1) + maxSurgeOf(deployment));
    annotations[revisionAnnotation] = String(revision);
    return store.create(replicaSets(), {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${deployment.metadata.name}-${hash}`,
        namespace: deployment.metadata.namespace,
        labels: { ...deployment.spec.template?.metadata?.labels, [hashLabel]: hash },
        annotations,
        ownerReferences: [controllerRef(deployment)],
      },
      spec: {
        replicas: 0,
        minReadySeconds: deployment.spec?.minReadySeconds,
        selector: { ...deployment.spec.selector, matchLabels: { ...deployment.spec.selector?.matchLabels, [hashLabel]: hash } },
        template,
      },
      status: { replicas: 0 },
    });
  }

  function rollingUpdate(deployment: KubeObject, newRS: KubeObject, olds: KubeObject[]): void {
    const replicas = deployment.spec?.replicas ?? 1;
    const maxSurge = maxSurgeOf(deployment);
    const maxUnavailable = maxUnavailableOf(deployment);
    const specReplicas = (list: KubeObject[]) => list.reduce((sum, rs) => sum + (rs.spec?.replicas ?? 0), 0);
    const newReplicas = newRS.spec?.replicas ?? 0;
    if (newReplicas > replicas) scale(deployment, newRS, replicas);
    else if (newReplicas < replicas) {
      const total = specReplicas([newRS, ...olds]);
      const room = replicas + maxSurge - total;
      if (room > 0) scale(deployment, newRS, newReplicas + Math.min(room, replicas - newReplicas));
    }
    const active = olds.filter((rs) => (rs.spec?.replicas ?? 0) > 0).sort((left, right) => revisionOf(left) - revisionOf(right));
    if (active.length === 0) return;
    const minAvailable = replicas - maxUnavailable;
    const newUnavailable = (newRS.spec?.replicas ?? 0) - (newRS.status?.availableReplicas ?? 0);
    let maxScaledDown = specReplicas([newRS, ...olds]) - minAvailable - Math.max(0, newUnavailable);
    if (maxScaledDown <= 0) return;
    // Unhealthy old replicas go first: removing them does not reduce availability.
    for (const rs of active) {
      const unhealthy = (rs.spec?.replicas ?? 0) - (rs.status?.availableReplicas ?? 0);
      if (unhealthy <= 0 || maxScaledDown <= 0) continue;
      const count = Math.min(unhealthy, maxScaledDown);
      scale(deployment, rs, (rs.spec?.replicas ?? 0) - count);
      maxScaledDown -= count;
    }
    const available = [newRS, ...olds].reduce((sum, rs) => sum + Math.min(rs.status?.availableReplicas ?? 0, rs.spec?.replicas ?? 0), 0);
    let remaining = Math.min(available - minAvailable, maxScaledDown);
    for (const rs of active) {
      if (remaining <= 0) break;
      const count = Math.min(rs.spec?.replicas ?? 0, remaining);
      if (count <= 0) continue;
      scale(deployment, rs, (rs.spec?.replicas ?? 0) - count);
      remaining -= count;
    }
  }

  function recreate(deployment: KubeObject, newRS: KubeObject, olds: KubeObject[]): void {
    for (const rs of olds) if ((rs.spec?.replicas ?? 0) > 0) scale(deployment, rs, 0);
    const oldPodsLeft = olds.some((rs) => podsOwnedBy(context, rs).length > 0);
    if (!oldPodsLeft) scale(deployment, newRS, deployment.spec?.replicas ?? 1);
  }

  function cleanupHistory(deployment: KubeObject, olds: KubeObject[]): void {
    const limit = deployment.spec?.revisionHistoryLimit ?? 10;
    const idle = olds.filter((rs) => (rs.spec?.replicas ?? 0) === 0 && (rs.status?.replicas ?? 0) === 0 && !isTerminating(rs)).sort((left, right) => revisionOf(left) - revisionOf(right));
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) store.remove(replicaSets(), rs.metadata.namespace, rs.metadata.name!);
  }

  function updateStatus(deployment: KubeObject, newRS: KubeObject | undefined, all: KubeObject[]): void {
    const uid = deployment.metadata.uid!;
    const desired = deployment.spec?.replicas ?? 1;
    const sum = (pick: (rs: KubeObject) => number | undefined) => all.reduce((total, rs) => total + (pick(rs) ?? 0), 0);
    const replicas = sum((rs) => rs.status?.replicas);
    const updated = newRS?.status?.replicas ?? 0;
    const ready = sum((rs) => rs.status?.readyReplicas);
    const available = sum((rs) => rs.status?.availableReplicas);
    const now = context.timestamp();
    const previous = deployment.status ?? {};
    const counts = { replicas, updatedReplicas: updated, readyReplicas: ready, availableReplicas: available };
    const progressed = canonicalJson(counts) !== canonicalJson({ replicas: previous.replicas ?? 0, updatedReplicas: previous.updatedReplicas ?? 0, readyReplicas: previous.readyReplicas ?? 0, availableReplicas: previous.availableReplicas ?? 0 }) || previous.observedGeneration !== deployment.metadata.generation;
    if (progressed || !lastProgress.has(uid)) lastProgress.set(uid, Date.now());

    const conditions: any[] = structuredClone(previous.conditions ?? []);
    const put = (type: string, status: string, reason: string, message: string, touch: boolean) => {
      const index = conditions.findIndex((condition) => condition.type === type);
      const old = index >= 0 ? conditions[index] : undefined;
      const changed = !old || old.status !== status || old.reason !== reason;
      const condition = {
        type,
        status,
        lastUpdateTime: changed || touch ? now : old.lastUpdateTime,
        lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now,
        reason,
        message,
      };
      if (index >= 0) conditions[index] = condition;
      else conditions.push(condition);
    };
    const minAvailable = desired - maxUnavailableOf(deployment);
    if (available >= minAvailable) put('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', false);
    else put('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', false);

    const rsName = newRS?.metadata.name ?? deployment.metadata.name;
    const complete = newRS && updated === desired && replicas === desired && available === desired;
    const progressing = conditions.find((condition) => condition.type === 'Progressing');
    const deadlineMs = context.settings().progressDeadlineMs ?? (deployment.spec?.progressDeadlineSeconds ?? 600) * 1000;
    if (deployment.spec?.paused) {
      put('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused', false);
    } else if (complete) {
      put('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`, progressing?.reason !== 'NewReplicaSetAvailable');
    } else if (progressed || !progressing || progressing.reason === 'DeploymentPaused' || progressing.reason === 'NewReplicaSetAvailable') {
      const reason = progressing?.reason === 'DeploymentPaused' ? 'DeploymentResumed' : 'ReplicaSetUpdated';
      put('Progressing', 'True', reason, reason === 'DeploymentResumed' ? 'Deployment is resumed' : `ReplicaSet "${rsName}" is progressing.`, true);
      lastProgress.set(uid, Date.now());
      checkDeadlineAfter(deployment, deadlineMs + 10);
    } else if (progressing.reason !== 'ProgressDeadlineExceeded') {
      const elapsed = Date.now() - (lastProgress.get(uid) ?? Date.now());
      if (elapsed >= deadlineMs) put('Progressing', 'False', 'ProgressDeadlineExceeded', `ReplicaSet "${rsName}" has timed out progressing.`, true);
      else checkDeadlineAfter(deployment, deadlineMs - elapsed + 10);
    }
    conditions.sort((left, right) => (left.type === 'Available' ? -1 : right.type === 'Available' ? 1 : 0));

    const status: Record<string, unknown> = {
      observedGeneration: deployment.metadata.generation ?? 1,
      replicas,
      updatedReplicas: updated,
      readyReplicas: ready,
      availableReplicas: available,
      unavailableReplicas: Math.max(0, desired - available),
      conditions,
      ...(previous.collisionCount !== undefined ? { collisionCount: previous.collisionCount } : {}),
    };
    for (const field of ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas']) if (!status[field]) delete status[field];
    const revision = newRS ? String(revisionOf(newRS)) : deployment.metadata.annotations?.[revisionAnnotation];
    store.mutate(deployments(), deployment.metadata.namespace, deployment.metadata.name!, (current) => {
      if (current.metadata.uid !== uid) return undefined;
      const sameStatus = canonicalJson(current.status ?? {}) === canonicalJson(status);
      const sameRevision = !revision || current.metadata.annotations?.[revisionAnnotation] === revision;
      if (sameStatus && sameRevision) return undefined;
      current.status = status;
      if (revision) current.metadata.annotations = { ...current.metadata.annotations, [revisionAnnotation]: revision };
      return current;
    });
  }

  controller = {
    name: 'deployment-controller',
    keysFor(change) {
      // Like the real controller's deletePod handler: a Recreate rollout waits for the old pods to be gone, and
      // only a pod's deletion says when that is (the ReplicaSet reached 0 replicas earlier).
      if (change.type === 'DELETED' && change.resource.group === '' && change.resource.resource === 'pods') {
        const replicaSetRef = controllerOf(change.object);
        if (replicaSetRef?.kind !== 'ReplicaSet') return [];
        const replicaSet = store.get(replicaSets(), change.object.metadata.namespace, replicaSetRef.name);
        const owner = replicaSet && controllerOf(replicaSet);
        return owner?.kind === 'Deployment' ? [keyOf(change.object.metadata.namespace, owner.name)] : [];
      }
      if (change.resource.group !== 'apps') return [];
      if (change.resource.resource === 'deployments') return [keyOf(change.object.metadata.namespace, change.object.metadata.name)];
      if (change.resource.resource !== 'replicasets') return [];
      const owner = controllerOf(change.object);
      return owner?.kind === 'Deployment' ? [keyOf(change.object.metadata.namespace, owner.name)] : [];
    },
    reconcile(key) {
      const { namespace, name } = splitKey(key);
      const deployment = store.get(deployments(), namespace, name);
      if (!deployment) return;
      if (isTerminating(deployment) || !deployment.spec?.template) return;
      const owned = store.ownedBy(replicaSets(), deployment.metadata.uid!).filter((rs) => controllerOf(rs)?.uid === deployment.metadata.uid && !isTerminating(rs));
      const template = deployment.spec.template;
      const hash = templateHash(template, deployment.status?.collisionCount);
      let newRS = owned.find((rs) => rs.metadata.labels?.[hashLabel] === hash) ?? owned.find((rs) => sameTemplate(templateWithoutHash(rs.spec?.template), template));
      const olds = owned.filter((rs) => rs !== newRS);
      const maxRevision = owned.reduce((max, rs) => Math.max(max, revisionOf(rs)), 0);
      if (!newRS && !deployment.spec.paused) {
        newRS = createNewReplicaSet(deployment, hash, maxRevision + 1);
      } else if (newRS && !deployment.spec.paused) {
        const revision = revisionOf(newRS);
        const changeCause = deployment.metadata.annotations?.['kubernetes.io/change-cause'];
        const needsRevision = revision < maxRevision;
        const needsCause = changeCause !== undefined && newRS.metadata.annotations?.['kubernetes.io/change-cause'] !== changeCause;
        if (needsRevision || needsCause) {
          // Rolling back to an old template makes its ReplicaSet the newest revision again (kubectl rollout undo).
          newRS = store.mutate(replicaSets(), namespace, newRS.metadata.name!, (current) => {
            const annotations = { ...current.metadata.annotations };
            if (needsRevision) {
              const history = annotations['deployment.kubernetes.io/revision-history'];
              annotations['deployment.kubernetes.io/revision-history'] = history ? `${history},${revision}` : String(revision);
              annotations[revisionAnnotation] = String(maxRevision + 1);
            }
            if (needsCause) annotations['kubernetes.io/change-cause'] = changeCause!;
            current.metadata.annotations = annotations;
            return current;
          }) ?? newRS;
        }
      }
      if (newRS && !deployment.spec.paused) {
        if (deployment.spec.strategy?.type === 'Recreate') recreate(deployment, newRS, olds);
        else rollingUpdate(deployment, newRS, olds);
        cleanupHistory(deployment, olds);
      } else if (newRS && deployment.spec.paused && olds.every((rs) => (rs.spec?.replicas ?? 0) === 0)) {
        // Paused deployments still scale (kubectl scale on a paused deployment).
        scale(deployment, newRS, deployment.spec.replicas ?? 1);
      }
      const all = store.ownedBy(replicaSets(), deployment.metadata.uid!).filter((rs) => controllerOf(rs)?.uid === deployment.metadata.uid);
      const currentNew = newRS ? all.find((rs) => rs.metadata.name === newRS!.metadata.name) : undefined;
      updateStatus(deployment, currentNew, all);
    },
  };
  return controller;
}
