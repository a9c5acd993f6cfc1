/**
 * Issue 76, `require_approvers: N`: N distinct people other than the requester approve a call before it runs. The
 * decision rules (policy-rules.ts) have already refused the requester and anyone who approved it before; here an
 * approval that is not yet the N-th is recorded with the call (one conditional update: a double click counts once)
 * and audited, and the request ends with 202 MORE_APPROVALS_NEEDED. The N-th approval is an ordinary decision: it
 * approves the call and starts the run, its audit record listing the earlier approvals and the policies.
 *
 * Why an AgentRequestError for an accepted approval: every channel that decides (the HTTP route, Slack, Teams)
 * already turns one into its answer, so the recorded-but-not-final approval reaches each of them as words and a code.
 */
import { AgentRequestError } from '../../../platform/errors/agent-request-error.ts';
import type { ApprovalRecord, ApprovalStore, AuditLog, AuthenticatedUser } from '../../../platform/ports/index.ts';
import { approvalsStillNeeded } from './policy-rules.ts';

export const moreApprovalsNeededCode = 'MORE_APPROVALS_NEEDED';

export async function recordCoApproval(input: {
  approvals: Pick<ApprovalStore, 'coApprove'>;
  audit: Pick<AuditLog, 'record'> | undefined;
  record: ApprovalRecord;
  user: Pick<AuthenticatedUser, 'id' | 'email'>;
  /** the person's verified passkey assertion (or device key signature), kept for the cluster's executor to count them by */
  passkeyAssertion?: Record<string, unknown> | undefined;
  reason: string | undefined;
  ip: string | undefined;
}): Promise<void> {
  const { record, user } = input;
  const { required, given } = approvalsStillNeeded(record);
  if (given + 1 >= required) return;
  if (!input.approvals.coApprove) throw new AgentRequestError(409, 'POLICY_APPROVERS_UNSUPPORTED', `Tool call ${record.callId} needs ${required} approvers, which this storage cannot record.`);
  const at = new Date();
  const updated = await input.approvals.coApprove({ conversationId: record.conversationId, callId: record.callId, userId: user.id, email: user.email, at, passkeyAssertion: input.passkeyAssertion });
  if (!updated) throw new AgentRequestError(409, 'ALREADY_DECIDED', `Tool call ${record.callId} is no longer waiting for approvals, or you already approved it; nothing was recorded.`);
  const count = updated.coApprovals?.length ?? given + 1;
  await input.audit?.record({
    actorId: user.id,
    action: 'approval.co_approved',
    subjectType: 'tool_call',
    subjectId: record.callId,
    conversationId: record.conversationId,
    tool: record.tool,
    details: { conversation_id: record.conversationId, tool: record.tool, args_hash: record.argsHash, approvals: count, required, policies: record.policyVerdicts ?? [], ...(input.reason ? { reason: input.reason } : {}) },
    ...(input.ip ? { ip: input.ip } : {}),
  });
  throw new AgentRequestError(202, moreApprovalsNeededCode, `Your approval of tool call ${record.callId} is recorded (${count} of ${required}); it runs once ${required - count} more approver${required - count === 1 ? '' : 's'} other than the requester approve${required - count === 1 ? 's' : ''} it.`);
}
