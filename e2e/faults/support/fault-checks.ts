/**
 * What the fault suite checks after each fault, from the outside: the cluster's request log (did each approved call
 * write exactly once?), the audit trail (does every decision and execution have its record, does the chain verify?),
 * what each user's stream showed (no duplicated or missing text) and what every replica answers for each
 * conversation (readable everywhere, no card left hanging).
 */
import type { KubeSim } from '@skyflo/sandbox/kube-sim';
import type { ToolExecutionRecord, TimelineEntry } from '@skyflo/protocol';
import type { FlowRecord, FlowUser } from './user-flow.ts';
import type { Replica } from './replicas.ts';

/** Writes (not dry-runs) of one deployment or its scale subresource, as kube-sim received them. */
export function writesOf(kube: KubeSim, deployment: string): number {
  const target = new RegExp(`/apis/apps/v1/namespaces/default/deployments/${deployment}(/scale)?$`);
  return kube.calls.filter((call) => target.test(call.path) && ['patch', 'update'].includes(call.verb ?? '') && !call.query['dryRun'] && call.status < 400).length;
}

export async function readCard(replica: Replica, user: FlowUser, conversationId: string, callId: string): Promise<{ status: number; card?: ToolExecutionRecord; shape?: string }> {
  const response = await fetch(`${replica.url}/conversations/${conversationId}`, { headers: { authorization: `Bearer ${user.token}` }, signal: AbortSignal.timeout(30_000) });
  if (!response.ok) return { status: response.status };
  const body = (await response.json()) as { messages: TimelineEntry[] };
  for (const entry of body.messages) {
    if (entry.type !== 'assistant') continue;
    for (const segment of entry.segments) if (segment.kind === 'tool' && segment.toolExecution.call_id === callId) return { status: 200, card: segment.toolExecution };
  }
  // what the stored conversation holds instead, for the problem's text
  const shape = body.messages.map((entry) => (entry.type === 'assistant' ? `assistant[${entry.segments.map((segment) => (segment.kind === 'tool' ? `tool:${segment.toolExecution.call_id}:${segment.toolExecution.status}` : segment.kind)).join(',')}]${entry.error ? `(error: ${entry.error.slice(0, 120)})` : ''}` : entry.type)).join(' ');
  return { status: 200, shape };
}

export interface AuditRow {
  action: string;
  subject_id: string | null;
  details: Record<string, unknown>;
}

export async function readAudit(replica: Replica, admin: FlowUser): Promise<AuditRow[]> {
  const response = await fetch(`${replica.url}/audit/export?format=jsonl`, { headers: { authorization: `Bearer ${admin.token}` }, signal: AbortSignal.timeout(60_000) });
  if (!response.ok) throw new Error(`audit export answered ${response.status}: ${await response.text()}`);
  return (await response.text())
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditRow);
}

export async function verifyAudit(replica: Replica, admin: FlowUser): Promise<{ ok: boolean; records_checked: number; broken_at?: unknown }> {
  const response = await fetch(`${replica.url}/audit/verify`, { headers: { authorization: `Bearer ${admin.token}` }, signal: AbortSignal.timeout(60_000) });
  return (await response.json()) as { ok: boolean; records_checked: number; broken_at?: unknown };
}

/** A card that no longer moves by itself: decided and ended, with its outcome or its reason. */
export const settledStatuses = new Set(['completed', 'error', 'denied']);

export interface FlowVerdict {
  callId: string;
  writes: number;
  cardStatus?: string;
  cardError?: string;
  cardErrorCode?: string;
  decisionAudited: boolean;
  executionAudited: boolean;
  streamText: string;
  streamCompleted: boolean;
  problems: string[];
}

/** Judges one flow once the system has settled; `problems` lists each broken promise in words a reader can act on. */
export function judgeFlow(options: { record: FlowRecord; writes: number; cards: Array<{ replica: string; status: number; card?: ToolExecutionRecord; shape?: string }>; audit: AuditRow[] }): FlowVerdict {
  const { record, writes, cards, audit } = options;
  const problems: string[] = [];
  // a decision names its call as the record's subject, an execution in its details
  const forCall = (action: string) => audit.some((row) => row.action === action && (row.subject_id === record.callId || row.details['call_id'] === record.callId));
  const decisionAudited = forCall('approval.approved') || forCall('approval.denied');
  const executionAudited = forCall('tool.execution_started');
  const card = cards.find((entry) => entry.card)?.card;
  if (writes > 1) problems.push(`${record.callId} wrote ${writes} times (exactly once expected)`);
  for (const entry of cards) if (entry.status !== 200) problems.push(`${record.callId}: conversation unreadable on ${entry.replica} (${entry.status})`);
  const statuses = new Set(cards.map((entry) => entry.card?.status ?? 'none'));
  if (statuses.size > 1) problems.push(`${record.callId}: replicas disagree on the card (${[...statuses].join(' / ')})`);
  if (record.decided || card?.decided_by) {
    if (!card) problems.push(`${record.callId}: decided but no card in the stored conversation (it holds: ${cards[0]?.shape ?? 'nothing readable'})`);
    else if (!settledStatuses.has(card.status)) problems.push(`${record.callId}: card left ${card.status} after the fault`);
    else if (writes === 0 && card.status !== 'denied' && !card.error) problems.push(`${record.callId}: not executed, and the card gives no reason (${card.status})`);
    if (!decisionAudited) problems.push(`${record.callId}: decided without an approval.* audit record`);
  }
  if (writes === 1 && !executionAudited) problems.push(`${record.callId}: the cluster shows the write but no tool.execution_started audit record exists`);
  // Issue 75: what ran is recorded as run. A call the cluster shows written is `completed`, or `unknown` when nobody
  // could know (its answer was lost), never failed or cancelled; one recorded as run wrote.
  if (writes === 1 && card && card.status !== 'completed' && card.error_code !== 'UNKNOWN_OUTCOME') problems.push(`${record.callId}: the cluster shows its write, but its card says ${card.status}${card.error_code ? ` (${card.error_code})` : ''}: ${card.error ?? ''}`.slice(0, 600));
  if (writes === 0 && card?.status === 'completed') problems.push(`${record.callId}: its card says it ran, but the cluster shows no write`);
  if (writes === 1 && forCall('tool.failed')) problems.push(`${record.callId}: the cluster shows its write, but the audit trail records it as failed (tool.failed)`);
  // A decision the engine accepted and then could not resume ("messages must not be empty"), or answered with a 500.
  const lostTurn = record.approvalFrames.find((frame) => (frame.event === 'workflow.error' || frame.event === 'completed') && String(frame.data['error'] ?? '').includes('messages must not be empty'));
  if (lostTurn) problems.push(`${record.callId}: the approval was accepted for a run that could not resume it: ${JSON.stringify(lostTurn.data).slice(0, 300)}`);
  if (record.decisionStatuses.includes(500)) problems.push(`${record.callId}: a decision answered 500 (statuses ${record.decisionStatuses.join(', ')})`);
  // Refused because its run could not resume: the card says the call is closed, and nothing ran.
  if (record.notResumable && (card?.status !== 'error' || card.error_code !== 'NOT_EXECUTED' || writes !== 0)) problems.push(`${record.callId}: refused as not resumable, yet its card is ${card?.status ?? 'missing'} (${card?.error_code ?? '-'}) with ${writes} write(s)`);
  // Not approved because its preview failed: nobody decided it, and nothing ran.
  if (record.previewFailed && (writes !== 0 || card?.decided_by)) problems.push(`${record.callId}: its preview failed and nobody approved it, yet ${writes} write(s) and decided by ${card?.decided_by ?? 'nobody'}`);
  const tokens = record.approvalFrames.filter((frame) => frame.event === 'token').map((frame) => String(frame.data['text'] ?? ''));
  const streamText = tokens.join('');
  const completed = record.approvalFrames.findLast((frame) => frame.event === 'completed');
  const streamCompleted = completed?.data['status'] === 'completed';
  const seen = () => record.approvalFrames.map((frame) => `${frame.id ?? '-'}:${frame.event}${frame.event === 'workflow.error' || frame.event === 'completed' ? JSON.stringify(frame.data).slice(0, 300) : ''}`).join(' ');
  if (streamCompleted && streamText !== record.plan.expectedAnswer) problems.push(`${record.callId}: the stream showed ${JSON.stringify(streamText)}, the model said ${JSON.stringify(record.plan.expectedAnswer)} (frames: ${seen()})`);
  if (!streamCompleted && !record.plan.expectedAnswer.startsWith(streamText)) problems.push(`${record.callId}: the broken stream showed text the model never said in that order: ${JSON.stringify(streamText)} (frames: ${seen()})`);
  return { callId: record.callId, writes, cardStatus: card?.status, cardError: card?.error, cardErrorCode: card?.error_code, decisionAudited, executionAudited, streamText, streamCompleted, problems };
}
