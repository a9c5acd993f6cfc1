/**
 * Facts a decision needs beyond the stored call, computed where they are asked (POST /agent/approvals): whether the
 * inverse would need a second person (the auto-revert rule under four-eyes), and the audit record the decision
 * commits with (issue 32.3: written by the same statement as the decision).
 */
import type { ApprovalPolicyName } from './decision-authority.ts';
import type { ToolCallInspector } from '../core/tool-call-inspector.ts';
import type { ApprovalRecord, BreakGlass, NewAuditEvent, RecordedUndo } from '../../../platform/ports/index.ts';
import { inverseNeedsSecondPerson as inverseSecondPersonCause, revertPolicyOf } from './auto-revert-rules.ts';
import { effectText } from '@skyflo/safety/policies';

/**
 * Issue 31 item 6: whether the inverse of a call would itself need a second person, under the policy the call was
 * recorded with (decide/auto-revert-rules.ts), from the inverse's risks and destructiveness recorded with it. A row
 * recorded before those were stored is assessed now by the gate's inspector; a check that fails says yes.
 */
export function inverseNeedsSecondPerson(options: {
  record: ApprovalRecord & { undo: RecordedUndo };
  environment: { policy: ApprovalPolicyName; fourEyes: boolean };
  inspector: Pick<ToolCallInspector, 'risks' | 'destructive'>;
}): boolean {
  try {
    const { undo } = options.record;
    const risks = undo.risks ?? options.inspector.risks(undo.tool, undo.args);
    const destructive = undo.destructive ?? options.inspector.destructive(undo.tool, undo.args, risks);
    return inverseSecondPersonCause(revertPolicyOf(options.environment, options.record), { destructive, risks }) !== undefined;
  } catch {
    return true;
  }
}

/** The decision's audit record: the awaiting record's fields (a decision does not change them) and the decision's own. */
export function decisionAuditRecord(options: {
  record: ApprovalRecord;
  actorId: string;
  approve: boolean;
  automatic: boolean | undefined;
  autoRevert: boolean | undefined;
  reason: string | undefined;
  runId: string;
  decidedAt: Date;
  approvedWithoutPreview: boolean;
  ip: string | undefined;
  /** issue 35: the verified passkey assertion (credential id, authenticatorData, clientDataJSON, signature, facts) */
  passkeyAssertion?: object;
  /**
   * issue 76 item 6: an admin's break-glass during a change freeze: the decision's record is then `freeze.break_glass`
   * (actor, call, freeze, reason, with everything an approval's record says), committed with the decision
   */
  breakGlass?: Pick<BreakGlass, 'reason' | 'freeze' | 'freezeEndsAt'>;
}): NewAuditEvent {
  const { record, approve, automatic, reason, breakGlass } = options;
  return {
    actorId: options.actorId,
    action: approve ? (breakGlass ? 'freeze.break_glass' : automatic ? 'approval.auto_approved' : 'approval.approved') : 'approval.denied',
    subjectType: 'tool_call',
    subjectId: record.callId,
    details: {
      conversation_id: record.conversationId,
      tool: record.tool,
      run_id: options.runId,
      decided_at: options.decidedAt.toISOString(),
      args_hash: record.argsHash,
      ...(record.diffHash ? { diff_hash: record.diffHash } : {}),
      ...(reason ? { reason } : {}),
      ...(automatic ? { automatic: true } : {}),
      ...(approve && options.autoRevert ? { auto_revert: true } : {}),
      ...(record.undoOf ? { undo_of: record.undoOf } : {}),
      requested_by: record.requestedBy ?? null,
      ...(record.cluster ? { cluster: record.cluster } : {}),
      ...(record.namespace ? { namespace: record.namespace } : {}),
      ...(record.policy ? { policy: record.policy } : {}),
      ...(options.approvedWithoutPreview ? { approved_without_preview: true } : {}),
      ...(approve && breakGlass ? { break_glass: { reason: breakGlass.reason, freeze: breakGlass.freeze, freeze_ends_at: breakGlass.freezeEndsAt.toISOString() } } : {}),
      ...(options.passkeyAssertion ? { passkey_assertion: options.passkeyAssertion } : {}),
      // issue 76: the policies that matched (name, version, verdict) and the approvals given before this one
      ...(record.policyVerdicts && record.policyVerdicts.length > 0 ? { policies: record.policyVerdicts.map((verdict) => ({ name: verdict.name, version: verdict.version, verdict: effectText(verdict.effect), ...(verdict.message ? { message: verdict.message } : {}) })) } : {}),
      ...(approve && record.coApprovals && record.coApprovals.length > 0 ? { co_approvals: record.coApprovals.map((entry) => ({ user_id: entry.userId, at: entry.at.toISOString() })) } : {}),
    },
    ...(options.ip ? { ip: options.ip } : {}),
  };
}
