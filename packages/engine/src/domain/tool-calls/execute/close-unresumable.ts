/**
 * Issue 75 item 2: calls awaiting a decision whose run can no longer resume. A run records its calls as awaiting while
 * it pauses, and saves the turn it paused at (the checkpoint) only as it ends; one killed in between (a replica lost,
 * the database gone) leaves rows awaiting that no run can pick up: an approval would start a run with nothing to
 * resume ("messages must not be empty") and leave the approved call without an outcome. A decision on such a call is
 * refused before it is accepted (409 RUN_NOT_RESUMABLE, agent/prepare-decision.ts), and every awaiting call of the
 * conversation that is not in its saved turn is closed here as cancelled, saying why, so none is left waiting (and
 * blocking the conversation's next message) for ever.
 */
import type { AgentEvent } from '@skyflo/protocol';
import type { ApprovalRecord, Storage } from '../../../platform/ports/index.ts';
import { applyEventToTimeline } from '../../timeline/apply-event.ts';

export const unresumableText =
  'Not executed: the run that proposed this call ended before its state was saved (its engine stopped, or lost its database, while pausing for this approval), so it can no longer be decided. Nothing was changed; ask for it again in this conversation if it is still wanted.';

/** The 409 a decision on such a call answers: what happened and what to do. */
export const unresumableDecisionText = (callId: string) =>
  `Tool call ${callId} can no longer be decided: the run that proposed it ended before its state was saved (its engine stopped, or lost its database, while pausing for this approval). Nothing was executed, and the call is now closed; send your request again in this conversation if the change is still wanted.`;

/**
 * Closes the conversation's awaiting calls that are not in `pausedCallIds` (the turn its checkpoint paused at), and
 * shows each closing on its card. The caller holds the conversation (its run claim), so no run is writing a turn
 * meanwhile. Returns the calls it closed.
 */
export async function closeUnresumableCalls(deps: { storage: Pick<Storage, 'approvals' | 'conversations'> }, conversationId: string, pausedCallIds: readonly string[]): Promise<ApprovalRecord[]> {
  const paused = new Set(pausedCallIds);
  const stranded = (await deps.storage.approvals.listForConversation(conversationId)).filter((record) => record.status === 'awaiting' && !paused.has(record.callId));
  const closed: ApprovalRecord[] = [];
  for (const record of stranded) {
    if (await deps.storage.approvals.cancelAwaiting({ conversationId, callId: record.callId, reason: unresumableText })) closed.push(record);
  }
  if (closed.length === 0) return closed;
  const timestamp = Date.now();
  const events = closed.map(
    (record) => ({ type: 'tool.error', call_id: record.callId, tool: record.tool, title: record.tool, args: record.args, error: unresumableText, code: 'NOT_EXECUTED', conversation_id: conversationId, timestamp }) as AgentEvent,
  );
  await deps.storage.conversations.updateTimeline(conversationId, (timeline) => events.reduce(applyEventToTimeline, timeline));
  return closed;
}
