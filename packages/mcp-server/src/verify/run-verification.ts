/**
 * The verification loop: start every check's watches, wait (on changes only) until they all succeed or one regresses
 * or is reverted, bounded by min(the objects' progress deadlines, timeout_seconds); after success keep watching for
 * hold_seconds so a controller that sets the change back a moment later (an HPA's next sync) is caught.
 */
import type { VerificationEvidence } from '@skyflo/protocol';
import type { Check, CheckState, Verdict } from './check-types.ts';
import type { WatchSession } from './watch-session.ts';

export function combine(states: CheckState[]): CheckState {
  const bad = states.find((state) => state.status === 'regressed' || state.status === 'reverted');
  if (bad) return bad;
  const waiting = states.find((state) => state.status === 'pending');
  if (waiting) return { ...waiting, evidence: states.flatMap((state) => state.evidence) };
  return { status: 'ok', summary: states.map((state) => state.summary).join('; '), evidence: states.flatMap((state) => state.evidence) };
}

export interface RunVerificationOptions {
  checks: Check[];
  session: WatchSession;
  timeoutSeconds: number;
  holdSeconds: number;
  signal: AbortSignal;
  /** MCP progress: called when the state's summary changes, and as a heartbeat so the client's timeout resets */
  progress?: (message: string) => void;
  /** how often the heartbeat goes out while nothing changes (ms) */
  heartbeatMs?: number;
}

export async function runVerification(options: RunVerificationOptions): Promise<Verdict> {
  const { checks, session, signal } = options;
  let lastSummary = '';
  const heartbeat = options.progress ? setInterval(() => options.progress!(lastSummary || 'verifying'), options.heartbeatMs ?? 10_000) : undefined;
  try {
    await Promise.all(checks.map((check) => check.start(session, signal)));
    const limits = checks.map((check) => check.deadlineSeconds?.()).filter((value): value is number => value !== undefined);
    const seconds = Math.min(options.timeoutSeconds, ...(limits.length ? [Math.max(...limits)] : []));
    const deadline = Date.now() + seconds * 1000;
    const evaluate = (): CheckState | 'failed' => {
      if (session.failure()) return 'failed';
      const state = combine(checks.map((check) => check.evaluate()));
      if (state.summary !== lastSummary) {
        lastSummary = state.summary;
        options.progress?.(state.summary);
      }
      return state;
    };
    let state = await session.until(() => {
      const current = evaluate();
      return current === 'failed' || current.status !== 'pending' ? current : undefined;
    }, deadline);
    signal.throwIfAborted();
    if (state === 'failed') return watchFailed(session);
    if (state === undefined) {
      const late = combine(checks.map((check) => check.atDeadline()));
      if (late.status === 'pending') {
        return { outcome: 'timed_out', summary: `no verdict within ${seconds} s: ${late.summary}`, evidence: late.evidence };
      }
      state = late;
    }
    if (state.status === 'ok') {
      const okState = state;
      // A controller owning a changed field (an HPA owning replicas) gets one sync period to set it back before the
      // change counts as held; that longer hold stays inside the verification's deadline (issue 31).
      const owners = checks.map((check) => check.minimumHold?.()).filter((hold): hold is { seconds: number; why: string } => hold !== undefined);
      const owner = owners.sort((a, b) => b.seconds - a.seconds)[0];
      const holdUntil = Date.now() + Math.max(options.holdSeconds, owner?.seconds ?? 0) * 1000;
      const cut = owner !== undefined && holdUntil > deadline && Date.now() + options.holdSeconds * 1000 < deadline;
      const held = await session.until(() => {
        const current = evaluate();
        return current === 'failed' || current.status === 'regressed' || current.status === 'reverted' ? current : undefined;
      }, cut ? deadline : holdUntil);
      signal.throwIfAborted();
      if (held === 'failed') return watchFailed(session);
      if (held === undefined && cut) {
        return { outcome: 'timed_out', summary: `${okState.summary}, but ${owner!.why} and the time left (timeout ${seconds} s) did not cover one sync`, evidence: okState.evidence };
      }
      if (held === undefined) return { outcome: 'verified', summary: owner ? `${okState.summary}; held through a sync period of ${owner.why.replace(/ owns .*$/, '')} (${owner.seconds} s)` : okState.summary, evidence: okState.evidence };
      state = held;
    }
    if (state.status === 'reverted') return explainReverted(checks, state, signal);
    return { outcome: 'regressed', summary: state.summary, evidence: state.evidence };
  } finally {
    clearInterval(heartbeat);
  }
}

async function explainReverted(checks: Check[], state: CheckState, signal: AbortSignal): Promise<Verdict> {
  let controller = state.controller;
  if (!controller) {
    for (const check of checks) {
      if (check.evaluate().status !== 'reverted') continue;
      controller = await check.explainRevert?.(signal).catch(() => undefined);
      break;
    }
  }
  const evidence: VerificationEvidence[] = state.evidence;
  return {
    outcome: 'reverted_by_controller',
    summary: state.predicted && controller ? `${controller} ${state.summary}` : controller ? `${controller} set it back: ${state.summary}` : `set back by another writer: ${state.summary}`,
    evidence,
    ...(controller ? { controller } : {}),
  };
}

function watchFailed(session: WatchSession): Verdict {
  const error = session.failure();
  return { outcome: 'timed_out', summary: `could not keep watching the cluster: ${error?.message ?? 'unknown error'}`, evidence: [] };
}
