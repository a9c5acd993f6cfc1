/**
 * Issue 76: "approvals already given but not yet executed are held (not run, not lost: they run only if re-confirmed
 * after the freeze)" — and the same under the emergency stop, which "halts every execution" until an admin lifts it.
 * An approved call that reaches execution while a change freeze holds for it, or while the emergency stop is on, goes
 * back to awaiting — its sealed exact arguments kept, its decision cleared, the reason first among its risks — so its
 * card and the queue show why, and it runs only when someone approves it anew (during a freeze only through an admin's
 * break-glass, during the stop not at all; stop-rules.ts). The hold and its `approval.held` record commit together.
 */
import { frozenCode, type FreezeHit } from '@skyflo/safety/freezes';
import { emergencyStopCode, stoppedText, type EmergencyStopState } from '../../emergency-stop/emergency-stop.ts';
import type { ApprovalRecord, RiskFlag } from '../../../platform/ports/index.ts';
import type { ToolCallDeps, ToolCallRun } from '../core/deps.ts';
import { frozenHoldText } from '../decide/stop-rules.ts';
import { takeClaim } from './execution-claim.ts';

/** Why a call is held: the risk flag its card shows first, and what its `approval.held` record adds. */
export interface HoldReason {
  code: string;
  text: string;
  details: Record<string, unknown>;
}

/** What the held card says: the freeze, that it had been approved before it began, and what re-confirming means. */
function heldText(freeze: FreezeHit, approvedBy: string | undefined): string {
  const by = approvedBy ? ` by ${approvedBy}` : '';
  return `${frozenHoldText(freeze, 'Held, not run')} It had been approved${by} before the freeze began; that approval no longer runs it. Approve it again once the freeze has ended (${freeze.endsAt.toISOString()}) to run it, or deny it.`;
}

export const freezeHold = (freeze: FreezeHit) => (approvedBy: string | undefined): HoldReason => ({
  code: frozenCode,
  text: heldText(freeze, approvedBy),
  details: { freeze: freeze.name, freeze_ends_at: freeze.endsAt.toISOString() },
});

export const stopHold = (stop: EmergencyStopState) => (approvedBy: string | undefined): HoldReason => ({
  code: emergencyStopCode,
  text: `${stoppedText(stop, 'Held, not run')} It had been approved${approvedBy ? ` by ${approvedBy}` : ''} before the stop was engaged; that approval no longer runs it. Approve it again once the stop is lifted to run it, or deny it.`,
  details: { emergency_stop: { by: stop.by.email, since: stop.since.toISOString(), reason: stop.reason, ...(stop.declared ? { declared: stop.declared } : {}) } },
});

/**
 * Holds `record` for re-confirmation; the held row, or undefined when the store cannot hold calls or the row was
 * decided elsewhere meanwhile (then the caller closes it unrun, as before).
 */
export async function holdApproved(
  deps: Pick<ToolCallDeps, 'approvals'>,
  run: Pick<ToolCallRun, 'runId' | 'conversationId' | 'decided' | 'decidedClaim' | 'approver'>,
  record: ApprovalRecord,
  reasonFor: (approvedBy: string | undefined) => HoldReason,
): Promise<ApprovalRecord | undefined> {
  if (!deps.approvals.holdApproved) return undefined;
  // The claim this run sent at its start (execution-claim.ts) must have landed first: the hold releases it.
  const claimed = takeClaim(run, record.callId);
  if (claimed) await claimed.catch(() => false);
  const reason = reasonFor(run.approver && run.approver.id === record.decidedBy ? run.approver.email : undefined);
  const risks: RiskFlag[] = [{ code: reason.code, severity: 'medium', message: reason.text }, ...record.risks.filter((risk) => risk.code !== frozenCode && risk.code !== emergencyStopCode)];
  const held = await deps.approvals.holdApproved({
    conversationId: run.conversationId,
    callId: record.callId,
    runId: run.runId,
    risks,
    audit: {
      ...(record.decidedBy ? { actorId: record.decidedBy } : {}),
      action: 'approval.held',
      tool: record.tool,
      subjectType: 'tool_call',
      subjectId: record.callId,
      conversationId: run.conversationId,
      details: {
        run_id: run.runId,
        call_id: record.callId,
        tool: record.tool,
        ...reason.details,
        ...(record.decidedBy ? { approved_by: record.decidedBy } : {}),
        ...(record.decidedAt ? { approved_at: record.decidedAt.toISOString() } : {}),
        executed: false,
      },
    },
  });
  return held ? deps.approvals.get(run.conversationId, record.callId) : undefined;
}
