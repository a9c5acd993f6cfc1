/**
 * Deciding a call from the approvals queue, outside its conversation. POST /agent/approvals/:call_id answers with
 * the SSE stream of the run the decision resumes; the queue reads it only until the decision is confirmed or fails,
 * then lets go (closing the stream only unsubscribes: the run goes on and writes its result to the conversation).
 */
import type { ApprovalWebauthn } from '@skyflo/protocol';
import { SkyfloClientError, type StreamedEvent } from '@skyflo/protocol/client';
import { ApiError, skyflo } from '../../lib/api.ts';

export type DecisionOutcome =
  | { kind: 'approved' }
  | { kind: 'denied' }
  /** `decided`: the decision was recorded (the call left the queue) but the call did not run, e.g. TARGET_CHANGED */
  | { kind: 'failed'; message: string; decided: boolean };

/**
 * Reads frames until the outcome of deciding `callId` is known. A denial is confirmed by `tool.denied`. An approval
 * by `tool.executing` (or its result): `tool.approved` comes before the engine re-runs the dry-run preview, and a
 * target that changed since the approver looked is refused after it (`tool.error` TARGET_CHANGED), so stopping at
 * `tool.approved` would report a change that never happens.
 */
export async function decisionOutcome(events: AsyncIterable<StreamedEvent>, callId: string): Promise<DecisionOutcome> {
  let approved = false;
  for await (const { event } of events) {
    const forCall = 'call_id' in event && event.call_id === callId;
    if (event.type === 'tool.denied' && forCall) return { kind: 'denied' };
    if (event.type === 'tool.approved' && forCall) approved = true;
    if ((event.type === 'tool.executing' || event.type === 'tool.result') && forCall) return { kind: 'approved' };
    if (event.type === 'tool.error' && forCall) return { kind: 'failed', decided: true, message: `${event.code ? `${event.code}: ` : ''}${event.error || 'the call failed'}` };
    if (event.type === 'error') return { kind: 'failed', decided: approved, message: event.error || 'the run failed' };
    if (event.type === 'completed') break;
  }
  return approved ? { kind: 'approved' } : { kind: 'failed', decided: false, message: 'The run ended without confirming the decision; open the conversation to see what happened.' };
}

export interface DecisionTarget {
  call_id: string;
  conversation_id: string;
  args_hash: string;
  /** the hash of the diff the queue showed, when it showed one */
  diff_hash?: string;
}

/**
 * Sends the decision and follows its stream to the outcome; an engine refusal (403 four-eyes, 409…) is a failure with its reason.
 * `autoRevert`: approve with automatic revert (the queue showed the call's recorded inverse and it was ticked);
 * `withoutPreview`: "approve without a preview" was ticked on a call whose dry-run preview failed.
 */
export async function decidePending(item: DecisionTarget, approve: boolean, reason?: string, autoRevert?: boolean, withoutPreview?: boolean, webauthn?: ApprovalWebauthn, breakGlass?: { reason: string }): Promise<DecisionOutcome> {
  const controller = new AbortController();
  try {
    const events = await skyflo.decide({
      callId: item.call_id,
      // args_hash binds the decision to the exact arguments shown in the queue, diff_hash to the diff shown with them
      decision: { conversation_id: item.conversation_id, approve, args_hash: item.args_hash, ...(item.diff_hash ? { diff_hash: item.diff_hash } : {}), ...(reason ? { reason } : {}), ...(approve && autoRevert ? { auto_revert: true } : {}), ...(approve && withoutPreview ? { approve_without_preview: true } : {}), ...(approve && webauthn ? { webauthn } : {}), ...(approve && breakGlass ? { break_glass: breakGlass } : {}) },
      signal: controller.signal,
      // an event this page does not know (a newer engine) or cannot read is skipped, not a failed decision
      invalid: 'skip',
    });
    return await decisionOutcome(events, item.call_id);
  } catch (error) {
    if (error instanceof ApiError) return { kind: 'failed', decided: false, message: error.message };
    if (error instanceof SkyfloClientError && error.code !== 'UNREACHABLE') return { kind: 'failed', decided: false, message: error.message };
    return { kind: 'failed', decided: false, message: error instanceof Error ? `The engine could not be reached: ${error.message}` : String(error) };
  } finally {
    // stop reading; the run continues server-side
    controller.abort();
  }
}
