/**
 * Pure event → timeline application (spec §4). The run publishes events; the ones that change what a user
 * would see later (text, thinking, tool status, usage) are folded into the conversation's `messages_json`.
 * Nothing here touches storage: callers pass the result to ConversationStore.updateTimeline.
 */
import type { AgentEvent } from '@skyflo/protocol';
import type { TimelineEntry, TimelineSegment, ToolExecutionRecord, ToolStatus } from '../ports/index.ts';

type AssistantEntry = Extract<TimelineEntry, { type: 'assistant' }>;

/** Event types that change the timeline; everything else (tokens, heartbeats…) is skipped without a write. */
export const timelineEventTypes = new Set<AgentEvent['type']>([
  'generation.complete',
  'thinking.complete',
  'tools.pending',
  'tool.awaiting_approval',
  'tool.approved',
  'tool.denied',
  'tool.executing',
  'tool.result',
  'tool.error',
  'token.usage',
  'ttft',
  'completed',
  'workflow.error',
]);

export function affectsTimeline(event: AgentEvent): boolean {
  return timelineEventTypes.has(event.type);
}

/** Appends the user's message unless it repeats the last entry (a client retrying the same send). */
export function appendUserEntry(timeline: TimelineEntry[], entry: { id: string; content: string; timestamp: number }): TimelineEntry[] {
  const last = timeline.at(-1);
  if (last?.type === 'user' && last.content === entry.content) return timeline;
  return [...timeline, { id: entry.id, type: 'user', content: entry.content, timestamp: entry.timestamp }];
}

function withAssistant(
  timeline: TimelineEntry[],
  event: { run_id?: string; timestamp?: number },
  change: (entry: AssistantEntry) => AssistantEntry,
  create = true,
): TimelineEntry[] {
  const last = timeline.at(-1);
  // A resumed run (approval) continues the assistant entry that holds the tool, like the UI does.
  if (last?.type === 'assistant') return [...timeline.slice(0, -1), change(last)];
  if (!create) return timeline;
  const entry: AssistantEntry = {
    id: `assistant-${event.run_id ?? timeline.length}`,
    type: 'assistant',
    content: '',
    timestamp: event.timestamp ?? 0,
    segments: [],
  };
  return [...timeline, change(entry)];
}

function textContent(segments: TimelineSegment[]): string {
  return segments
    .filter((segment): segment is Extract<TimelineSegment, { kind: 'text' }> => segment.kind === 'text')
    .map((segment) => segment.text)
    .join('\n\n');
}

function upsertTool(entry: AssistantEntry, callId: string, update: (record: ToolExecutionRecord | undefined) => ToolExecutionRecord | undefined): AssistantEntry {
  const index = entry.segments.findIndex((segment) => segment.kind === 'tool' && segment.id === callId);
  const current = index >= 0 ? (entry.segments[index] as Extract<TimelineSegment, { kind: 'tool' }>).toolExecution : undefined;
  const next = update(current);
  if (!next) return entry;
  const segment: TimelineSegment = { kind: 'tool', id: callId, toolExecution: next };
  const segments = index >= 0 ? entry.segments.map((item, i) => (i === index ? segment : item)) : [...entry.segments, segment];
  return { ...entry, segments };
}

function toolStatus(event: AgentEvent): ToolStatus | undefined {
  switch (event.type) {
    case 'tool.awaiting_approval':
      return 'awaiting_approval';
    case 'tool.approved':
      return 'approved';
    case 'tool.denied':
      return 'denied';
    case 'tool.executing':
      return 'executing';
    case 'tool.result':
      return 'completed';
    case 'tool.error':
      return 'error';
    default:
      return undefined;
  }
}

function addNumber(usage: Record<string, unknown>, key: string, value: number): void {
  usage[key] = (typeof usage[key] === 'number' ? (usage[key] as number) : 0) + value;
}

/** Folds one event into the timeline; returns the same array when nothing changes. */
export function applyEventToTimeline(timeline: TimelineEntry[], event: AgentEvent): TimelineEntry[] {
  const timestamp = 'timestamp' in event && typeof event.timestamp === 'number' ? event.timestamp : 0;
  switch (event.type) {
    case 'generation.complete': {
      if (!event.content) return timeline;
      return withAssistant(timeline, event, (entry) => {
        const segments: TimelineSegment[] = [...entry.segments, { kind: 'text', id: `${entry.id}:${entry.segments.length}`, text: event.content, timestamp }];
        return { ...entry, segments, content: textContent(segments) };
      });
    }
    case 'thinking.complete': {
      if (!event.content) return timeline;
      return withAssistant(timeline, event, (entry) => ({
        ...entry,
        segments: [
          ...entry.segments,
          { kind: 'thinking', id: `${entry.id}:${entry.segments.length}`, text: event.content, isComplete: true, durationMs: event.duration_ms, timestamp },
        ],
      }));
    }
    case 'tools.pending':
      return withAssistant(timeline, event, (entry) =>
        event.tools.reduce(
          (current, tool) =>
            upsertTool(current, tool.call_id, (record) =>
              record ?? {
                call_id: tool.call_id,
                tool: tool.tool,
                title: tool.title,
                args: tool.args,
                status: 'pending',
                requires_approval: tool.requires_approval,
                timestamp: tool.timestamp,
              },
            ),
          entry,
        ),
      );
    case 'tool.awaiting_approval':
    case 'tool.executing':
    case 'tool.approved':
    case 'tool.denied':
    case 'tool.result':
    case 'tool.error': {
      const status = toolStatus(event)!;
      // pending/executing/awaiting may add the segment; the others only update it (spec §4)
      const mayCreate = event.type === 'tool.awaiting_approval' || event.type === 'tool.executing' || event.type === 'tool.error';
      return withAssistant(
        timeline,
        event,
        (entry) =>
          upsertTool(entry, event.call_id, (record) => {
            if (!record && !mayCreate) return undefined;
            const base: ToolExecutionRecord = record ?? { call_id: event.call_id, tool: event.tool, title: event.title, args: event.args, status, timestamp };
            const next: ToolExecutionRecord = { ...base, status };
            if (event.type === 'tool.awaiting_approval') {
              next.requires_approval = true;
              // The exact (resolved, redacted) arguments the approval is for replace the model's relative ones.
              next.args = event.args;
              if (event.diff !== undefined) next.diff = event.diff;
              next.args_hash = event.args_hash;
              if (event.diff_hash !== undefined) next.diff_hash = event.diff_hash;
              if (event.artifact_digest !== undefined) next.artifact_digest = event.artifact_digest;
              if (event.resolution !== undefined) next.resolution = event.resolution;
              if (event.risks !== undefined) next.risks = event.risks;
              if (event.destructive !== undefined) next.destructive = event.destructive;
              if (event.policy_reason !== undefined) next.policy_reason = event.policy_reason;
              if (event.requested_by !== undefined) next.requested_by = event.requested_by;
            }
            if (event.type === 'tool.approved' || event.type === 'tool.denied') {
              // The card keeps what was decided (diff, risks, args_hash: spread from the awaiting record above)
              // and says who decided, when and why.
              next.requires_approval = true;
              if (event.decided_by !== undefined) next.decided_by = event.decided_by;
              if (event.decided_by_email !== undefined) next.decided_by_email = event.decided_by_email;
              if (event.decided_at !== undefined) next.decided_at = event.decided_at;
              if (event.reason !== undefined) next.reason = event.reason;
            }
            if (event.type === 'tool.approved' && event.automatic) next.automatic = true;
            if (event.type === 'tool.result') next.result = event.result;
            if (event.type === 'tool.error') {
              next.error = event.error;
              if (event.code !== undefined) next.error_code = event.code;
            }
            if (event.type === 'tool.denied' && event.reason) next.error = `Denied: ${event.reason}`;
            return next;
          }),
        mayCreate,
      );
    }
    case 'workflow.error':
      return withAssistant(timeline, event, (entry) => {
        const segments: TimelineSegment[] = [...entry.segments, { kind: 'text', id: `${entry.id}:${entry.segments.length}`, text: `⚠ ${event.error}`, timestamp }];
        return { ...entry, segments, content: textContent(segments) };
      });
    case 'token.usage':
      return withAssistant(timeline, event, (entry) => {
        const usage: Record<string, unknown> = { ...(entry.token_usage ?? {}), model: event.model };
        addNumber(usage, 'prompt_tokens', event.prompt_tokens);
        addNumber(usage, 'completion_tokens', event.completion_tokens);
        addNumber(usage, 'total_tokens', event.total_tokens);
        addNumber(usage, 'cached_tokens', event.cached_tokens);
        return { ...entry, token_usage: usage };
      });
    case 'ttft':
      return withAssistant(timeline, event, (entry) =>
        typeof entry.token_usage?.['ttft_ms'] === 'number' ? entry : { ...entry, token_usage: { ...(entry.token_usage ?? {}), ttft_ms: event.duration } },
      );
    case 'completed':
      // ttr_ms sums the runs of one answer (an approval resumes the same assistant entry). A stopped run marks the
      // answer it interrupted, so a reload shows where it stopped.
      return withAssistant(
        timeline,
        event,
        (entry) => {
          const usage: Record<string, unknown> = { ...(entry.token_usage ?? {}) };
          addNumber(usage, 'ttr_ms', event.duration_ms);
          // Only the latest run of the answer says whether it was cut short (a decision may resume it later).
          const { stopped: _previous, ...rest } = entry;
          return { ...rest, token_usage: usage, ...(event.status === 'stopped' ? { stopped: true } : {}) };
        },
        false,
      );
    default:
      return timeline;
  }
}
