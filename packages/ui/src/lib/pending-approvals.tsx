/**
 * GET /approvals/pending as TanStack queries under one key (one invalidation refreshes them all): the queue page's
 * pages, the first page the notifications and the home page count, and each conversation's own calls, which its
 * approval cards share (one request however many cards are on screen). A card asks for its own conversation's calls,
 * never for a page of the whole queue: with a long queue its call may be on any page (issue 79), and a call missing
 * from the list reads as decided elsewhere.
 * (.tsx: it reads the session from lib/session.tsx, which the repo-wide .ts typecheck cannot compile.)
 */
import type { PendingApproval, PendingApprovalsQuery, PendingApprovalsResponse } from '@skyflo/protocol';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { useMe } from './session.tsx';
import { skyflo } from './api.ts';
import { decisionRight, type DecisionRight } from './decision-rights.ts';

export const pendingApprovalsKey = ['approvals', 'pending'] as const;
export const fetchPendingApprovals = (input: PendingApprovalsQuery = {}): Promise<PendingApprovalsResponse> => skyflo.pendingApprovals(input);

/** The calls of one conversation waiting for a decision (every one of them: a run stops at its first). */
function useConversationPending(conversationId: string | undefined, options: { refetchInterval?: (data: PendingApprovalsResponse | undefined) => number | false; enabled?: boolean } = {}) {
  return useQuery({
    queryKey: [...pendingApprovalsKey, 'conversation', conversationId],
    queryFn: () => fetchPendingApprovals({ conversation_id: conversationId!, limit: 200 }),
    enabled: conversationId !== undefined && (options.enabled ?? true),
    ...(options.refetchInterval ? { refetchInterval: (query: { state: { data: PendingApprovalsResponse | undefined } }) => options.refetchInterval!(query.state.data) } : {}),
  });
}

/** How often a card that waits for someone else's decision asks whether it was decided. */
export const WAITING_POLL_MS = 2_500;

/**
 * The signed-in user's right to decide `callId` in its conversation. While they cannot (an approver must, or
 * four-eyes), the list is polled; when the call leaves it, someone else decided it and `onDecidedElsewhere` runs
 * (the chat store then shows the decision and follows the run it resumed). A list fetched before this card
 * appeared does not count: it may predate the call.
 */
export function useDecisionRight(conversationId: string | undefined, callId: string, onDecidedElsewhere: () => void): DecisionRight {
  const me = useMe();
  const viewer = me.data ?? undefined;
  const mountedAt = useRef(Date.now());
  const waited = useRef(false);
  const pending = useConversationPending(conversationId, {
    refetchInterval: (data) => (waited.current || decisionRight(callId, data, viewer).kind === 'cannot' ? WAITING_POLL_MS : false),
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
export function useWaitingForOthers(conversationId: string | undefined, callIds: readonly string[]): boolean {
  const me = useMe();
  const viewer = me.data ?? undefined;
  const pending = useConversationPending(conversationId, { enabled: callIds.length > 0 });
  return callIds.length > 0 && callIds.every((callId) => decisionRight(callId, pending.data, viewer).kind === 'cannot');
}

/**
 * Calls waiting for the signed-in user's decision (can_decide) on the queue's first page (the oldest 200), and
 * whether the queue goes on beyond it (`more`: say "200+", not "200").
 */
export function useWaitingForMe(): { items: PendingApproval[]; more: boolean } {
  const pending = useQuery({ queryKey: [...pendingApprovalsKey, 'first'], queryFn: () => fetchPendingApprovals({ limit: 200 }) });
  return { items: (pending.data?.data ?? []).filter((item) => item.can_decide), more: pending.data?.has_more ?? false };
}
