/**
 * A run killed outright (kill -9, a lost node) leaves its conversation's cards where its last landed timeline write
 * put them: a run queues the writes of its events and does not await each one, so the outcome of the call it was
 * running (or had just finished) may never reach the stored timeline. The approval rows did commit with the change
 * (markExecuted, the reconciler's closing), so once the reconciler has ended such a run — or a new run's claim of
 * the conversation has ended it on finding its lease lapsed (conversation-runs.ts) — every card of its conversation
 * still under way gets what the database recorded for that call:
 *  - executed: its recorded result (the row's summary);
 *  - failed, unknown, cancelled, denied: the recorded reason;
 *  - no approval row: a read, or a change that was never approved — cut short, and it changed nothing.
 * Cards whose row still awaits a decision are left as they are (the call still waits), and so are calls a live run
 * holds.
 *
 * A run that starts in the same conversation between the reconciler's pass and this write would find a card of its
 * own marked interrupted for a moment; its own outcome, written afterwards, replaces it (the stored fold applies
 * events in order).
 */
import type { AgentEvent, TimelineEntry } from '@skyflo/protocol';
import type { ApprovalRecord } from '../../../platform/ports/index.ts';
import { applyEventToTimeline } from '../../timeline/apply-event.ts';

export const interruptedCallText =
  'Not finished: the engine stopped while this call was under way. It made no change (it was a read, or a change that was never approved); ask again if it is still needed.';

/**
 * Card states that only a run moves on: a card left in one of them by a dead run would show it under way for ever.
 * A card awaiting approval moves too when its row says the call was decided and ended (the run that decided it lost
 * its timeline writes); while the row still awaits, it is left waiting.
 */
const movingStatuses = new Set(['pending', 'approved', 'executing', 'awaiting_approval']);

/** Row states whose call is still someone's to move: awaiting a decision, or decided for a run that is alive. */
const openRowStatuses = new Set<ApprovalRecord['status']>(['awaiting', 'approved', 'executing']);

/** The event that shows what the database recorded for a call whose card is still under way, or none. */
function outcomeOf(card: { call_id: string; tool: string; title: string; args: Record<string, unknown> }, row: ApprovalRecord | undefined, conversationId: string, timestamp: number): AgentEvent | undefined {
  const identity = { call_id: card.call_id, tool: card.tool, title: card.title, args: card.args, conversation_id: conversationId, timestamp };
  if (row && openRowStatuses.has(row.status)) return undefined;
  if (row?.status === 'executed') return { type: 'tool.result', ...identity, result: [{ type: 'text', text: row.resultSummary ?? 'Executed.' }] } as AgentEvent;
  if (!row) return { type: 'tool.error', ...identity, error: interruptedCallText, code: 'INTERRUPTED' } as AgentEvent;
  const code = row.status === 'unknown' ? 'UNKNOWN_OUTCOME' : row.status === 'cancelled' ? 'CANCELLED' : undefined;
  const error = row.resultSummary ?? (row.status === 'denied' ? `Denied${row.reason ? `: ${row.reason}` : '.'}` : 'Not executed.');
  return { type: 'tool.error', ...identity, error, ...(code ? { code } : {}) } as AgentEvent;
}

/**
 * The timeline with every card still under way settled from the conversation's approval rows (`rows`, by call id),
 * and how many it settled. Pure: the reconciler reads the rows and writes the result.
 */
export function settleCardsOfDeadRuns(timeline: TimelineEntry[], rows: ReadonlyMap<string, ApprovalRecord>, conversationId: string, timestamp: number): { timeline: TimelineEntry[]; settled: number } {
  const outcomes: AgentEvent[] = [];
  for (const entry of timeline) {
    if (entry.type !== 'assistant') continue;
    for (const segment of entry.segments) {
      if (segment.kind !== 'tool' || !movingStatuses.has(segment.toolExecution.status)) continue;
      const outcome = outcomeOf(segment.toolExecution, rows.get(segment.id), conversationId, timestamp);
      if (outcome) outcomes.push(outcome);
    }
  }
  return { timeline: outcomes.reduce(applyEventToTimeline, timeline), settled: outcomes.length };
}

export const unansweredText =
  'No answer: the engine stopped while answering this (a restart or a crash), and what it had streamed was not kept. Ask again if it is still needed.';

/**
 * The timeline with a failed answer under a question a dead run never answered: the conversation ends with the user's
 * message (or an alert), or with an answer that holds nothing yet (its first-token time only), because nothing of the
 * answer reached the stored timeline (a kill -9 mid-stream keeps no token). Without it the conversation showed the
 * question alone, as if nobody had tried. `askedBefore`: only a question asked before the reconciler found the run
 * dead — a later one is a new, live run's.
 */
export function closeUnansweredQuestion(timeline: TimelineEntry[], conversationId: string, askedBefore: number): TimelineEntry[] {
  const last = timeline.at(-1);
  const answer = last?.type === 'assistant' ? last : undefined;
  if (answer && (answer.content !== '' || answer.segments.length > 0 || answer.error !== undefined)) return timeline;
  const question = answer ? timeline.at(-2) : last;
  if (!question || (question.type !== 'user' && question.type !== 'alert') || question.timestamp > askedBefore) return timeline;
  return applyEventToTimeline(timeline, { type: 'workflow.error', conversation_id: conversationId, error: unansweredText, code: 'INTERRUPTED', timestamp: askedBefore } as AgentEvent);
}
