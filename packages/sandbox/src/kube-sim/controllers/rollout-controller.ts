import type { KubeObject } from '../cluster-types.ts';
import type { WorkloadContext } from '../workloads/workload-context.ts';
import { keyOf, splitKey, type Controller } from './controller-manager.ts';
import { canonicalJson, controllerOf, controllerRef, isTerminating, templateHash } from './object-helpers.ts';
import { deletePodGracefully, podsOwnedBy } from './pod-template.ts';
import { sameTemplate, templateWithoutHash } from './deployment-controller.ts';

export const rolloutRevisionAnnotation = 'rollout.argoproj.io/revision';
const hashLabel = 'rollouts-pod-template-hash';

const revisionOf = (object: KubeObject) => Number(object.metadata.annotations?.[rolloutRevisionAnnotation] ?? 0) || 0;

/**
 * A basic Argo Rollouts controller (argoproj.io/v1alpha1 Rollout, canary strategy): ReplicaSets per pod
 * template with `rollouts-pod-template-hash`, setWeight steps by replica count, timed and indefinite
 * pauses, promote / promoteFull / abort / retry / pause / restartAt, and the status fields the
 * kubectl-argo-rollouts plugin reads. BlueGreen rollouts are promoted at once.
 */
export function createRolloutController(context: WorkloadContext): Controller {
  const { store, events } = context.cluster;
  let controller: Controller;
  const rollouts = () => context.types.find('argoproj.io', 'rollouts');
  const replicaSets = () => context.types.get('apps', 'replicasets');

  function scale(rollout: KubeObject, replicaSet: KubeObject | undefined, replicas: number): void {
    if (!replicaSet || (replicaSet.spec?.replicas ?? 0) === replicas) return;
    const from = replicaSet.spec?.replicas ?? 0;
    store.mutate(replicaSets(), replicaSet.metadata.namespace, replicaSet.metadata.name!, (current) => {
      current.spec = { ...current.spec, replicas };
      return current;
    });
    replicaSet.spec = { ...replicaSet.spec, replicas };
    events.record(rollout, { reason: 'ScalingReplicaSet', message: `Scaled ${replicas > from ? 'up' : 'down'} ReplicaSet ${replicaSet.metadata.name} (revision ${revisionOf(replicaSet)}) from ${from} to ${replicas}`, component: 'rollouts-controller' });
  }

  function ensureReplicaSet(rollout: KubeObject, owned: KubeObject[], hash: string): KubeObject {
    const template = rollout.spec.template;
    const maxRevision = owned.reduce((max, rs) => Math.max(max, revisionOf(rs)), 0);
    const existing = owned.find((rs) => rs.metadata.labels?.[hashLabel] === hash) ?? owned.find((rs) => sameTemplate(templateWithoutHash(rs.spec?.template, hashLabel), template));
    if (existing) {
      if (revisionOf(existing) < maxRevision) {
        return store.mutate(replicaSets(), existing.metadata.namespace, existing.metadata.name!, (current) => {
          current.metadata.annotations = { ...current.metadata.annotations, [rolloutRevisionAnnotation]: String(maxRevision + 1) };
          return current;
        }) ?? existing;
      }
      return existing;
    }
    const podTemplate = structuredClone(template);
    podTemplate.metadata = { ...podTemplate.metadata, labels: { ...podTemplate.metadata?.labels, [hashLabel]: hash } };
    return store.create(replicaSets(), {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${rollout.metadata.name}-${hash}`,
        namespace: rollout.metadata.namespace,
        labels: { ...template.metadata?.labels, [hashLabel]: hash },
        annotations: { [rolloutRevisionAnnotation]: String(maxRevision + 1), 'rollout.argoproj.io/desired-replicas': String(rollout.spec.replicas ?? 1) },
        ownerReferences: [controllerRef(rollout)],
      },
      spec: { replicas: 0, selector: { matchLabels: { ...rollout.spec.selector?.matchLabels, [hashLabel]: hash } }, template: podTemplate },
      status: { replicas: 0 },
    });
  }

  function restartPods(rollout: KubeObject, owned: KubeObject[]): void {
    const restartAt = rollout.spec?.restartAt ? Date.parse(rollout.spec.restartAt) : Number.NaN;
    if (Number.isNaN(restartAt) || restartAt > context.now().getTime() + 1000) return;
    const pods = owned.flatMap((rs) => podsOwnedBy(context, rs));
    if (pods.some(isTerminating)) return;
    // One pod at a time, oldest first, like the rollout's pod restarter with maxUnavailable 1.
    const stale = pods.filter((pod) => Date.parse(String(pod.metadata.creationTimestamp)) < restartAt - 999);
    if (stale[0]) deletePodGracefully(context, stale[0]);
  }

  controller = {
    name: 'rollouts-controller',
    keysFor(change) {
      if (change.resource.group === 'argoproj.io' && change.resource.resource === 'rollouts') return [keyOf(change.object.metadata.namespace, change.object.metadata.name)];
      if (change.resource.group === 'apps' && change.resource.resource === 'replicasets') {
        const owner = controllerOf(change.object);
        return owner?.kind === 'Rollout' ? [keyOf(change.object.metadata.namespace, owner.name)] : [];
      }
      return [];
    },
    reconcile(key) {
      const type = rollouts();
      if (!type) return;
      const { namespace, name } = splitKey(key);
      const rollout = store.get(type, namespace, name);
      if (!rollout || isTerminating(rollout) || !rollout.spec?.template) return;
      const replicas = rollout.spec.replicas ?? 1;
      const steps: any[] = rollout.spec.strategy?.canary?.steps ?? [];
      const status: any = structuredClone(rollout.status ?? {});
      const now = context.timestamp();
      const owned = () => store.ownedBy(replicaSets(), rollout.metadata.uid!).filter((rs) => controllerOf(rs)?.uid === rollout.metadata.uid && !isTerminating(rs));
      const hash = templateHash(rollout.spec.template);
      const current = ensureReplicaSet(rollout, owned(), hash);
      const all = owned();
      const currentHash = current.metadata.labels?.[hashLabel] ?? hash;
      const revision = revisionOf(current);

      if (status.currentPodHash !== currentHash) {
        // A new template (update, undo or first deploy) starts the steps again.
        status.currentPodHash = currentHash;
        status.currentStepIndex = 0;
        status.abort = undefined;
        status.abortedAt = undefined;
        status.pauseConditions = undefined;
        status.controllerPause = undefined;
        status.promoteFull = undefined;
        if (!status.stableRS) status.stableRS = currentHash;
      }
      const stable = all.find((rs) => rs.metadata.labels?.[hashLabel] === status.stableRS);
      let pauseConditions: any[] = status.pauseConditions ?? [];
      if (rollout.spec.paused && !pauseConditions.some((condition) => condition.reason === 'PausedRollout')) pauseConditions = [...pauseConditions, { reason: 'PausedRollout', startTime: now }];
      if (!rollout.spec.paused) pauseConditions = pauseConditions.filter((condition) => condition.reason !== 'PausedRollout');
      let index: number = Math.min(status.currentStepIndex ?? 0, steps.length);
      if (status.promoteFull || rollout.spec.strategy?.blueGreen) {
        index = steps.length;
        pauseConditions = [];
        status.controllerPause = undefined;
      }
      // The weight in force is the last setWeight before the current step.
      let weight = steps.slice(0, index).reduce((last, step) => (step.setWeight !== undefined ? step.setWeight : last), 0);
      if (index >= steps.length) weight = 100;
      const updating = currentHash !== status.stableRS;
      const available = (rs: KubeObject | undefined) => rs?.status?.availableReplicas ?? 0;

      if (updating && status.abort) {
        scale(rollout, current, 0);
        scale(rollout, stable, replicas);
        weight = 0;
        status.abortedAt ??= now;
      } else if (updating && !rollout.spec.paused) {
        while (index < steps.length) {
          const step = steps[index];
          if (step.setWeight !== undefined) {
            weight = step.setWeight;
            const canary = Math.min(replicas, Math.ceil((replicas * weight) / 100));
            scale(rollout, current, canary);
            scale(rollout, stable, Math.max(replicas - canary, 0));
            if (available(current) < canary) break;
            index++;
          } else if (step.pause !== undefined) {
            const stepPause = pauseConditions.find((condition) => condition.reason === 'CanaryPauseStep');
            if (!status.controllerPause) {
              pauseConditions = [...pauseConditions, { reason: 'CanaryPauseStep', startTime: now }];
              status.controllerPause = true;
              if (step.pause.duration !== undefined) context.manager.enqueueAfter(controller, key, durationMs(step.pause.duration) + 5);
              break;
            }
            const elapsed = stepPause ? context.now().getTime() - Date.parse(stepPause.startTime) : Number.POSITIVE_INFINITY;
            if (stepPause && (step.pause.duration === undefined || elapsed < durationMs(step.pause.duration))) {
              if (step.pause.duration !== undefined) context.manager.enqueueAfter(controller, key, durationMs(step.pause.duration) - elapsed + 5);
              break;
            }
            // Promoted (pause condition cleared) or the pause's duration has passed.
            pauseConditions = pauseConditions.filter((condition) => condition.reason !== 'CanaryPauseStep');
            status.controllerPause = undefined;
            index++;
          } else {
            // analysis, experiment and traffic steps are accepted and pass immediately.
            index++;
          }
        }
        if (index >= steps.length) {
          weight = 100;
          scale(rollout, current, replicas);
          if (available(current) >= replicas) {
            status.stableRS = currentHash;
            for (const rs of all) if (rs.metadata.name !== current.metadata.name) scale(rollout, rs, 0);
          }
        }
      } else if (!updating) {
        scale(rollout, current, replicas);
        for (const rs of all) if (rs.metadata.name !== current.metadata.name && (rs.spec?.replicas ?? 0) > 0) scale(rollout, rs, 0);
        index = steps.length;
      }
      restartPods(rollout, all);

      const fresh = owned();
      const sum = (pick: (rs: KubeObject) => number | undefined) => fresh.reduce((total, rs) => total + (pick(rs) ?? 0), 0);
      const currentFresh = fresh.find((rs) => rs.metadata.name === current.metadata.name);
      const totals = { replicas: sum((rs) => rs.status?.replicas), ready: sum((rs) => rs.status?.readyReplicas), available: sum((rs) => rs.status?.availableReplicas) };
      const updated = currentFresh?.status?.replicas ?? 0;
      const stableNow = status.stableRS === currentHash;
      let phase: string;
      let message = '';
      if (status.abort && !stableNow) {
        phase = 'Degraded';
        message = `RolloutAborted: Rollout aborted update to revision ${revision}`;
      } else if (pauseConditions.length > 0) {
        phase = 'Paused';
        message = pauseConditions.map((condition) => condition.reason).join(', ');
      } else if (!stableNow || updated < replicas || totals.available < replicas || totals.replicas > replicas) {
        phase = 'Progressing';
        message = updated < replicas ? 'more replicas need to be updated' : totals.available < replicas ? 'updated replicas are still becoming available' : 'old replicas are pending termination';
      } else {
        phase = 'Healthy';
      }
      const selector = Object.entries(rollout.spec.selector?.matchLabels ?? {}).map(([label, value]) => `${label}=${value}`).join(',');
      const condition = (type: string, value: boolean, reason: string, text: string) => {
        const previous = (rollout.status?.conditions ?? []).find((candidate: any) => candidate.type === type);
        const statusText = value ? 'True' : 'False';
        return { type, status: statusText, reason, message: text, lastUpdateTime: previous?.status === statusText && previous?.reason === reason ? previous.lastUpdateTime : now, lastTransitionTime: previous?.status === statusText ? previous.lastTransitionTime : now };
      };
      const next: any = JSON.parse(JSON.stringify({
        ...status,
        phase,
        message: message || undefined,
        observedGeneration: String(rollout.metadata.generation ?? 1),
        replicas: totals.replicas,
        updatedReplicas: updated,
        readyReplicas: totals.ready,
        availableReplicas: totals.available,
        HPAReplicas: totals.replicas,
        selector,
        currentPodHash: currentHash,
        currentStepHash: steps.length ? templateHash(steps) : undefined,
        currentStepIndex: steps.length ? index : undefined,
        pauseConditions: pauseConditions.length ? pauseConditions : undefined,
        controllerPause: status.controllerPause || undefined,
        promoteFull: undefined,
        canary: { weights: { canary: { podTemplateHash: currentHash, weight: stableNow ? 0 : weight }, stable: { podTemplateHash: status.stableRS, weight: stableNow ? 100 : 100 - weight } } },
        conditions: [
          condition('Available', totals.available >= replicas, totals.available >= replicas ? 'AvailableReason' : 'AvailableReason', totals.available >= replicas ? 'Rollout has minimum availability' : 'Rollout does not have minimum availability'),
          condition('Progressing', phase !== 'Degraded', phase === 'Degraded' ? 'RolloutAborted' : phase === 'Paused' ? 'RolloutPaused' : phase === 'Healthy' ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated', phase === 'Degraded' ? message : phase === 'Healthy' ? `ReplicaSet "${current.metadata.name}" has successfully progressed.` : `ReplicaSet "${current.metadata.name}" is progressing.`),
          condition('Healthy', phase === 'Healthy', phase === 'Healthy' ? 'RolloutHealthy' : 'RolloutHealthy', phase === 'Healthy' ? 'Rollout is healthy' : 'Rollout is not healthy'),
          condition('Paused', pauseConditions.length > 0, pauseConditions.length ? 'RolloutPaused' : 'RolloutResumed', pauseConditions.length ? 'Rollout is paused' : 'Rollout is resumed'),
        ],
        restartedAt: rollout.spec.restartAt,
      }));
      store.mutate(type, namespace, name, (latest) => {
        if (latest.metadata.uid !== rollout.metadata.uid) return undefined;
        const sameStatus = canonicalJson(latest.status ?? {}) === canonicalJson(next);
        const sameRevision = latest.metadata.annotations?.[rolloutRevisionAnnotation] === String(revision);
        if (sameStatus && sameRevision) return undefined;
        latest.status = next;
        latest.metadata.annotations = { ...latest.metadata.annotations, [rolloutRevisionAnnotation]: String(revision) };
        return latest;
      });
    },
  };
  return controller;
}

/** Argo pause durations: a number of seconds, or a string such as `30s`, `5m`, `1h`. */
export function durationMs(duration: unknown): number {
  if (typeof duration === 'number') return duration * 1000;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(duration));
  if (!match) return 0;
  const value = Number(match[1]);
  const unit = match[2] ?? 's';
  return value * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000);
}
