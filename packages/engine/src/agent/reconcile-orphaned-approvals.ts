/**
 * After an engine process dies between a decision and its outcome, the decision is closed instead of lingering:
 * an approved call that never started is marked failed (it did not run), one that was executing is marked
 * "outcome unknown" (it may have reached the cluster). Either way the conversation shows it, and it is never
 * re-run silently.
 */
import type { AgentEvent } from '@skyflo/protocol';
import type { Storage } from '../ports/index.ts';
import { applyEventToTimeline } from '../timeline/apply-event.ts';

export async function reconcileOrphanedApprovals(deps: { storage: Pick<Storage, 'approvals' | 'conversations'>; logger?: { error(object: unknown, message?: string): void } }): Promise<number> {
  let changed;
  try {
    changed = await deps.storage.approvals.reconcileOrphans();
  } catch (error) {
    deps.logger?.error({ err: error }, 'could not reconcile approvals of runs that died');
    return 0;
  }
  for (const record of changed) {
    const event = {
      type: 'tool.error',
      call_id: record.callId,
      tool: record.tool,
      title: record.tool,
      args: record.args,
      error: record.resultSummary ?? 'Not executed.',
      code: record.status === 'unknown' ? 'UNKNOWN_OUTCOME' : 'NOT_EXECUTED',
      conversation_id: record.conversationId,
      ...(record.decisionRunId ? { run_id: record.decisionRunId } : {}),
      timestamp: Date.now(),
    } as AgentEvent;
    await deps.storage.conversations
      .updateTimeline(record.conversationId, (timeline) => applyEventToTimeline(timeline, event))
      .catch((error: unknown) => deps.logger?.error({ err: error, callId: record.callId }, 'could not show a reconciled approval in its conversation'));
  }
  return changed.length;
}
