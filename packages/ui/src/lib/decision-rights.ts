/**
 * Whether the signed-in user may decide a call, in words a person reads. The engine is the authority: GET
 * /approvals/pending says `can_decide` per call and, when false, `cannot_decide_reason` in the same words a refused
 * decision answers 403 with. The card and the queue show that reason as is (no copy of the engine's rules here), so a
 * member is never offered an Approve button the engine would refuse.
 */
import { previewRequiredRiskCode, type PendingApproval, type PendingApprovalsResponse } from '@skyflo/protocol';

export interface Viewer {
  id: string;
  role: 'admin' | 'approver' | 'member';
}

/**
 * `deny-only`: the viewer may deny the call but nobody can approve it as it is (issue 73 item 6: its preview failed on
 * a cluster that enforces approvals; or its cluster is stale): the card shows why and keeps Deny, so it can leave the
 * queue. `cannot`: someone else decides it (an approver, four-eyes).
 * `breakGlass` (issue 76 item 6): a change freeze holds the call and this admin may approve it anyway, with a reason
 * and their passkey (the engine's can_break_glass) — on the Approvals page, which asks for both.
 */
export type DecisionRight = { kind: 'can' } | { kind: 'deny-only'; reason: string; breakGlass?: true } | { kind: 'cannot'; reason: string } | { kind: 'unknown' };

/** The role-based guess for a call the list does not have yet (a listed call carries the engine's own reason). */
export const approverMustDecide = 'Only approvers and admins decide changes in this workspace (approval policy: approver). An approver sees this call under Pending approvals.';

/**
 * Issue 73 item 6: what the card and the queue say by Deny for a call whose preview failed on a cluster that enforces
 * approvals; its PREVIEW_REQUIRED risk, shown above, says why and what to do.
 */
export const previewRequiredWords = `Nobody can approve this call on this cluster: read ${previewRequiredRiskCode} above. Deny it, or fix the cause and ask for the change again.`;

/** Why a listed call (can_decide false) cannot be decided: the engine's reason, the words a refused decision answers with. */
export function cannotDecideReason(item: Pick<PendingApproval, 'cannot_decide_reason'>): string {
  return item.cannot_decide_reason ?? 'You are not allowed to decide this call; the engine did not say why (ask an approver or an admin).';
}

/**
 * The viewer's right to decide `callId`. A call not (yet) in the list — the list was fetched before the call was
 * proposed — is decided by what the policy says of the viewer's role: a member in approver mode never decides;
 * an admin or approver may (the engine still has the last word, e.g. four-eyes). A member whose list has not
 * loaded yet is `unknown`, so the card waits a moment instead of showing buttons it may take back.
 */
export function decisionRight(callId: string, list: PendingApprovalsResponse | undefined, viewer: Viewer | undefined): DecisionRight {
  const item = list?.data.find((candidate) => candidate.call_id === callId);
  // an older engine says nothing of can_deny: as can_decide
  if (item) return item.can_decide ? { kind: 'can' } : item.can_deny === true ? { kind: 'deny-only', reason: cannotDecideReason(item), ...(item.can_break_glass === true ? { breakGlass: true as const } : {}) } : { kind: 'cannot', reason: cannotDecideReason(item) };
  if (list?.policy === 'approver' && viewer?.role === 'member') return { kind: 'cannot', reason: approverMustDecide };
  if (!list && (!viewer || viewer.role === 'member')) return { kind: 'unknown' };
  return { kind: 'can' };
}
