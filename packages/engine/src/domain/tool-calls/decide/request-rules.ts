/**
 * Rules of decide.ts's ordered list about the request: its shape, that it names the call and preview the approver was
 * shown, that calls are decided in the model's order, what a failed preview asks, and when automatic revert may be
 * chosen.
 */
import { approvalNeedsPreview, hasFailedPreview, previewRequiredRiskCode } from '@skyflo/protocol';
import { approving, decidingPolicy, type DecideRule } from './rule-facts.ts';

export const requestShapeRule: DecideRule = ({ request }) => {
  if (!request) return undefined;
  if (request.breakGlass && !request.approve) return { status: 400, code: 'BREAK_GLASS_NEEDS_APPROVAL', reason: 'break_glass is a way of approving during a change freeze: send it with approve: true (denying needs no break-glass).' };
  if (request.breakGlass && !/\S/.test(request.breakGlass.reason)) return { status: 400, code: 'BREAK_GLASS_REASON_REQUIRED', reason: 'break_glass.reason is required: say why this change cannot wait for the freeze to end (1 to 500 characters; it is audited and announced to the team).' };
  if (request.autoRevert && !request.approve) return { status: 400, code: 'AUTO_REVERT_NEEDS_APPROVAL', reason: 'auto_revert is a way of approving: send it with approve: true.' };
  // Approving needs proof the approver was shown the call: the args_hash of its tool.awaiting_approval event.
  if (request.approve && request.argsHash === undefined) {
    return { status: 400, code: 'ARGS_HASH_REQUIRED', reason: 'approve needs args_hash: the args_hash of the tool.awaiting_approval event the approver was shown' };
  }
  return undefined;
};

export const argsHashRule: DecideRule = ({ request, call, callId }) =>
  request?.argsHash !== undefined && call && request.argsHash !== call.argsHash
    ? { status: 409, code: 'ARGS_MISMATCH', reason: `Tool call ${callId} is not the call you were shown (its arguments hash differs); reload the conversation and decide again.` }
    : undefined;

export const diffHashRule: DecideRule = ({ request, call, callId }) =>
  request?.diffHash !== undefined && call && request.diffHash !== call.diffHash
    ? {
        status: 409,
        code: 'PREVIEW_MISMATCH',
        reason: `PREVIEW_MISMATCH: the preview you were shown for ${callId} is not the one this approval is bound to (diff_hash differs); reload the conversation and decide on the current preview.`,
      }
    : undefined;

/**
 * Calls run in the model's order: an approval of a later call while an earlier one of its turn still waits would
 * outlive the run it starts (which stops at the earlier call) and be closed unrun.
 */
export const orderRule: DecideRule = (facts) => {
  const { earlierAwaiting, callId } = facts;
  // asked as if approving, by the queue too (issue 74 item 9: it offered the second call the decision refused)
  return approving(facts) && earlierAwaiting
    ? {
        status: 409,
        code: 'DECIDE_IN_ORDER',
        reason: `Tool call ${callId} runs after ${earlierAwaiting.callId} (${earlierAwaiting.tool}), which is still waiting; decide ${earlierAwaiting.callId} first (calls run in the order the model proposed them).`,
      }
    : undefined;
};

/**
 * Issue 73 item 6: a call whose dry-run preview failed on a cluster that enforces approvals is never approved, not
 * even with "approve without a preview": the cluster's executor runs only what it computes from an approved preview,
 * so the approval could only end in NOT_EXECUTED. The pending list says so (can_decide false, this reason) and still
 * offers Deny (a denial is not refused here). Read from the risk the gate recorded when it saw the failure.
 */
export const previewRequiredRule: DecideRule = (facts) => {
  const { call, callId } = facts;
  if (!approving(facts) || !call || !approvalNeedsPreview(call)) return undefined;
  const flag = call.risks.find((risk) => risk.code === previewRequiredRiskCode);
  return { status: 409, code: 'PREVIEW_REQUIRED', reason: `Tool call ${callId} cannot be approved. ${flag?.message ?? 'Its dry-run preview failed on a cluster that enforces approvals, which runs only a change whose preview was approved; fix the cause and ask for the change again, or deny it.'}` };
};

/**
 * Issue 31 item 10: a call whose dry-run preview failed (for a reason other than a missing target, which the gate
 * refuses outright) is approved only by someone who says so: "approve without a preview", recorded in the audit trail.
 */
export const previewAcknowledgedRule: DecideRule = ({ request, call, callId }) =>
  request?.approve && !request.withoutPreview && call && hasFailedPreview(call)
    ? {
        status: 400,
        code: 'PREVIEW_NOT_ACKNOWLEDGED',
        reason: `Tool call ${callId} has no dry-run preview (it failed), so nobody has seen what it would change; approve it only by ticking "approve without a preview" (approve_without_preview: true, recorded in the audit trail), or deny it and ask for a call that can be previewed.`,
      }
    : undefined;

/** Issue 21: automatic revert runs the inverse shown on the card; a call without one cannot be approved that way. */
export const autoRevertAvailableRule: DecideRule = ({ request, call, callId }) =>
  request?.autoRevert && call && !call.undo
    ? { status: 400, code: 'AUTO_REVERT_UNAVAILABLE', reason: `Tool call ${callId} has no recorded inverse (no before-state could be captured for ${call.tool}), so it cannot be approved with automatic revert; approve it without auto_revert.` }
    : undefined;

/**
 * Issue 31 item 6 (decision time): under four-eyes, the requester approving their own call with automatic revert
 * would pre-approve its inverse; when that inverse would need a second person, the requester may not.
 */
export const autoRevertFourEyesRule: DecideRule = (facts) => {
  const { request, call, conversation, actor } = facts;
  // The recorded requester, even for an alert's call: choosing automatic revert pre-approves an inverse nobody else
  // reviewed, and the revert path (verify/auto-revert.ts) judges the chooser against the same id.
  if (!request?.autoRevert || !call || actor.id !== (call.requestedBy ?? conversation?.ownerId)) return undefined;
  const deciding = decidingPolicy(facts);
  if (!deciding.fourEyes && deciding.otherPersonRequired === undefined) return undefined;
  if (facts.inverseNeedsSecondPerson === false) return undefined;
  return {
    status: 403,
    code: 'AUTO_REVERT_NEEDS_SECOND_PERSON',
    reason: `Four-eyes: the automatic revert of ${call.callId} (${call.undo?.summary ?? 'its inverse'}) would itself need someone other than you to approve it, so you cannot approve it with auto_revert; approve it without, or ask another approver.`,
  };
};
