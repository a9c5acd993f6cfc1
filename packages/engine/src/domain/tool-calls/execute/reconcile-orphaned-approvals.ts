/**
 * After an engine process dies between a decision and its outcome, the decision is closed instead of lingering:
 * an approved call that never started is marked failed (it did not run), one that was executing is marked
 * "outcome unknown" (it may have reached the cluster). Either way the conversation shows it, and it is never
 * re-run silently. For an unknown outcome the cluster is then read (read-only) and what it shows now is added: the
 * object a k8s_* call named, or the Helm release of a helm call (describe-release-now.ts: a release left pending-*).
 *
 * The other cards those runs left under way are settled from the database too (settle-dead-run-cards.ts): a call
 * that ran shows its recorded result even when the run died before writing it to the timeline; a question the run
 * never answered gets an answer that says so.
 *
 * Runs at start-up, before the engine listens (issue 19 item 13: a conversation opened right after a restart must
 * not show the call "executing"), and then periodically for runs whose lease lapses later (other processes).
 */
import type { AgentEvent, AgentEventPayload, TimelineEntry } from '@skyflo/protocol';
import type { ToolGateway } from '../../../platform/ports/tool-gateway.ts';
import type { ApprovalRecord, Storage } from '../../../platform/ports/index.ts';
import { applyEventToTimeline } from '../../timeline/apply-event.ts';
import { describeReleaseNow } from './describe-release-now.ts';
import { closeUnansweredQuestion, settleCardsOfDeadRuns } from './settle-dead-run-cards.ts';

export interface ReconcileDeps {
  storage: Pick<Storage, 'approvals' | 'conversations'>;
  logger?: { error(object: unknown, message?: string): void };
  /** this process just started with the database to itself (PGlite): every run still marked running is dead */
  everyRunIsDead?: boolean;
  /** reads what the cluster shows now for a call whose outcome is unknown (read-only tools only) */
  tools?: Pick<ToolGateway, 'callTool'>;
  /** called with the background work that adds the cluster's state (tests and shutdown wait for it) */
  onClusterNotes?: (done: Promise<void>) => void;
}

/** One code per closing, so the stored text, the event and the timeline say the same thing. */
export const closedCallCode = (record: Pick<ApprovalRecord, 'status'>) => (record.status === 'unknown' ? 'UNKNOWN_OUTCOME' : 'NOT_EXECUTED');

/** The card's closing for a call closed without running: what a run emits, and what the reconciler writes for a dead one. */
export function closingPayload(record: ApprovalRecord, text: string): AgentEventPayload<'tool.error'> {
  return { call_id: record.callId, tool: record.tool, title: record.tool, args: record.args, error: text, code: closedCallCode(record) };
}

function closingEvent(record: ApprovalRecord, text: string): AgentEvent {
  return {
    type: 'tool.error',
    ...closingPayload(record, text),
    conversation_id: record.conversationId,
    ...(record.decisionRunId ? { run_id: record.decisionRunId } : {}),
    timestamp: Date.now(),
  } as AgentEvent;
}

async function showInConversation(deps: ReconcileDeps, record: ApprovalRecord, text: string): Promise<void> {
  await deps.storage.conversations
    .updateTimeline(record.conversationId, (timeline) => applyEventToTimeline(timeline, closingEvent(record, text)))
    .catch((error: unknown) => deps.logger?.error({ err: error, callId: record.callId }, 'could not show a reconciled approval in its conversation'));
}

const firstLine = (text: string) => (text.split('\n').find((line) => line.trim() !== '') ?? '').trim().slice(0, 200);

/**
 * What the cluster shows now for the call's target, in one sentence, or undefined when the call names no object
 * (nothing cheap to read). Uses k8s_get, a read-only tool, with a short timeout; failures say "could not read".
 */
export async function describeTargetNow(tools: Pick<ToolGateway, 'callTool'>, record: Pick<ApprovalRecord, 'tool' | 'args'>): Promise<string | undefined> {
  const { name, resource_type: resourceType, namespace, replicas } = record.args as Record<string, unknown>;
  if (!record.tool.startsWith('k8s_') || typeof name !== 'string' || typeof resourceType !== 'string') return undefined;
  const target = `${resourceType}/${name}${typeof namespace === 'string' ? ` in ${namespace}` : ''}`;
  try {
    const outcome = await tools.callTool({ name: 'k8s_get', args: { resource_type: resourceType, name, ...(typeof namespace === 'string' ? { namespace } : {}), output: 'json' }, timeoutMs: 10_000 });
    if (outcome.isError) return `The cluster now: could not read ${target} (${firstLine(outcome.text)}).`;
    const object = JSON.parse(outcome.text) as { spec?: { replicas?: number }; status?: { readyReplicas?: number } };
    if (typeof object.spec?.replicas === 'number') {
      const asked = typeof replicas === 'number' ? `; the call asked for ${replicas}` : '';
      return `The cluster now: ${target} has ${object.spec.replicas} replicas (${object.status?.readyReplicas ?? 0} ready)${asked}.`;
    }
    return `The cluster now: ${target} exists.`;
  } catch (error) {
    return `The cluster now: could not read ${target} (${error instanceof Error ? firstLine(error.message) : 'unknown error'}).`;
  }
}

/** What the cluster shows now for a call whose outcome is unknown (its Helm release, or the object it named), if anything. */
export async function clusterNoteFor(tools: Pick<ToolGateway, 'callTool'>, record: Pick<ApprovalRecord, 'tool' | 'args'>): Promise<string | undefined> {
  return (await describeReleaseNow(tools, record)) ?? (await describeTargetNow(tools, record));
}

async function addClusterNotes(deps: ReconcileDeps & { tools: Pick<ToolGateway, 'callTool'> }, unknown: ApprovalRecord[]): Promise<void> {
  for (const record of unknown) {
    const note = await clusterNoteFor(deps.tools, record);
    if (!note || !deps.storage.approvals.noteUnknownOutcome) continue;
    const text = `${record.resultSummary ?? ''} ${note}`.trim();
    try {
      if (await deps.storage.approvals.noteUnknownOutcome({ conversationId: record.conversationId, callId: record.callId, resultSummary: text })) await showInConversation(deps, record, text);
    } catch (error) {
      deps.logger?.error({ err: error, callId: record.callId }, 'could not add the cluster state to a call whose outcome is unknown');
    }
  }
}

/**
 * The cards a dead run left under way in one conversation get what the database recorded for their calls
 * (settle-dead-run-cards.ts), and with `unansweredBefore` a question the run never answered gets a failed answer
 * saying so (closeUnansweredQuestion; only the reconciler, which knows when it found the run dead, asks for that).
 * Read first: a conversation with nothing to change is not written (nor moved up the list); the write re-applies both
 * on the row it updates. Also asked by a claim that ended a lapsed run itself (conversation-runs.ts), without
 * `unansweredBefore`: the claim's own question is the last entry then. Never throws: the failure is logged, and the
 * answer says whether the conversation is settled (false: try again later).
 */
export async function settleCardsOfDeadRunsIn(deps: Pick<ReconcileDeps, 'storage' | 'logger'>, conversationId: string, options: { unansweredBefore?: number } = {}): Promise<boolean> {
  try {
    const [conversation, records] = await Promise.all([deps.storage.conversations.get(conversationId), deps.storage.approvals.listForConversation(conversationId)]);
    const rows = new Map(records.map((record) => [record.callId, record]));
    const settle = (timeline: TimelineEntry[]) => {
      const settled = settleCardsOfDeadRuns(timeline, rows, conversationId, Date.now()).timeline;
      return options.unansweredBefore === undefined ? settled : closeUnansweredQuestion(settled, conversationId, options.unansweredBefore);
    };
    if (!conversation || settle(conversation.timeline) === conversation.timeline) return true;
    await deps.storage.conversations.updateTimeline(conversationId, settle);
    return true;
  } catch (error) {
    deps.logger?.error({ err: error, conversationId }, 'could not settle what a dead run left under way');
    return false;
  }
}

export async function reconcileOrphanedApprovals(deps: ReconcileDeps): Promise<number> {
  const startedAt = Date.now();
  let reconciled;
  try {
    reconciled = await deps.storage.approvals.reconcileOrphans(deps.everyRunIsDead ? { everyRunIsDead: true } : undefined);
  } catch (error) {
    deps.logger?.error({ err: error }, 'could not reconcile approvals of runs that died');
    return 0;
  }
  const { closed, conversationsOfDeadRuns } = reconciled;
  for (const record of closed) await showInConversation(deps, record, record.resultSummary ?? 'Not executed.');
  for (const conversationId of conversationsOfDeadRuns) await settleCardsOfDeadRunsIn(deps, conversationId, { unansweredBefore: startedAt });
  const unknown = closed.filter((record) => record.status === 'unknown');
  if (deps.tools && unknown.length > 0) {
    const notes = addClusterNotes({ ...deps, tools: deps.tools }, unknown);
    deps.onClusterNotes?.(notes);
  }
  return closed.length;
}
