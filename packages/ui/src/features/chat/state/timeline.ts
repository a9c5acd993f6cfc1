/**
 * The live run as a pure reducer (STYLE §20): SSE events in, timeline state out. The events are folded by the
 * protocol's timeline fold (`foldLiveTimelineEvent`, the same fold the engine stores `messages_json` with), so a
 * reloaded page and a live one show the same thing. This module adds what is the page's own: the replay filter by
 * SSE id (reconnect duplicates are dropped when their id is not above the last one applied for that run), the run's
 * status, errors and notices, and the view of the stored shape the components render (`entries`, derived from
 * `timeline` reusing every unchanged entry and segment, so a streamed token re-derives only the last answer).
 */
import type { AgentEvent, AlertCard, TimelineEntry, TimelineSegment, ToolExecutionRecord, ToolStatus, RunbookRef, PastIncidentRef } from '@skyflo/protocol';
// the subpath keeps the protocol's zod schemas out of the initial bundle (they load with the first stream)
import { finishStreaming, foldLiveTimelineEvent } from '@skyflo/protocol/timeline-fold';

export type { ToolStatus };

/**
 * A tool call as the UI shows it: the stored record (ToolExecutionRecord, with the approval card's facts), whose
 * `timestamp` a live event may lack.
 */
export type ToolView = Omit<ToolExecutionRecord, 'timestamp'> & { timestamp?: number };

export type Segment =
  | { kind: 'text'; id: string; text: string; timestamp?: number; streaming?: boolean }
  | { kind: 'thinking'; id: string; text: string; complete: boolean; durationMs?: number; startedAt?: number; timestamp?: number }
  | { kind: 'tool'; id: string; tool: ToolView };

export interface Usage {
  model?: string;
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  cached_tokens?: number;
  ttft_ms?: number;
  ttr_ms?: number;
}

export type Entry =
  | { id: string; type: 'user'; content: string; timestamp: number; local?: boolean }
  /** an alert investigation's alert, shown instead of the instruction the model was given (issue 37 item 9) */
  | Extract<TimelineEntry, { type: 'alert' }>
  /**
   * `stopped`: a stop interrupted this answer; what it holds is where it stopped. `error`: the failure that ended it
   * (workflow.error), shown once: as the run's error with Retry while it is the last answer, in the answer once a
   * later message followed it
   */
  | { id: string; type: 'assistant'; segments: Segment[]; usage: Usage; timestamp: number; stopped?: boolean; error?: string; runbooks?: RunbookRef[]; seen_before?: PastIncidentRef[] };

export type RunStatus = 'idle' | 'streaming' | 'awaiting_approval' | 'stopped' | 'error';

export interface TimelineState {
  /** the answer as the engine stores it (the protocol fold's shape) */
  timeline: TimelineEntry[];
  /** what the components render: `timeline` as view entries */
  entries: Entry[];
  status: RunStatus;
  /** the run the stream belongs to (from `ready`); Stop and re-attach need it */
  runId?: string;
  /** highest SSE id applied per run: the Last-Event-ID to re-attach with, and the replay filter */
  lastEventIds: Record<string, number>;
  /** a failure the user must see (workflow.error, error, completed with status error) */
  error?: string;
  /** transient notice (rate limited, retrying) */
  notice?: string;
  title?: string;
}

export const emptyTimeline: TimelineState = { timeline: [], entries: [], status: 'idle', lastEventIds: {} };

function viewOfSegment(segment: TimelineSegment, previous: { source: TimelineSegment; view: Segment } | undefined): Segment {
  if (previous && previous.source === segment) return previous.view;
  if (segment.kind === 'text') return segment;
  if (segment.kind === 'tool') return { kind: 'tool', id: segment.id, tool: segment.toolExecution };
  const { isComplete, ...rest } = segment;
  return { ...rest, complete: isComplete };
}

function viewOfEntry(entry: TimelineEntry, previous: { source: TimelineEntry; view: Entry } | undefined): Entry {
  if (previous && previous.source === entry) return previous.view;
  if (entry.type === 'user' || entry.type === 'alert') return entry;
  const before = previous?.source.type === 'assistant' && previous.view.type === 'assistant' && previous.source.id === entry.id ? { source: previous.source, view: previous.view } : undefined;
  const segments = entry.segments.map((segment, index) => {
    const source = before?.source.segments[index];
    return viewOfSegment(segment, source ? { source, view: before!.view.segments[index]! } : undefined);
  });
  return { id: entry.id, type: 'assistant', segments, usage: (entry.token_usage ?? {}) as Usage, timestamp: entry.timestamp, ...(entry.stopped ? { stopped: true } : {}), ...(entry.error ? { error: entry.error } : {}), ...(entry.runbooks?.length ? { runbooks: entry.runbooks } : {}), ...(entry.seen_before?.length ? { seen_before: entry.seen_before } : {}) };
}

/** The components' view of `timeline`, reusing the previous view of every entry the fold left untouched. */
function withTimeline(state: TimelineState, timeline: TimelineEntry[]): TimelineState {
  if (timeline === state.timeline) return state;
  const entries = timeline.map((entry, index) => {
    const source = state.timeline[index];
    const view = state.entries[index];
    return viewOfEntry(entry, source && view ? { source, view } : undefined);
  });
  return { ...state, timeline, entries };
}

/** Applies one SSE event (with its SSE id, when the frame had one). Returns the same object when nothing changes. */
/**
 * The engine's retry events count the attempt that failed (1-based) and the retries allowed after the first try, and
 * its final error says "failed after N attempts" with N = retries + 1: the notice names the coming attempt in the same
 * count ("attempt 2 of 4"), so the two never disagree.
 */
function nextAttempt(event: { attempt: number; max_retries: number }): string {
  return `attempt ${event.attempt + 1} of ${event.max_retries + 1}`;
}

export function applyEvent(state: TimelineState, event: AgentEvent, eventId?: number): TimelineState {
  const runId = 'run_id' in event ? event.run_id : undefined;
  if (eventId !== undefined && runId) {
    if (eventId <= (state.lastEventIds[runId] ?? 0)) return state;
    state = { ...state, lastEventIds: { ...state.lastEventIds, [runId]: eventId } };
  }
  const folded = withTimeline(state, foldLiveTimelineEvent(state.timeline, event));
  switch (event.type) {
    case 'ready':
      return { ...folded, status: 'streaming', runId: event.run_id, error: undefined, notice: undefined };
    case 'token':
    case 'thinking':
      return folded.notice === undefined ? folded : { ...folded, notice: undefined };
    case 'workflow.error':
      return { ...folded, error: event.error };
    case 'budget.exceeded':
      return { ...folded, error: `The conversation's token budget is spent (${event.used_tokens} of ${event.budget_tokens} tokens).` };
    case 'rate_limit':
      return { ...folded, notice: `The model is rate-limited; retrying in ${Math.ceil(event.retry_in)}s (${nextAttempt(event)}).` };
    case 'transient_error':
      return { ...folded, notice: `The model failed (${event.error}); retrying in ${Math.ceil(event.retry_in)}s (${nextAttempt(event)}).` };
    case 'conversation.title.generated':
      return { ...folded, title: event.title };
    case 'error':
      return { ...folded, status: 'error', error: event.error, notice: undefined };
    case 'completed': {
      const status: RunStatus = event.status === 'error' ? 'error' : event.awaiting_approval || hasPendingApproval(folded) ? 'awaiting_approval' : event.status === 'stopped' ? 'stopped' : 'idle';
      return { ...folded, status, notice: undefined, ...(event.error ? { error: event.error } : {}) };
    }
    default:
      return folded;
  }
}

/** The user's message, shown at once (the engine stores its own copy; a reload shows that one). */
export function addUserMessage(state: TimelineState, content: string, now = Date.now()): TimelineState {
  const entry = { id: `user-${now}-${state.entries.length}`, type: 'user' as const, content, timestamp: now };
  return { ...state, error: undefined, timeline: [...state.timeline, entry], entries: [...state.entries, { ...entry, local: true }] };
}

/** A stream that ended without `completed` (stop, lost connection): nothing is streaming any more. */
export function markInterrupted(state: TimelineState, status: RunStatus, error?: string): TimelineState {
  const finished = withTimeline(state, finishStreaming(state.timeline));
  return { ...finished, status: hasPendingApproval(finished) ? 'awaiting_approval' : status, ...(error ? { error } : {}) };
}

export function pendingApprovals(state: TimelineState): ToolView[] {
  const tools: ToolView[] = [];
  for (const entry of state.entries) {
    if (entry.type !== 'assistant') continue;
    for (const segment of entry.segments) if (segment.kind === 'tool' && segment.tool.status === 'awaiting_approval') tools.push(segment.tool);
  }
  return tools;
}

/** What a decision is bound to: the call and the hashes of the `tool.awaiting_approval` event its card shows. */
export interface DecisionTarget {
  call_id: string;
  args_hash?: string;
  diff_hash?: string;
}

export function decisionTargetOf(tool: ToolView): DecisionTarget {
  return { call_id: tool.call_id, ...(tool.args_hash ? { args_hash: tool.args_hash } : {}), ...(tool.diff_hash ? { diff_hash: tool.diff_hash } : {}) };
}

export function hasPendingApproval(state: TimelineState): boolean {
  return pendingApprovals(state).length > 0;
}

/**
 * The persisted timeline (`messages` of GET /conversations/:id, engine timeline format) as UI state. Unknown
 * shapes are skipped rather than trusted: the page must open even if one entry is odd.
 */
/** A stored alert card, read defensively like the rest of a persisted timeline (only strings are shown). */
function alertCardOf(raw: Record<string, unknown>): AlertCard {
  const strings = (value: unknown) => Object.fromEntries(Object.entries(value && typeof value === 'object' ? value : {}).filter((pair): pair is [string, string] => typeof pair[1] === 'string'));
  const links = (Array.isArray(raw['links']) ? raw['links'] : []).flatMap((link: unknown) => {
    const { label, url } = (link ?? {}) as Record<string, unknown>;
    return typeof label === 'string' && typeof url === 'string' && /^https?:\/\//i.test(url) ? [{ label, url }] : [];
  });
  return {
    title: typeof raw['title'] === 'string' ? raw['title'] : 'Alert',
    status: raw['status'] === 'resolved' ? 'resolved' : 'firing',
    source: raw['source'] === 'generic' || raw['source'] === 'pagerduty' ? raw['source'] : 'alertmanager',
    receiver: typeof raw['receiver'] === 'string' ? raw['receiver'] : 'alert',
    labels: strings(raw['labels']),
    annotations: strings(raw['annotations']),
    links,
    count: typeof raw['count'] === 'number' ? raw['count'] : 1,
    ...(typeof raw['truncated_alerts'] === 'number' && raw['truncated_alerts'] > 0 ? { truncated_alerts: raw['truncated_alerts'] } : {}),
    ...(Array.isArray(raw['notes'])
      ? {
          notes: raw['notes'].flatMap((note: unknown) => {
            const { at, text } = (note ?? {}) as Record<string, unknown>;
            return typeof at === 'number' && typeof text === 'string' ? [{ at, text }] : [];
          }),
        }
      : {}),
  };
}

export function timelineFromPersisted(messages: unknown, title?: string): TimelineState {
  const timeline: TimelineEntry[] = [];
  for (const raw of Array.isArray(messages) ? messages : []) {
    if (!raw || typeof raw !== 'object') continue;
    const item = raw as Record<string, unknown>;
    const id = String(item['id'] ?? timeline.length);
    const timestamp = typeof item['timestamp'] === 'number' ? item['timestamp'] : 0;
    if (item['type'] === 'user' && typeof item['content'] === 'string') {
      timeline.push({ id, type: 'user', content: item['content'], timestamp });
    } else if (item['type'] === 'alert' && item['alert'] && typeof item['alert'] === 'object') {
      timeline.push({ id, type: 'alert', content: typeof item['content'] === 'string' ? item['content'] : '', timestamp, alert: alertCardOf(item['alert'] as Record<string, unknown>) });
    } else if (item['type'] === 'assistant') {
      const segments: TimelineSegment[] = [];
      for (const rawSegment of Array.isArray(item['segments']) ? item['segments'] : []) {
        const segment = rawSegment as Record<string, unknown>;
        const segmentId = String(segment['id'] ?? `${id}:${segments.length}`);
        const at = typeof segment['timestamp'] === 'number' ? { timestamp: segment['timestamp'] } : {};
        if (segment['kind'] === 'text') segments.push({ kind: 'text', id: segmentId, text: String(segment['text'] ?? ''), ...at });
        else if (segment['kind'] === 'thinking')
          segments.push({ kind: 'thinking', id: segmentId, text: String(segment['text'] ?? ''), isComplete: true, ...at, ...(typeof segment['durationMs'] === 'number' ? { durationMs: segment['durationMs'] } : {}) });
        else if (segment['kind'] === 'tool' && segment['toolExecution'] && typeof segment['toolExecution'] === 'object') {
          const tool = segment['toolExecution'] as ToolExecutionRecord;
          segments.push({ kind: 'tool', id: tool.call_id ?? segmentId, toolExecution: { ...tool, args: tool.args ?? {} } });
        }
      }
      const usage = (item['token_usage'] && typeof item['token_usage'] === 'object' ? item['token_usage'] : {}) as Record<string, unknown>;
      const content = typeof item['content'] === 'string' ? item['content'] : '';
      const failure = typeof item['error'] === 'string' && item['error'] ? { error: item['error'], ...(typeof item['error_code'] === 'string' ? { error_code: item['error_code'] } : {}) } : {};
      timeline.push({ id, type: 'assistant', content, segments, token_usage: usage, timestamp, ...(item['stopped'] === true ? { stopped: true } : {}), ...failure, ...(Array.isArray(item['runbooks']) ? { runbooks: item['runbooks'] as RunbookRef[] } : {}), ...(Array.isArray(item['seen_before']) ? { seen_before: item['seen_before'] as PastIncidentRef[] } : {}) });
    }
  }
  const state: TimelineState = withTimeline({ ...emptyTimeline, ...(title ? { title } : {}) }, timeline);
  // The last answer failed: the page shows the run's error (with Retry), as it did live.
  const last = timeline.at(-1);
  const failed = last?.type === 'assistant' && last.error ? { ...state, error: last.error } : state;
  return hasPendingApproval(failed) ? { ...failed, status: 'awaiting_approval' } : failed;
}
