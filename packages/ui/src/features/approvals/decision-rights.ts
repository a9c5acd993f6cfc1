/**
 * Whether the signed-in user may decide a call, in words a person reads. The engine is the authority: GET
 * /approvals/pending says `can_decide` per call, and a refused decision answers 403 with its reason. This only
 * turns that answer (and the policy it came with) into what the card and the queue show, so a member is never
 * offered an Approve button the engine would refuse.
 */
import type { PendingApproval } from '@skyflo/protocol';

export interface PendingList {
  policy: 'self' | 'approver';
  four_eyes: boolean;
  data: PendingApproval[];
}

export interface Viewer {
  id: string;
  role: 'admin' | 'approver' | 'member';
}

export type DecisionRight = { kind: 'can' } | { kind: 'cannot'; reason: string } | { kind: 'unknown' };

export const approverMustDecide = 'Only approvers and admins decide changes in this workspace (approval policy: approver). An approver sees this call under Pending approvals.';
export const someoneElseMustDecide = 'Four-eyes rule: you asked for this destructive or high-risk change, so someone else must approve or deny it.';

/** Why `item` (with can_decide false) cannot be decided by `viewer`, following the engine's rules in order. */
export function cannotDecideReason(item: Pick<PendingApproval, 'destructive' | 'requested_by'> & { risks?: PendingApproval['risks'] }, list: Pick<PendingList, 'policy' | 'four_eyes'>, viewer?: Viewer): string {
  if (list.policy === 'approver' && viewer?.role === 'member') return approverMustDecide;
  // the engine's four-eyes rule covers destructive calls and calls with a high-severity risk
  const fourEyes = item.destructive || (item.risks ?? []).some((risk) => risk.severity === 'high');
  if (list.four_eyes && fourEyes && viewer && item.requested_by.id === viewer.id) return someoneElseMustDecide;
  return 'You are not allowed to decide this call; someone with the approver role must.';
}

/**
 * The viewer's right to decide `callId`. A call not (yet) in the list — the list was fetched before the call was
 * proposed — is decided by what the policy says of the viewer's role: a member in approver mode never decides;
 * an admin or approver may (the engine still has the last word, e.g. four-eyes). A member whose list has not
 * loaded yet is `unknown`, so the card waits a moment instead of showing buttons it may take back.
 */
export function decisionRight(callId: string, list: PendingList | undefined, viewer: Viewer | undefined): DecisionRight {
  const item = list?.data.find((candidate) => candidate.call_id === callId);
  if (item) return item.can_decide ? { kind: 'can' } : { kind: 'cannot', reason: cannotDecideReason(item, list!, viewer) };
  if (list?.policy === 'approver' && viewer?.role === 'member') return { kind: 'cannot', reason: approverMustDecide };
  if (!list && (!viewer || viewer.role === 'member')) return { kind: 'unknown' };
  return { kind: 'can' };
}
