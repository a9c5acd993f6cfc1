/**
 * A call decided by someone else (an approver, from the queue) resumes the run on the engine, not in this page: its
 * events go to the approver's stream. This page follows it through the persisted timeline instead, and needs to
 * tell from that timeline alone how far the run got. The engine folds each run's `completed` into the answer's
 * `token_usage.ttr_ms` (a resumed run continues the entry that holds the call), so the run that the decision
 * resumed has finished once that sum grows past what it was while the call waited.
 */
import { pendingApprovals, type TimelineState, type ToolView } from './timeline.ts';

export type DecisionProgress =
  /** the timeline still shows the call waiting (the list and the timeline disagree for a moment) */
  | { kind: 'awaiting' }
  /** decided; the resumed run goes on */
  | { kind: 'running'; tool: ToolView }
  /** the resumed run finished, or stopped at another call that needs a decision */
  | { kind: 'finished'; tool?: ToolView };

function holding(timeline: TimelineState, callId: string): { tool: ToolView; ttr: number } | undefined {
  for (const entry of timeline.entries) {
    if (entry.type !== 'assistant') continue;
    for (const segment of entry.segments) if (segment.kind === 'tool' && segment.tool.call_id === callId) return { tool: segment.tool, ttr: entry.usage.ttr_ms ?? 0 };
  }
  return undefined;
}

/** The run time recorded so far for the answer holding `callId` (0 when the call is not in the timeline). */
export function runTimeOf(timeline: TimelineState, callId: string): number {
  return holding(timeline, callId)?.ttr ?? 0;
}

export function decisionProgress(timeline: TimelineState, callId: string, baselineTtr: number): DecisionProgress {
  const found = holding(timeline, callId);
  if (!found) return { kind: 'finished' };
  if (found.tool.status === 'awaiting_approval') return { kind: 'awaiting' };
  if (found.ttr > baselineTtr || pendingApprovals(timeline).length > 0) return { kind: 'finished', tool: found.tool };
  return { kind: 'running', tool: found.tool };
}

/** What the page says while it follows a run someone else's decision resumed. */
export function decidedElsewhereNotice(tool: ToolView): string {
  const verb = tool.status === 'denied' ? 'denied' : 'approved';
  return `An approver ${verb} ${tool.tool}; the run goes on, and this page follows it.`;
}
