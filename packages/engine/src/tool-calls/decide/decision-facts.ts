/**
 * Facts a decision needs beyond the stored call, computed where they are asked (POST /agent/approvals): whether the
 * inverse would need a second person (the auto-revert rule under four-eyes), and the audit record the decision
 * commits with (issue 32.3: written by the same statement as the decision).
 */
import type { ApprovalPolicyName } from './decision-authority.ts';
import type { ToolCallInspector } from '../propose/tool-call-inspector.ts';
import type { ApprovalRecord, ApprovalStore, NewAuditEvent, RecordedUndo } from '../../ports/index.ts';
import { inverseNeedsSecondPerson as inverseSecondPersonCause, revertPolicyOf } from '../undo/auto-revert-rules.ts';

/**
 * Issue 31 item 6: whether the inverse of a call would itself need a second person, under the policy the call was
 * recorded with (undo/auto-revert-rules.ts), from the inverse's risks and destructiveness recorded with it. A row
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
}): NewAuditEvent {
  const { record, approve, automatic, reason } = options;
  return {
    actorId: options.actorId,
    action: approve ? (automatic ? 'approval.auto_approved' : 'approval.approved') : 'approval.denied',
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
      ...(options.passkeyAssertion ? { passkey_assertion: options.passkeyAssertion } : {}),
    },
    ...(options.ip ? { ip: options.ip } : {}),
  };
}

/**
 * The first call of the paused turn that comes before `callId` (the model's order, `pending`: from the checkpoint)
 * and still awaits a decision; undefined when there is none (the order rule of decide.ts).
 */
export async function earlierAwaiting(approvals: Pick<ApprovalStore, 'listForConversation'>, conversationId: string, callId: string, pending: string[]): Promise<ApprovalRecord | undefined> {
  const position = pending.indexOf(callId);
  if (position <= 0) return undefined;
  const before = new Set(pending.slice(0, position));
  return (await approvals.listForConversation(conversationId)).find((other) => other.status === 'awaiting' && before.has(other.callId));
}
