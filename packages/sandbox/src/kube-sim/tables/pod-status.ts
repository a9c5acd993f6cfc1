import type { KubeObject } from '../cluster-types.ts';
import { ageSince } from './human-duration.ts';

function isRestartableInit(container: any): boolean {
  return container?.restartPolicy === 'Always';
}

function laterDate(current: string | undefined, candidate: string | undefined): string | undefined {
  if (!candidate) return current;
  if (!current) return candidate;
  return Date.parse(candidate) > Date.parse(current) ? candidate : current;
}

/**
 * The READY, STATUS and RESTARTS cells of `kubectl get pods`, ported from kubectl's printPod so reasons the
 * runtime writes into container states (CrashLoopBackOff, ImagePullBackOff, OOMKilled, Init:…) show as usual.
 */
export function podStatusCells(pod: KubeObject, now: Date): { ready: string; status: string; restarts: string } {
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  const initSpecs: Record<string, any> = {};
  let totalContainers = (spec.containers ?? []).length;
  for (const container of spec.initContainers ?? []) {
    initSpecs[container.name] = container;
    if (isRestartableInit(container)) totalContainers++;
  }
  let restarts = 0;
  let restartableInitRestarts = 0;
  let readyContainers = 0;
  let lastRestart: string | undefined;
  let lastRestartableInitRestart: string | undefined;
  let reason: string = status.reason || status.phase || '';
  for (const condition of status.conditions ?? []) {
    if (condition.type === 'PodScheduled' && condition.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  let initializing = false;
  const initStatuses: any[] = status.initContainerStatuses ?? [];
  for (let index = 0; index < initStatuses.length; index++) {
    const container = initStatuses[index];
    const state = container.state ?? {};
    restarts += container.restartCount ?? 0;
    lastRestart = laterDate(lastRestart, container.lastState?.terminated?.finishedAt);
    const restartable = isRestartableInit(initSpecs[container.name]);
    if (restartable) {
      restartableInitRestarts += container.restartCount ?? 0;
      lastRestartableInitRestart = laterDate(lastRestartableInitRestart, container.lastState?.terminated?.finishedAt);
    }
    if (state.terminated && state.terminated.exitCode === 0) continue;
    if (restartable && container.started) {
      if (container.ready) readyContainers++;
      continue;
    }
    if (state.terminated) {
      reason = state.terminated.reason
        ? `Init:${state.terminated.reason}`
        : state.terminated.signal
          ? `Init:Signal:${state.terminated.signal}`
          : `Init:ExitCode:${state.terminated.exitCode}`;
    } else if (state.waiting?.reason && state.waiting.reason !== 'PodInitializing') {
      reason = `Init:${state.waiting.reason}`;
    } else {
      reason = `Init:${index}/${(spec.initContainers ?? []).length}`;
    }
    initializing = true;
    break;
  }

  const initialized = (status.conditions ?? []).some((condition: any) => condition.type === 'Initialized' && condition.status === 'True');
  if (!initializing || initialized) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses: any[] = status.containerStatuses ?? [];
    for (let index = statuses.length - 1; index >= 0; index--) {
      const container = statuses[index];
      const state = container.state ?? {};
      restarts += container.restartCount ?? 0;
      lastRestart = laterDate(lastRestart, container.lastState?.terminated?.finishedAt);
      if (state.waiting?.reason) reason = state.waiting.reason;
      else if (state.terminated?.reason) reason = state.terminated.reason;
      else if (state.terminated) reason = state.terminated.signal ? `Signal:${state.terminated.signal}` : `ExitCode:${state.terminated.exitCode}`;
      else if (container.ready && state.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const hasReady = (status.conditions ?? []).some((condition: any) => condition.type === 'Ready' && condition.status === 'True');
      reason = hasReady ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && status.phase !== 'Succeeded' && status.phase !== 'Failed') reason = 'Terminating';

  const restartText = restarts !== 0 && lastRestart ? `${restarts} (${ageSince(lastRestart, now)} ago)` : String(restarts);
  return { ready: `${readyContainers}/${totalContainers}`, status: reason, restarts: restartText };
}
