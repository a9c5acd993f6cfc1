/**
 * An approved call's execution claim: approved → executing, with its `tool.execution_started` audit record in the
 * same statement. It is what keeps two runs from executing one call, and it is made before any check's verdict.
 *
 * Issue 38 goal 5: a decision run sends the claim of the call its decision approved as soon as the run starts
 * (`claimDecidedAtStart`), so its database round trip overlaps the graph resuming the paused turn instead of
 * following it. On PGlite, whose one thread serves every statement of the process, it was the last ~3 ms before
 * `tool.executing`. The gate takes that claim when it reaches the call (`takeClaim`); a call the run then does not
 * execute is closed from `executing` as not executed (`closeNotExecuted`), and a claim no step took is released the
 * same way when the run ends (`releaseUnusedClaim`): a call that did not run never reads as "outcome unknown" because
 * of it. Only a run killed between its start and the execution (the graph's resume, milliseconds) leaves the call
 * `unknown` where it used to leave it `failed`; either way nothing runs twice.
 */
import { executionStartedRecord } from '../../audit/run-event-auditor.ts';
import { enforcementFor } from '../core/enforced-approval.ts';
import { closingPayload } from './reconcile-orphaned-approvals.ts';
import type { ApprovalRecord } from '../../../platform/ports/index.ts';
import type { ToolCallDeps, ToolCallRun } from '../core/deps.ts';

type ClaimDeps = Pick<ToolCallDeps, 'approvals' | 'enforcement'>;
type ClaimRun = Pick<ToolCallRun, 'runId' | 'conversationId' | 'decided' | 'decidedClaim'>;

/** The SkyfloApproval a cluster that enforces approvals (issue 34) knows this call's approval by, if it is one. */
export function approvalObjectOf(deps: Pick<ToolCallDeps, 'enforcement'>, record: ApprovalRecord): string | undefined {
  return enforcementFor(deps, record)?.nameOf(record.conversationId, record.callId);
}

/** Sends the claim of `record` for this run; resolves false when another run holds it or it is no longer approved. */
export function sendExecutionClaim(deps: ClaimDeps, run: Pick<ToolCallRun, 'runId' | 'conversationId'>, record: ApprovalRecord): Promise<boolean> {
  const approvalObject = approvalObjectOf(deps, record);
  const claimed = deps.approvals.claimExecution({
    conversationId: run.conversationId,
    callId: record.callId,
    runId: run.runId,
    audit: executionStartedRecord({ conversationId: run.conversationId, callId: record.callId, runId: run.runId, tool: record.tool, decidedBy: record.decidedBy, startedAt: new Date(), ...(approvalObject ? { approvalObject } : {}) }),
  });
  claimed.catch(() => undefined); // awaited by whoever takes it
  return claimed;
}

/** A decision run: the call its decision approved is claimed now, while the graph resumes the paused turn. */
export function claimDecidedAtStart(deps: ClaimDeps, run: ClaimRun): void {
  if (run.decided?.status !== 'approved' || run.decided.conversationId !== run.conversationId) return;
  run.decidedClaim = sendExecutionClaim(deps, run, run.decided);
}

/** This run's claim of `callId`, sent at its start, if it has one and no step took it yet; taking it is final. */
export function takeClaim(run: ClaimRun, callId: string): Promise<boolean> | undefined {
  const claimed = run.decidedClaim;
  if (!claimed || run.decided?.callId !== callId) return undefined;
  delete run.decidedClaim;
  return claimed;
}

/**
 * An approved call this run will not execute is closed as failed with `reason`: from `approved`, or from `executing`
 * when the claim this run sent at its start holds it. False when the record was neither (decided elsewhere).
 */
export async function closeNotExecuted(deps: ClaimDeps, run: ClaimRun, callId: string, reason: string): Promise<boolean> {
  const claimed = takeClaim(run, callId);
  if (!claimed) return deps.approvals.failApproved({ conversationId: run.conversationId, callId, reason });
  if (!(await claimed.catch(() => false))) return false;
  return deps.approvals.markExecuted({ conversationId: run.conversationId, callId, ok: false, resultSummary: reason.slice(0, 500) });
}

export const unusedClaimText = 'Not executed: the run this approval started ended before it reached the call. Nothing was changed; propose it again if it is still needed.';

/**
 * When the run ends: a claim no step took (the call was never reached) is released as not executed, and its card says
 * so in this run's stream and the conversation (as the reconciler's closing would, later).
 */
export async function releaseUnusedClaim(deps: ClaimDeps, run: ClaimRun & Pick<ToolCallRun, 'emit'>): Promise<void> {
  const record = run.decided;
  if (!record || !run.decidedClaim || !(await closeNotExecuted(deps, run, record.callId, unusedClaimText))) return;
  await run.emit('tool.error', closingPayload({ ...record, status: 'failed' }, unusedClaimText));
}
