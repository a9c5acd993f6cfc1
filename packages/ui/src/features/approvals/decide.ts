/**
 * Deciding a call from the approvals queue, outside its conversation. POST /agent/approvals/:call_id answers with
 * the SSE stream of the run the decision resumes; the queue reads it only until the decision is confirmed or fails,
 * then lets go (closing the stream only unsubscribes: the run goes on and writes its result to the conversation).
 */
import { ApiError, apiResponse } from '../../lib/api.ts';
import { readSse, type SseFrame } from '../../lib/sse.ts';

export type DecisionOutcome =
  | { kind: 'approved' }
  | { kind: 'denied' }
  /** `decided`: the decision was recorded (the call left the queue) but the call did not run, e.g. TARGET_CHANGED */
  | { kind: 'failed'; message: string; decided: boolean };

function field(data: unknown, name: string): string | undefined {
  const value = data && typeof data === 'object' ? (data as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/**
 * Reads frames until the outcome of deciding `callId` is known. A denial is confirmed by `tool.denied`. An approval
 * by `tool.executing` (or its result): `tool.approved` comes before the engine re-runs the dry-run preview, and a
 * target that changed since the approver looked is refused after it (`tool.error` TARGET_CHANGED), so stopping at
 * `tool.approved` would report a change that never happens.
 */
export async function decisionOutcome(frames: AsyncIterable<SseFrame>, callId: string): Promise<DecisionOutcome> {
  let approved = false;
  for await (const frame of frames) {
    const forCall = field(frame.data, 'call_id') === callId;
    if (frame.event === 'tool.denied' && forCall) return { kind: 'denied' };
    if (frame.event === 'tool.approved' && forCall) approved = true;
    if ((frame.event === 'tool.executing' || frame.event === 'tool.result') && forCall) return { kind: 'approved' };
    if (frame.event === 'tool.error' && forCall) {
      const code = field(frame.data, 'code');
      return { kind: 'failed', decided: true, message: `${code ? `${code}: ` : ''}${field(frame.data, 'error') ?? 'the call failed'}` };
    }
    if (frame.event === 'error') return { kind: 'failed', decided: approved, message: field(frame.data, 'error') ?? 'the run failed' };
    if (frame.event === 'completed') break;
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

/** Sends the decision and follows its stream to the outcome; an engine refusal (403 four-eyes, 409…) is a failure with its reason. */
export async function decidePending(item: DecisionTarget, approve: boolean, reason?: string): Promise<DecisionOutcome> {
  const controller = new AbortController();
  try {
    const response = await apiResponse(`/agent/approvals/${encodeURIComponent(item.call_id)}`, {
      // args_hash binds the decision to the exact arguments shown in the queue, diff_hash to the diff shown with them
      body: { conversation_id: item.conversation_id, approve, args_hash: item.args_hash, ...(item.diff_hash ? { diff_hash: item.diff_hash } : {}), ...(reason ? { reason } : {}) },
      signal: controller.signal,
    });
    if (!response.body) return { kind: 'failed', decided: false, message: 'The engine answered without a stream.' };
    return await decisionOutcome(readSse(response.body), item.call_id);
  } catch (error) {
    if (error instanceof ApiError) return { kind: 'failed', decided: false, message: error.message };
    return { kind: 'failed', decided: false, message: error instanceof Error ? `The engine could not be reached: ${error.message}` : String(error) };
  } finally {
    // stop reading; the run continues server-side
    controller.abort();
  }
}
