/**
 * What makes new pods a regression, and the evidence lines a verification shows: one line per pod (phase, container
 * states, restarts) and one per Warning event, in the words `kubectl get pods` / `kubectl get events` use.
 */

/** Container states that do not go away by waiting: the new version cannot run as it is. */
const settledWaitingReasons = new Set(['ImagePullBackOff', 'CrashLoopBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError', 'ErrImageNeverPull']);

/**
 * Warning events that also show up while a healthy pod starts or a cluster catches up (a first pull error before the
 * back-off, a readiness probe before the app listens, no node until the autoscaler adds one). They are evidence, not
 * a verdict: the pod state (ImagePullBackOff, CrashLoopBackOff) or the deadline (still Pending) decides.
 */
const transientWarningReasons = new Set(['Failed', 'BackOff', 'Unhealthy', 'FailedScheduling', 'FailedMount', 'ProbeWarning', 'FailedAttachVolume', 'NetworkNotReady', 'DNSConfigForming']);

export interface PodProblem {
  pod: string;
  /** ImagePullBackOff, CrashLoopBackOff, OOMKilled, Failed… */
  reason: string;
}

function containerStatuses(pod: Record<string, any>): Array<Record<string, any>> {
  return [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
}

/** The settled problem of one pod, if it has one. */
export function podProblem(pod: Record<string, any>): PodProblem | undefined {
  const name = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
  if (pod.status?.phase === 'Failed') return { pod: name, reason: pod.status?.reason ?? 'Failed' };
  for (const status of containerStatuses(pod)) {
    const waiting = status.state?.waiting?.reason;
    if (waiting && settledWaitingReasons.has(waiting)) return { pod: name, reason: waiting };
    if (status.state?.terminated?.reason === 'OOMKilled' || status.lastState?.terminated?.reason === 'OOMKilled') return { pod: name, reason: 'OOMKilled' };
  }
  return undefined;
}

export function isPodReady(pod: Record<string, any>): boolean {
  return (pod.status?.conditions ?? []).some((condition: any) => condition.type === 'Ready' && condition.status === 'True');
}

export function isPending(pod: Record<string, any>): boolean {
  return !pod.metadata?.deletionTimestamp && (pod.status?.phase ?? 'Pending') === 'Pending';
}

/** "pod shop/web-5d9c-x2x: Pending, web ImagePullBackOff (Back-off pulling image "web:nope"), restarts 0" */
export function podLine(pod: Record<string, any>): string {
  const parts: string[] = [];
  for (const status of containerStatuses(pod)) {
    const state = status.state ?? {};
    const [kind, detail] = state.waiting ? ['waiting', state.waiting] : state.terminated ? ['terminated', state.terminated] : state.running ? ['running', undefined] : ['unknown', undefined];
    const reason = detail?.reason ?? kind;
    const message = detail?.message ? ` (${String(detail.message).split('\n')[0].slice(0, 200)})` : '';
    const last = status.lastState?.terminated?.reason ? `, last ${status.lastState.terminated.reason}` : '';
    parts.push(`${status.name} ${reason}${message}${status.ready ? ' ready' : ''}, restarts ${status.restartCount ?? 0}${last}`);
  }
  const unscheduled = (pod.status?.conditions ?? []).find((condition: any) => condition.type === 'PodScheduled' && condition.status === 'False');
  if (unscheduled) parts.push(`unscheduled: ${unscheduled.reason ?? ''} ${unscheduled.message ?? ''}`.trim());
  return `pod ${pod.metadata?.namespace}/${pod.metadata?.name}: ${pod.metadata?.deletionTimestamp ? 'Terminating' : (pod.status?.phase ?? 'Pending')}${parts.length ? `, ${parts.join('; ')}` : ''}`;
}

export function isWarning(event: Record<string, any>): boolean {
  return event.type === 'Warning';
}

/** A Warning event that is a verdict on its own (FailedCreate: quota, admission, a bad template…). */
export function isSettledWarning(event: Record<string, any>): boolean {
  return isWarning(event) && !transientWarningReasons.has(String(event.reason ?? ''));
}

/** When the event last happened (ms since epoch), from whichever timestamp it carries. */
export function eventTime(event: Record<string, any>): number {
  const value = event.lastTimestamp ?? event.eventTime ?? event.series?.lastObservedTime ?? event.firstTimestamp ?? event.metadata?.creationTimestamp;
  const time = value ? Date.parse(value) : NaN;
  return Number.isNaN(time) ? 0 : time;
}

/** "Warning Failed pod/web-5d9c-x2x: Failed to pull image "web:nope": … (x3)" */
export function eventLine(event: Record<string, any>): string {
  const involved = event.involvedObject ?? event.regarding ?? {};
  const count = event.count ?? event.series?.count;
  return `${event.type ?? 'Normal'} ${event.reason ?? ''} ${String(involved.kind ?? '').toLowerCase()}/${involved.name ?? ''}: ${String(event.message ?? event.note ?? '').trim().slice(0, 300)}${count && count > 1 ? ` (x${count})` : ''}`;
}
