/**
 * Calls the gate closes without running them: those left pending by an earlier run when a new message arrives,
 * and those a stop cancels. Either way each gets a result, so the history stays valid for the next model turn.
 */
import { closedCallCode } from './reconcile-orphaned-approvals.ts';
import { closeNotExecuted } from './execution-claim.ts';
import type { ToolInfo } from '../../../platform/ports/tool-gateway.ts';
import type { ToolCallDeps, ToolCallRun, PendingCall } from '../core/deps.ts';
import { cancelledTextFor, supersededText, type GateTools } from '../core/gate-tools.ts';

export function createLeftoverClosing(deps: ToolCallDeps, run: ToolCallRun, gate: GateTools) {
  /**
   * Calls pending in the checkpoint when a chat run starts belong to an earlier run (it was stopped, or its engine
   * died). They are never executed as a side effect of the new message: each is closed with a result saying so.
   */
  async function closeLeftover(call: PendingCall, info: ToolInfo | undefined): Promise<string> {
    const record = await deps.approvals.get(run.conversationId, call.callId).catch(() => undefined);
    if (record?.status === 'approved') await deps.approvals.failApproved({ conversationId: run.conversationId, callId: call.callId, reason: supersededText });
    const text = record && record.status !== 'approved' && record.resultSummary ? record.resultSummary : supersededText;
    // The code follows the stored text: a call whose outcome is unknown is not labelled "not executed".
    const code = record && text === record.resultSummary ? closedCallCode(record) : 'NOT_EXECUTED';
    await run.emit('tool.error', { ...gate.identityOf(call, info, record?.args ?? gate.shownArgsOf(call.tool, call.args)), error: text, code });
    return text;
  }

  /**
   * An approved call that a stop cancels before it ran is closed in the approval store (approved → failed), so
   * the record no longer reads as waiting to run and a later decision on it is refused as already decided.
   */
  async function cancelApproved(call: PendingCall, info: ToolInfo | undefined): Promise<void> {
    const record = run.decided?.callId === call.callId ? run.decided : await deps.approvals.get(run.conversationId, call.callId).catch(() => undefined);
    if (record?.status !== 'approved') return;
    // the run's real end (a stop, the event bus or the database failing) is what the card says (issue 75)
    const text = cancelledTextFor(run.signal);
    if (!(await closeNotExecuted(deps, run, call.callId, text))) return;
    await run.emit('tool.error', { ...gate.identityOf(call, info, record.args), error: text, code: 'CANCELLED' });
  }

  return { closeLeftover, cancelApproved };
}
