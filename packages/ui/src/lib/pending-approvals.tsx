/**
 * GET /approvals/pending as one TanStack query shared by the queue page and the chat's approval cards (one cache,
 * one request however many cards are on screen), and the card's hook built on it.
 * (.tsx: it reads the session from lib/session.tsx, which the repo-wide .ts typecheck cannot compile.)
 */
import type { PendingApprovalsResponse } from '@skyflo/protocol';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { useMe } from './session.tsx';
import { skyflo } from './api.ts';
import { decisionRight, type DecisionRight } from './decision-rights.ts';

export const pendingApprovalsKey = ['approvals', 'pending'] as const;
export const fetchPendingApprovals = (): Promise<PendingApprovalsResponse> => skyflo.pendingApprovals();

/** How often a card that waits for someone else's decision asks whether it was decided. */
export const WAITING_POLL_MS = 2_500;

/**
 * The signed-in user's right to decide `callId` in its conversation. While they cannot (an approver must, or
 * four-eyes), the list is polled; when the call leaves it, someone else decided it and `onDecidedElsewhere` runs
 * (the chat store then shows the decision and follows the run it resumed). A list fetched before this card
 * appeared does not count: it may predate the call.
 */
export function useDecisionRight(callId: string, onDecidedElsewhere: () => void): DecisionRight {
  const me = useMe();
  const viewer = me.data ?? undefined;
  const mountedAt = useRef(Date.now());
  const waited = useRef(false);
  const pending = useQuery({
    queryKey: pendingApprovalsKey,
    queryFn: fetchPendingApprovals,
    refetchInterval: (query) => (waited.current || decisionRight(callId, query.state.data, viewer).kind === 'cannot' ? WAITING_POLL_MS : false),
  });
  const right = decisionRight(callId, pending.data, viewer);
  if (right.kind === 'cannot') waited.current = true;
  const listed = pending.data?.data.some((item) => item.call_id === callId) ?? false;
  const fresh = pending.dataUpdatedAt >= mountedAt.current;
  const decidedElsewhere = waited.current && fresh && pending.isSuccess && !listed;
  const callback = useRef(onDecidedElsewhere);
  callback.current = onDecidedElsewhere;
  useEffect(() => {
    if (decidedElsewhere) callback.current();
  }, [decidedElsewhere, pending.dataUpdatedAt]);
  return right;
}

/**
 * Whether every call awaiting a decision in the open conversation waits for someone else (an approver, or another
 * person under four-eyes): the page then says so instead of "your decision", and offers no Approve all / Decline all
 * the engine would refuse. Reads the cards' query; the cards do the polling.
 */
export function useWaitingForOthers(callIds: readonly string[]): boolean {
  const me = useMe();
  const viewer = me.data ?? undefined;
  const pending = useQuery({ queryKey: pendingApprovalsKey, queryFn: fetchPendingApprovals, enabled: callIds.length > 0 });
  return callIds.length > 0 && callIds.every((callId) => decisionRight(callId, pending.data, viewer).kind === 'cannot');
}

/** Calls waiting for the signed-in user's decision (can_decide), from the shared pending-approvals query. */
export function useWaitingForMe() {
  const pending = useQuery({ queryKey: pendingApprovalsKey, queryFn: fetchPendingApprovals });
  return (pending.data?.data ?? []).filter((item) => item.can_decide);
}
