/** The pieces every verification check shares (a workload, a deleted object, a node, a Helm release…). */
import type { VerificationEvidence } from '@skyflo/protocol';
import type { WatchSession } from './watch-session.ts';

export type FinalOutcome = 'verified' | 'regressed' | 'reverted_by_controller' | 'timed_out' | 'not_applicable';

export interface Verdict {
  outcome: FinalOutcome;
  summary: string;
  evidence: VerificationEvidence[];
  controller?: string;
}

/** Where one check stands on the live state it watches. */
export interface CheckState {
  status: 'pending' | 'ok' | 'regressed' | 'reverted';
  summary: string;
  evidence: VerificationEvidence[];
  /** reverted: the controller, when the check already knows it */
  controller?: string;
  /** reverted: not yet, but certain (an HPA's next sync will set it back); the summary says what it will do */
  predicted?: boolean;
}

export interface Check {
  /** e.g. "deployment shop/web" */
  label: string;
  /** opens the watches it needs */
  start(session: WatchSession, signal: AbortSignal): Promise<void>;
  /** where things stand, from the session's caches (synchronous: it runs on every change) */
  evaluate(): CheckState;
  /** the state to report when the deadline passed while pending (e.g. regressed: new pods stayed Pending) */
  atDeadline(): CheckState;
  /**
   * how long a success must hold at least: one sync period of a controller that owns a changed field (an HPA owning
   * replicas), so `verified` is only said once that controller had its say (issue 31)
   */
  minimumHold?(): { seconds: number; why: string } | undefined;
  /** the object's own limit (a Deployment's progressDeadlineSeconds), when it has one */
  deadlineSeconds?(): number | undefined;
  /** names the controller that set the changed fields back (reads the cluster; called once, after the verdict) */
  explainRevert?(signal: AbortSignal): Promise<string | undefined>;
}

export const pending = (summary: string, evidence: VerificationEvidence[] = []): CheckState => ({ status: 'pending', summary, evidence });
