import type { KubeObject, ResourceType, SimulationSettings } from '../cluster-types.ts';
import type { SimResourceRegistry } from '../resources/resource-registry.ts';
import type { SimObjectStore } from './object-store.ts';

/** core/v1 PodSpec.terminationGracePeriodSeconds when nobody set it. */
export const defaultPodGraceSeconds = 30;
const defaultTerminationDelayMs = 200;

export function isPodResource(resource: ResourceType): boolean {
  return resource.group === '' && resource.resource === 'pods';
}

/**
 * The grace period a DELETE gives a pod, as the API server's pod strategy decides it: the requested
 * gracePeriodSeconds, else the pod's terminationGracePeriodSeconds; 0 for a pod that never reached a node
 * or already finished (nothing to stop); a negative request counts as 1.
 */
export function podGracePeriod(pod: KubeObject, requested: number | undefined): number {
  let period = requested ?? Number(pod.spec?.terminationGracePeriodSeconds ?? defaultPodGraceSeconds);
  if (!pod.spec?.nodeName) period = 0;
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') period = 0;
  return period < 0 ? 1 : period;
}

/** The store's grace-period hook: pods get podGracePeriod, everything else is deleted at once. */
export function gracePeriodForDelete(resource: ResourceType, object: KubeObject, requested: number | undefined): number {
  return isPodResource(resource) ? podGracePeriod(object, requested) : 0;
}

/**
 * How long a pod with this grace period stays Terminating here: the default 30 s maps to
 * settings.terminationDelayMs (200 ms unless set), other periods in proportion, so tests stay fast.
 */
export function terminationDelayMs(graceSeconds: number, settings: Pick<SimulationSettings, 'terminationDelayMs'>): number {
  const scaled = ((settings.terminationDelayMs ?? defaultTerminationDelayMs) * graceSeconds) / defaultPodGraceSeconds;
  return Math.min(graceSeconds * 1000, scaled);
}

/**
 * The end of graceful pod deletion. A real kubelet stops the containers and then deletes the pod with
 * grace 0; here a server-side queue does that final delete when the scaled grace period ends, whether or
 * not a simulated kubelet runs the pod. Why not a finalizer: it would show in `kubectl get pod -o yaml`,
 * and a pod bound to a node nobody runs would then never go away.
 */
export function startPodTermination(store: SimObjectStore, registry: SimResourceRegistry, settings: () => SimulationSettings): () => void {
  const pending = new Map<string, { graceSeconds: number; handle: NodeJS.Timeout }>();
  let stopped = false;

  function finish(pod: KubeObject): void {
    pending.delete(pod.metadata.uid!);
    if (stopped) return;
    const pods = registry.byResource('', 'pods')!;
    const current = store.getShared(pods, pod.metadata.namespace, pod.metadata.name!);
    if (!current || current.metadata.uid !== pod.metadata.uid) return;
    if (current.metadata.finalizers?.length) {
      // The grace period is over, but finalizers still hold the pod: the last one to go removes it.
      store.mutate(pods, pod.metadata.namespace, pod.metadata.name!, (latest) => {
        if (latest.metadata.uid !== pod.metadata.uid) return undefined;
        latest.metadata.deletionGracePeriodSeconds = 0;
        return latest;
      });
      return;
    }
    store.remove(pods, pod.metadata.namespace, pod.metadata.name!);
  }

  const unsubscribe = store.subscribe((change) => {
    if (!isPodResource(change.resource)) return;
    const uid = change.object.metadata.uid!;
    const scheduled = pending.get(uid);
    if (change.type === 'DELETED') {
      if (scheduled) clearTimeout(scheduled.handle);
      pending.delete(uid);
      return;
    }
    const graceSeconds = Number(change.object.metadata.deletionGracePeriodSeconds ?? 0);
    if (!change.object.metadata.deletionTimestamp || graceSeconds <= 0) return;
    if (scheduled && scheduled.graceSeconds <= graceSeconds) return;
    if (scheduled) clearTimeout(scheduled.handle);
    const pod = change.object;
    const handle = setTimeout(() => finish(pod), terminationDelayMs(graceSeconds, settings()));
    // Why unref: a simulator left running by a test must not keep the process alive on its own.
    handle.unref();
    pending.set(uid, { graceSeconds, handle });
  });

  return () => {
    stopped = true;
    unsubscribe();
    for (const { handle } of pending.values()) clearTimeout(handle);
    pending.clear();
  };
}
