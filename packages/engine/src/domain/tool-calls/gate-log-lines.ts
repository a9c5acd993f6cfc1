/**
 * Issue 80 item 7: the engine's log says, on its own line, every time the gate did not do what was asked — an
 * execution refused or lost, a dry-run preview that failed, a decision refused (a stale approval among them) — so an
 * operator reading the log (not the conversation) sees it. Pure: what to log for an event or a refusal; the callers
 * write it with their logger. Nothing of the arguments or the output is logged (they may hold what the model must not
 * see either); the error text is the engine's own, already redacted like the stream.
 */
import { previewFailedRiskCode, previewRequiredRiskCode } from '@skyflo/protocol';

export interface GateLogLine {
  level: 'warn' | 'info';
  message: string;
  fields: Record<string, unknown>;
}

interface EventLike {
  type: string;
  [field: string]: unknown;
}

const identity = (event: EventLike) => ({ conversationId: event['conversation_id'], runId: event['run_id'], callId: event['call_id'], tool: event['tool'] });

/** The line an agent event asks for, if any. */
export function gateLogLineOfEvent(event: EventLike): GateLogLine | undefined {
  if (event.type === 'tool.error' && typeof event['code'] === 'string') {
    // the engine refused or lost the call (not the tool failing on its own): CANCELLED, NOT_EXECUTED, TARGET_CHANGED…
    return { level: 'warn', message: `tool call not executed: ${event['code']}`, fields: { ...identity(event), code: event['code'], reason: event['error'] } };
  }
  if (event.type === 'tool.awaiting_approval') {
    const risks = Array.isArray(event['risks']) ? (event['risks'] as Array<{ code?: unknown; message?: unknown }>) : [];
    const failed = risks.find((risk) => risk.code === previewRequiredRiskCode || risk.code === previewFailedRiskCode);
    if (failed) return { level: 'warn', message: `dry-run preview failed: ${String(failed.code)}`, fields: { ...identity(event), code: failed.code, reason: failed.message } };
  }
  return undefined;
}

/** Decision refusals an operator must see (the cluster changed under a waiting call, an approval nobody can give). */
const operatorRefusals = new Set(['CLUSTER_STALE', 'PREVIEW_REQUIRED', 'DECISION_CHECK_FAILED']);

/** The line a refused decision asks for: every refusal is logged, the ones an operator must act on as warnings. */
export function gateLogLineOfRefusal(refusal: { status: number; code: string; reason: string }, call: { conversationId: string; callId: string; decidedBy: string }): GateLogLine {
  return {
    level: operatorRefusals.has(refusal.code) ? 'warn' : 'info',
    message: `decision refused: ${refusal.code}${refusal.code === 'CLUSTER_STALE' ? ' (a stale approval)' : ''}`,
    fields: { conversationId: call.conversationId, callId: call.callId, decidedBy: call.decidedBy, code: refusal.code, status: refusal.status, reason: refusal.reason },
  };
}
