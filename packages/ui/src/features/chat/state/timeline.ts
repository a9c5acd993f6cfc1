/**
 * The live run as a pure reducer (STYLE §20): SSE events in, timeline state out. It mirrors how the engine folds
 * events into `messages_json` (engine timeline/apply-event.ts) so a reloaded page and a live one show the same
 * thing, plus what only a live client sees: streaming tokens and thinking. Replays are safe:
 *  - events are dropped when their SSE id is not above the last one applied for that run (reconnect duplicates);
 *  - text and thinking segments carry the timestamp of the event that completed them, so re-attaching after a
 *    reload (replaying a run on top of the persisted timeline) does not add them twice;
 *  - tool states only move forward, so a replayed `tool.executing` cannot undo a persisted `completed`.
 */
import type { AgentEvent, RiskFlag, ToolExecutionRecord, ToolStatus } from '@skyflo/protocol';

export type { ToolStatus };

/** A tool call as the UI shows it (the engine's ToolExecutionRecord plus the approval card's facts). */
export interface ToolView {
  call_id: string;
  tool: string;
  title: string;
  args: Record<string, unknown>;
  status: ToolStatus;
  requires_approval?: boolean;
  destructive?: boolean;
  result?: Array<{ type: 'text'; text: string }>;
  error?: string;
  error_code?: string;
  diff?: string;
  preview_error?: string;
  args_hash?: string;
  /** the hash of the diff shown on the card; sent with the decision so the engine knows which preview was approved */
  diff_hash?: string;
  resolution?: string[];
  risks?: RiskFlag[];
  policy_reason?: string;
  requested_by?: { id: string; email?: string; name?: string | null };
  decided_by?: string;
  decided_by_email?: string;
  /** when the decision was made (epoch ms) */
  decided_at?: number;
  /** approved by `skyflo chat --approve-all`, not by a person reading the card */
  automatic?: boolean;
  reason?: string;
  timestamp?: number;
}

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
  /** `stopped`: a stop interrupted this answer; what it holds is where it stopped */
  | { id: string; type: 'assistant'; segments: Segment[]; usage: Usage; timestamp: number; stopped?: boolean };

export type RunStatus = 'idle' | 'streaming' | 'awaiting_approval' | 'stopped' | 'error';

export interface TimelineState {
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

export const emptyTimeline: TimelineState = { entries: [], status: 'idle', lastEventIds: {} };

type Assistant = Extract<Entry, { type: 'assistant' }>;

const statusRank: Record<ToolStatus, number> = { pending: 0, awaiting_approval: 1, approved: 2, denied: 4, executing: 3, completed: 4, error: 4 };

function withAssistant(state: TimelineState, event: { run_id?: string; timestamp?: number }, change: (entry: Assistant) => Assistant, create = true): TimelineState {
  const last = state.entries.at(-1);
  if (last?.type === 'assistant') return { ...state, entries: [...state.entries.slice(0, -1), change(last)] };
  if (!create) return state;
  const entry: Assistant = { id: `assistant-${event.run_id ?? state.entries.length}`, type: 'assistant', segments: [], usage: {}, timestamp: event.timestamp ?? Date.now() };
  return { ...state, entries: [...state.entries, change(entry)] };
}

function segmentId(entry: Assistant): string {
  return `${entry.id}:${entry.segments.length}`;
}

function upsertTool(entry: Assistant, callId: string, update: (tool: ToolView | undefined) => ToolView | undefined): Assistant {
  const index = entry.segments.findIndex((segment) => segment.kind === 'tool' && segment.id === callId);
  const current = index >= 0 ? (entry.segments[index] as Extract<Segment, { kind: 'tool' }>).tool : undefined;
  const next = update(current);
  if (!next || next === current) return entry;
  const segment: Segment = { kind: 'tool', id: callId, tool: next };
  return { ...entry, segments: index >= 0 ? entry.segments.map((item, i) => (i === index ? segment : item)) : [...entry.segments, segment] };
}

/** Completes the streaming segment of `kind`, or appends one; a segment already completed by the same event is kept once. */
function completeSegment(entry: Assistant, kind: 'text' | 'thinking', text: string, timestamp: number | undefined, extra: { durationMs?: number } = {}): Assistant {
  const duplicate = timestamp !== undefined && entry.segments.some((segment) => segment.kind === kind && segment.timestamp === timestamp && !isLive(segment));
  const liveIndex = findLastIndex(entry.segments, (segment) => segment.kind === kind && isLive(segment));
  if (duplicate) return liveIndex >= 0 ? { ...entry, segments: entry.segments.filter((_, i) => i !== liveIndex) } : entry;
  if (!text && liveIndex < 0) return entry;
  const completed: Segment =
    kind === 'text'
      ? { kind: 'text', id: liveIndex >= 0 ? entry.segments[liveIndex].id : segmentId(entry), text, timestamp }
      : { kind: 'thinking', id: liveIndex >= 0 ? entry.segments[liveIndex].id : segmentId(entry), text, complete: true, timestamp, durationMs: extra.durationMs };
  if (liveIndex >= 0) {
    if (!text) return { ...entry, segments: entry.segments.filter((_, i) => i !== liveIndex) };
    return { ...entry, segments: entry.segments.map((segment, i) => (i === liveIndex ? completed : segment)) };
  }
  return { ...entry, segments: [...entry.segments, completed] };
}

function isLive(segment: Segment): boolean {
  return (segment.kind === 'text' && segment.streaming === true) || (segment.kind === 'thinking' && !segment.complete);
}

function findLastIndex<T>(items: T[], predicate: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i -= 1) if (predicate(items[i])) return i;
  return -1;
}

/** Appends streamed text to the live segment of `kind` when it is the last one; otherwise opens a new one. */
function appendLive(entry: Assistant, kind: 'text' | 'thinking', text: string, timestamp: number | undefined): Assistant {
  const last = entry.segments.at(-1);
  if (last && last.kind === kind && isLive(last)) {
    return { ...entry, segments: [...entry.segments.slice(0, -1), { ...last, text: last.text + text } as Segment] };
  }
  const segment: Segment =
    kind === 'text' ? { kind: 'text', id: segmentId(entry), text, streaming: true } : { kind: 'thinking', id: segmentId(entry), text, complete: false, startedAt: timestamp };
  return { ...entry, segments: [...entry.segments, segment] };
}

function finishLive(entry: Assistant): Assistant {
  if (!entry.segments.some(isLive)) return entry;
  return {
    ...entry,
    segments: entry.segments.map((segment): Segment => {
      if (segment.kind === 'text' && segment.streaming) return { kind: 'text', id: segment.id, text: segment.text, timestamp: segment.timestamp };
      if (segment.kind === 'thinking' && !segment.complete) return { ...segment, complete: true };
      return segment;
    }),
  };
}

function add(usage: Usage, key: 'prompt_tokens' | 'completion_tokens' | 'total_tokens' | 'cached_tokens' | 'ttr_ms', value: number): Usage {
  return { ...usage, [key]: (usage[key] ?? 0) + value };
}

function toolStatusOf(type: AgentEvent['type']): ToolStatus | undefined {
  switch (type) {
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

/** Applies one SSE event (with its SSE id, when the frame had one). Returns the same object when nothing changes. */
export function applyEvent(state: TimelineState, event: AgentEvent, eventId?: number): TimelineState {
  const runId = 'run_id' in event ? event.run_id : undefined;
  if (eventId !== undefined && runId) {
    if (eventId <= (state.lastEventIds[runId] ?? 0)) return state;
    state = { ...state, lastEventIds: { ...state.lastEventIds, [runId]: eventId } };
  }
  const timestamp = 'timestamp' in event ? event.timestamp : undefined;
  switch (event.type) {
    case 'ready':
      return { ...state, status: 'streaming', runId: event.run_id, error: undefined, notice: undefined };
    case 'heartbeat':
    case 'generation.start':
    case 'toolset.loaded':
      return state;
    case 'token':
      return withAssistant({ ...state, notice: undefined }, event, (entry) => appendLive(entry, 'text', event.text, timestamp));
    case 'thinking':
      return withAssistant({ ...state, notice: undefined }, event, (entry) => appendLive(entry, 'thinking', event.text, timestamp));
    case 'thinking.complete':
      return withAssistant(state, event, (entry) => completeSegment(entry, 'thinking', event.content, timestamp, { durationMs: event.duration_ms }));
    case 'generation.complete':
      return withAssistant(state, event, (entry) => completeSegment(entry, 'text', event.content, timestamp));
    case 'tools.pending':
      return withAssistant(state, event, (entry) =>
        event.tools.reduce(
          (current, tool) =>
            upsertTool(current, tool.call_id, (existing) =>
              existing ?? { call_id: tool.call_id, tool: tool.tool, title: tool.title, args: tool.args, status: 'pending', requires_approval: tool.requires_approval, destructive: tool.destructive, timestamp: tool.timestamp },
            ),
          entry,
        ),
      );
    case 'tool.awaiting_approval':
    case 'tool.approved':
    case 'tool.denied':
    case 'tool.executing':
    case 'tool.result':
    case 'tool.error': {
      const status = toolStatusOf(event.type)!;
      const next = withAssistant(state, event, (entry) =>
        upsertTool(entry, event.call_id, (existing) => {
          if (existing && statusRank[existing.status] > statusRank[status]) return existing;
          if (existing && existing.status === status && event.type !== 'tool.awaiting_approval') return existing;
          const tool: ToolView = { ...(existing ?? { call_id: event.call_id, tool: event.tool, title: event.title, args: event.args, timestamp }), status };
          if (event.type === 'tool.awaiting_approval') {
            Object.assign(tool, {
              requires_approval: true,
              args: event.args,
              diff: event.diff,
              preview_error: event.preview_error,
              args_hash: event.args_hash,
              diff_hash: event.diff_hash,
              resolution: event.resolution,
              risks: event.risks,
              destructive: event.destructive ?? tool.destructive,
              policy_reason: event.policy_reason,
              requested_by: event.requested_by,
            });
          }
          if (event.type === 'tool.approved' || event.type === 'tool.denied') {
            // The card keeps what was decided on (diff, risks, hashes: spread from `existing`) and says who, when, why.
            // Read loosely: an engine older than these fields simply leaves them out.
            const decision = event as { decided_by?: string; decided_by_email?: string; decided_at?: number; reason?: string };
            tool.requires_approval = true;
            if (decision.decided_by) tool.decided_by = decision.decided_by;
            if (decision.decided_by_email) tool.decided_by_email = decision.decided_by_email;
            const at = typeof decision.decided_at === 'number' ? decision.decided_at : timestamp;
            if (at !== undefined) tool.decided_at = at;
            if (decision.reason) tool.reason = decision.reason;
            if (event.type === 'tool.approved' && event.automatic) tool.automatic = true;
          }
          if (event.type === 'tool.result') tool.result = event.result;
          if (event.type === 'tool.error') {
            tool.error = event.error;
            if (event.code) tool.error_code = event.code;
          }
          return tool;
        }),
      );
      return next;
    }
    case 'token.usage':
      return withAssistant(state, event, (entry) => {
        let usage: Usage = { ...entry.usage, model: event.model };
        usage = add(usage, 'prompt_tokens', event.prompt_tokens);
        usage = add(usage, 'completion_tokens', event.completion_tokens);
        usage = add(usage, 'total_tokens', event.total_tokens);
        usage = add(usage, 'cached_tokens', event.cached_tokens);
        return { ...entry, usage };
      });
    case 'ttft':
      return withAssistant(state, event, (entry) => (entry.usage.ttft_ms !== undefined ? entry : { ...entry, usage: { ...entry.usage, ttft_ms: event.duration } }));
    case 'workflow.error':
      return withAssistant({ ...state, error: event.error }, event, (entry) => completeSegment(entry, 'text', `⚠ ${event.error}`, timestamp));
    case 'budget.exceeded':
      return { ...state, error: `The conversation's token budget is spent (${event.used_tokens} of ${event.budget_tokens} tokens).` };
    case 'rate_limit':
      return { ...state, notice: `The model is rate-limited; retrying in ${Math.ceil(event.retry_in)}s (attempt ${event.attempt} of ${event.max_retries}).` };
    case 'transient_error':
      return { ...state, notice: `The model failed (${event.error}); retrying in ${Math.ceil(event.retry_in)}s (attempt ${event.attempt} of ${event.max_retries}).` };
    case 'conversation.title.generated':
      return { ...state, title: event.title };
    case 'error':
      return { ...finishAll(state), status: 'error', error: event.error, notice: undefined };
    case 'completed': {
      const stopped = event.status === 'stopped';
      // A stopped run marks its answer where it stopped (an answer stopped before its first word is still shown, empty).
      // A later run that resumes the same answer (a decision) and ends normally takes the mark away, as the engine does.
      const finished = withAssistant(
        finishAll(state),
        event,
        (entry) => {
          const { stopped: _wasStopped, ...rest } = entry;
          return { ...rest, usage: add(entry.usage, 'ttr_ms', event.duration_ms), ...(stopped ? { stopped: true } : {}) };
        },
        stopped,
      );
      const status: RunStatus = event.status === 'error' ? 'error' : event.awaiting_approval || hasPendingApproval(finished) ? 'awaiting_approval' : event.status === 'stopped' ? 'stopped' : 'idle';
      return { ...finished, status, notice: undefined, ...(event.error ? { error: event.error } : {}) };
    }
    default:
      return state;
  }
}

function finishAll(state: TimelineState): TimelineState {
  const last = state.entries.at(-1);
  if (last?.type !== 'assistant') return state;
  const finished = finishLive(last);
  return finished === last ? state : { ...state, entries: [...state.entries.slice(0, -1), finished] };
}

/** The user's message, shown at once (the engine stores its own copy; a reload shows that one). */
export function addUserMessage(state: TimelineState, content: string, now = Date.now()): TimelineState {
  return { ...state, error: undefined, entries: [...state.entries, { id: `user-${now}-${state.entries.length}`, type: 'user', content, timestamp: now, local: true }] };
}

/** A stream that ended without `completed` (stop, lost connection): nothing is streaming any more. */
export function markInterrupted(state: TimelineState, status: RunStatus, error?: string): TimelineState {
  const finished = finishAll(state);
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
export function timelineFromPersisted(messages: unknown, title?: string): TimelineState {
  const entries: Entry[] = [];
  for (const raw of Array.isArray(messages) ? messages : []) {
    if (!raw || typeof raw !== 'object') continue;
    const item = raw as Record<string, unknown>;
    const id = String(item['id'] ?? entries.length);
    const timestamp = typeof item['timestamp'] === 'number' ? item['timestamp'] : 0;
    if (item['type'] === 'user' && typeof item['content'] === 'string') {
      entries.push({ id, type: 'user', content: item['content'], timestamp });
    } else if (item['type'] === 'assistant') {
      const segments: Segment[] = [];
      for (const rawSegment of Array.isArray(item['segments']) ? item['segments'] : []) {
        const segment = rawSegment as Record<string, unknown>;
        const segmentId = String(segment['id'] ?? `${id}:${segments.length}`);
        const at = typeof segment['timestamp'] === 'number' ? segment['timestamp'] : undefined;
        if (segment['kind'] === 'text') segments.push({ kind: 'text', id: segmentId, text: String(segment['text'] ?? ''), timestamp: at });
        else if (segment['kind'] === 'thinking')
          segments.push({ kind: 'thinking', id: segmentId, text: String(segment['text'] ?? ''), complete: true, timestamp: at, durationMs: typeof segment['durationMs'] === 'number' ? segment['durationMs'] : undefined });
        else if (segment['kind'] === 'tool' && segment['toolExecution'] && typeof segment['toolExecution'] === 'object') {
          const tool = segment['toolExecution'] as ToolExecutionRecord;
          segments.push({ kind: 'tool', id: tool.call_id ?? segmentId, tool: { ...tool, args: tool.args ?? {} } });
        }
      }
      const usage = (item['token_usage'] && typeof item['token_usage'] === 'object' ? item['token_usage'] : {}) as Usage;
      entries.push({ id, type: 'assistant', segments, usage, timestamp, ...(item['stopped'] === true ? { stopped: true } : {}) });
    }
  }
  const state: TimelineState = { ...emptyTimeline, entries, ...(title ? { title } : {}) };
  return hasPendingApproval(state) ? { ...state, status: 'awaiting_approval' } : state;
}
