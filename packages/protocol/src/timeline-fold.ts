/**
 * The one event → timeline fold (spec §4). The engine folds a run's events into the stored timeline
 * (`messages_json`) with it, and a live client (the Command Center) folds the same events as they stream, so a
 * reloaded page and a live one show the same thing. Pure: no clock, no I/O; returns the same array when nothing
 * changes, and copies only the path that changed (a streamed token allocates one segment, the last entry's segment
 * list and the entry list: the UI folds tokens per animation frame).
 *
 * `foldTimelineEvent` is the stored reading (the engine). `foldLiveTimelineEvent` is the streaming client's reading,
 * the same fold plus what only a live client has to cope with:
 *  - it may replay a run on top of the stored timeline (re-attach after a reload): a text/thinking completion already
 *    present with the same event timestamp is not added twice;
 *  - a decision without `decided_at` (an older engine) is dated by its event;
 *  - an answer a stop interrupted before its first word is still shown, empty and marked stopped.
 *  - tool states only move forward, and a repeated state is not applied again, so a replayed `tool.executing` cannot
 *    undo a `completed`.
 */
import type { AgentEvent } from './events.ts';
import type { TimelineEntry, TimelineSegment, ToolExecutionRecord, ToolStatus, ToolVerification } from './timeline.ts';

type AssistantEntry = Extract<TimelineEntry, { type: 'assistant' }>;
type ToolSegment = Extract<TimelineSegment, { kind: 'tool' }>;

/** Event types that change the stored timeline; everything else (tokens, heartbeats…) is skipped without a write. */
export const timelineEventTypes: ReadonlySet<AgentEvent['type']> = new Set<AgentEvent['type']>([
  'generation.complete',
  'thinking.complete',
  'tools.pending',
  'tool.awaiting_approval',
  'tool.approved',
  'tool.denied',
  'tool.executing',
  'tool.result',
  'tool.error',
  'tool.verification',
  'token.usage',
  'ttft',
  'completed',
  'workflow.error',
  'runbook.used',
  'memory.used',
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

/** Appends the alert an investigation's run answers (issue 37 item 9): shown where the user's message would be. */
export function appendAlertEntry(timeline: TimelineEntry[], entry: { id: string; content: string; timestamp: number; alert: Extract<TimelineEntry, { type: 'alert' }>['alert'] }): TimelineEntry[] {
  return [...timeline, { id: entry.id, type: 'alert', content: entry.content, timestamp: entry.timestamp, alert: entry.alert }];
}

/** Order of tool states; a state never moves back (denied/completed/error are final and equal). */
const statusRank: Record<ToolStatus, number> = { pending: 0, awaiting_approval: 1, approved: 2, executing: 3, denied: 4, completed: 4, error: 4 };

function withAssistant(timeline: TimelineEntry[], event: { run_id?: string; timestamp?: number }, change: (entry: AssistantEntry) => AssistantEntry, create = true): TimelineEntry[] {
  const last = timeline.at(-1);
  // A resumed run (a decision) continues the assistant entry that holds the tool.
  if (last?.type === 'assistant') {
    const changed = change(last);
    return changed === last ? timeline : [...timeline.slice(0, -1), changed];
  }
  if (!create) return timeline;
  const entry: AssistantEntry = { id: `assistant-${event.run_id ?? timeline.length}`, type: 'assistant', content: '', timestamp: event.timestamp ?? 0, segments: [] };
  return [...timeline, change(entry)];
}

function textContent(segments: TimelineSegment[]): string {
  const texts: string[] = [];
  for (const segment of segments) if (segment.kind === 'text' && !segment.streaming) texts.push(segment.text);
  return texts.join('\n\n');
}

function isLive(segment: TimelineSegment): boolean {
  return (segment.kind === 'text' && segment.streaming === true) || (segment.kind === 'thinking' && !segment.isComplete);
}

function findLastIndex<T>(items: readonly T[], predicate: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i -= 1) if (predicate(items[i]!)) return i;
  return -1;
}

function replaceAt<T>(items: readonly T[], index: number, item: T): T[] {
  const copy = items.slice();
  copy[index] = item;
  return copy;
}

function withSegments(entry: AssistantEntry, segments: TimelineSegment[], textChanged: boolean): AssistantEntry {
  return textChanged ? { ...entry, segments, content: textContent(segments) } : { ...entry, segments };
}

/** Appends streamed text to the live segment of `kind` when it is the last one; otherwise opens a new one. */
function appendLive(entry: AssistantEntry, kind: 'text' | 'thinking', text: string, timestamp: number | undefined): AssistantEntry {
  const last = entry.segments.at(-1);
  if (last && last.kind === kind && isLive(last)) {
    return { ...entry, segments: replaceAt(entry.segments, entry.segments.length - 1, { ...last, text: last.text + text } as TimelineSegment) };
  }
  const id = `${entry.id}:${entry.segments.length}`;
  const segment: TimelineSegment = kind === 'text' ? { kind: 'text', id, text, streaming: true } : { kind: 'thinking', id, text, isComplete: false, ...(timestamp !== undefined ? { startedAt: timestamp } : {}) };
  return { ...entry, segments: [...entry.segments, segment] };
}

/** Completes the streaming segment of `kind` (its text is replaced by the completed one), or appends one. */
function completeSegment(entry: AssistantEntry, kind: 'text' | 'thinking', text: string, timestamp: number | undefined, live: boolean, durationMs?: number): AssistantEntry {
  const liveIndex = findLastIndex(entry.segments, (segment) => segment.kind === kind && isLive(segment));
  const duplicate = live && timestamp !== undefined && entry.segments.some((segment) => segment.kind === kind && segment.timestamp === timestamp && !isLive(segment));
  if (duplicate || (!text && liveIndex >= 0)) {
    return liveIndex >= 0 ? withSegments(entry, entry.segments.filter((_, i) => i !== liveIndex), false) : entry;
  }
  if (!text) return entry;
  const id = liveIndex >= 0 ? entry.segments[liveIndex]!.id : `${entry.id}:${entry.segments.length}`;
  const completed: TimelineSegment =
    kind === 'text'
      ? { kind: 'text', id, text, ...(timestamp !== undefined ? { timestamp } : {}) }
      : { kind: 'thinking', id, text, isComplete: true, ...(durationMs !== undefined ? { durationMs } : {}), ...(timestamp !== undefined ? { timestamp } : {}) };
  const segments = liveIndex >= 0 ? replaceAt(entry.segments, liveIndex, completed) : [...entry.segments, completed];
  return withSegments(entry, segments, kind === 'text');
}

/** Ends whatever is still streaming in the last answer (a run that completed, failed or was cut off). */
export function finishStreaming(timeline: TimelineEntry[]): TimelineEntry[] {
  const last = timeline.at(-1);
  if (last?.type !== 'assistant' || !last.segments.some(isLive)) return timeline;
  const segments = last.segments.map((segment): TimelineSegment => {
    if (segment.kind === 'text' && segment.streaming) return { kind: 'text', id: segment.id, text: segment.text, ...(segment.timestamp !== undefined ? { timestamp: segment.timestamp } : {}) };
    if (segment.kind === 'thinking' && !segment.isComplete) return { ...segment, isComplete: true };
    return segment;
  });
  return [...timeline.slice(0, -1), { ...last, segments, content: textContent(segments) }];
}

function upsertTool(entry: AssistantEntry, callId: string, update: (record: ToolExecutionRecord | undefined) => ToolExecutionRecord | undefined): AssistantEntry {
  const index = entry.segments.findIndex((segment) => segment.kind === 'tool' && segment.id === callId);
  const current = index >= 0 ? (entry.segments[index] as ToolSegment).toolExecution : undefined;
  const next = update(current);
  if (!next || next === current) return entry;
  const segment: TimelineSegment = { kind: 'tool', id: callId, toolExecution: next };
  return { ...entry, segments: index >= 0 ? replaceAt(entry.segments, index, segment) : [...entry.segments, segment] };
}

/**
 * The card of `callId` wherever it is (call ids are unique in a conversation): the index of the assistant entry that
 * holds it, its segment's position there and its record; undefined when no entry has it. Searched from the end, where
 * a live call's card is.
 */
export function locateToolCard(timeline: readonly TimelineEntry[], callId: string): { index: number; position: number; record: ToolExecutionRecord } | undefined {
  for (let index = timeline.length - 1; index >= 0; index -= 1) {
    const entry = timeline[index]!;
    if (entry.type !== 'assistant') continue;
    const position = entry.segments.findIndex((segment) => segment.kind === 'tool' && segment.id === callId);
    if (position >= 0) return { index, position, record: (entry.segments[position] as ToolSegment).toolExecution };
  }
  return undefined;
}

type ToolEvent = Extract<AgentEvent, { type: 'tool.awaiting_approval' | 'tool.approved' | 'tool.denied' | 'tool.executing' | 'tool.result' | 'tool.error' }>;

const toolStatusOf: Record<ToolEvent['type'], ToolStatus> = {
  'tool.awaiting_approval': 'awaiting_approval',
  'tool.approved': 'approved',
  'tool.denied': 'denied',
  'tool.executing': 'executing',
  'tool.result': 'completed',
  'tool.error': 'error',
};

function applyToolEvent(record: ToolExecutionRecord | undefined, event: ToolEvent, timestamp: number | undefined, live: boolean): ToolExecutionRecord | undefined {
  const status = toolStatusOf[event.type];
  // pending/executing/awaiting/error may add the card; the others only update it (spec §4)
  const mayCreate = event.type === 'tool.awaiting_approval' || event.type === 'tool.executing' || event.type === 'tool.error';
  if (!record && !mayCreate) return undefined;
  if (record && live) {
    // A replay must not undo or repeat what the card shows. The gate re-sends `tool.awaiting_approval` for calls
    // still waiting after a decision: those update the card. (The stored reading applies every event in order: a
    // reconciler's second `tool.error` adds the cluster state to the first one's outcome.)
    if (statusRank[record.status] > statusRank[status]) return record;
    if (record.status === status && event.type !== 'tool.awaiting_approval') return record;
  }
  const next: ToolExecutionRecord = { ...(record ?? { call_id: event.call_id, tool: event.tool, title: event.title, args: event.args, timestamp: timestamp ?? 0 }), status };
  switch (event.type) {
    case 'tool.awaiting_approval':
      next.requires_approval = true;
      // The exact (resolved, redacted) arguments the approval is for replace the model's relative ones.
      next.args = event.args;
      next.args_hash = event.args_hash;
      if (event.diff !== undefined) next.diff = event.diff;
      if (event.preview_error !== undefined) next.preview_error = event.preview_error;
      if (event.diff_hash !== undefined) next.diff_hash = event.diff_hash;
      if (event.artifact_digest !== undefined) next.artifact_digest = event.artifact_digest;
      if (event.resolution !== undefined) next.resolution = event.resolution;
      if (event.risks !== undefined) next.risks = event.risks;
      if (event.destructive !== undefined) next.destructive = event.destructive;
      if (event.policy_reason !== undefined) next.policy_reason = event.policy_reason;
      if (event.requested_by !== undefined) next.requested_by = event.requested_by;
      if (event.cluster !== undefined) next.cluster = event.cluster;
      if (event.namespace !== undefined) next.namespace = event.namespace;
      if (event.namespaces !== undefined) next.namespaces = event.namespaces;
      if (event.cluster_scoped !== undefined) next.cluster_scoped = event.cluster_scoped;
      if (event.undo !== undefined) next.undo = event.undo;
      if (event.undo_of !== undefined) next.undo_of = event.undo_of;
      break;
    case 'tool.approved':
    case 'tool.denied': {
      // The card keeps what was decided on (diff, risks, hashes: spread from the awaiting record) and says who,
      // when and why.
      next.requires_approval = true;
      if (event.decided_by) next.decided_by = event.decided_by;
      if (event.decided_by_email) next.decided_by_email = event.decided_by_email;
      const decidedAt = typeof event.decided_at === 'number' ? event.decided_at : live ? timestamp : undefined;
      if (decidedAt !== undefined) next.decided_at = decidedAt;
      if (event.reason) next.reason = event.reason;
      if (event.type === 'tool.approved' && event.automatic) next.automatic = true;
      if (event.type === 'tool.approved' && event.auto_revert) next.auto_revert = true;
      // The stored card says why it did not run; the live card shows the reason in its decision note.
      if (event.type === 'tool.denied' && event.reason && !live) next.error = `Denied: ${event.reason}`;
      break;
    }
    case 'tool.result':
      next.result = event.result;
      if (event.chart) next.chart = event.chart;
      if (event.undo_available) next.undo_available = true;
      break;
    case 'tool.error':
      next.error = event.error;
      if (event.code !== undefined) next.error_code = event.code;
      break;
    default:
      break;
  }
  return next;
}

function addNumber(usage: Record<string, unknown>, key: string, value: number): void {
  usage[key] = (typeof usage[key] === 'number' ? (usage[key] as number) : 0) + value;
}

/** Folds one event into the stored timeline; returns the same array when nothing changes. Reduce-friendly. */
export function foldTimelineEvent(timeline: TimelineEntry[], event: AgentEvent): TimelineEntry[] {
  return fold(timeline, event, false);
}

/** Folds one event as a live client shows it (streamed tokens, replays, see the top of the file). */
export function foldLiveTimelineEvent(timeline: TimelineEntry[], event: AgentEvent): TimelineEntry[] {
  return fold(timeline, event, true);
}

function fold(timeline: TimelineEntry[], event: AgentEvent, live: boolean): TimelineEntry[] {
  const timestamp = 'timestamp' in event && typeof event.timestamp === 'number' ? event.timestamp : undefined;
  switch (event.type) {
    // Streamed deltas are a live client's only: the stored timeline holds completed text (generation.complete).
    case 'token':
      return live ? withAssistant(timeline, event, (entry) => appendLive(entry, 'text', event.text, timestamp)) : timeline;
    case 'thinking':
      return live ? withAssistant(timeline, event, (entry) => appendLive(entry, 'thinking', event.text, timestamp)) : timeline;
    case 'generation.complete':
      return withAssistant(timeline, event, (entry) => completeSegment(entry, 'text', event.content, timestamp, live), live || event.content !== '');
    case 'thinking.complete':
      return withAssistant(timeline, event, (entry) => completeSegment(entry, 'thinking', event.content, timestamp, live, event.duration_ms), live || event.content !== '');
    case 'workflow.error':
      // Not answer text: the entry says it failed and why, and clients show that as an error (a replay is a no-op).
      return withAssistant(timeline, event, (entry) => {
        if (entry.error === event.error && entry.error_code === event.code) return entry;
        const { error_code: _previous, ...rest } = entry;
        return { ...rest, error: event.error, ...(event.code !== undefined ? { error_code: event.code } : {}) };
      });
    case 'tools.pending':
      return withAssistant(timeline, event, (entry) => {
        let current = entry;
        for (const tool of event.tools) {
          current = upsertTool(current, tool.call_id, (record) =>
            record ?? {
              call_id: tool.call_id,
              tool: tool.tool,
              title: tool.title,
              args: tool.args,
              status: 'pending',
              requires_approval: tool.requires_approval,
              ...(tool.destructive !== undefined ? { destructive: tool.destructive } : {}),
              timestamp: tool.timestamp,
            },
          );
        }
        return current;
      });
    case 'tool.awaiting_approval':
    case 'tool.approved':
    case 'tool.denied':
    case 'tool.executing':
    case 'tool.result':
    case 'tool.error': {
      const update = (entry: AssistantEntry) => upsertTool(entry, event.call_id, (record) => applyToolEvent(record, event, timestamp, live));
      // The call's card wherever it is: an outcome written after later messages (a restart's reconciler, a resumed
      // verification) closes that card instead of adding a second one to the last answer.
      const holder = locateToolCard(timeline, event.call_id)?.index;
      if (holder !== undefined) {
        const changed = update(timeline[holder] as AssistantEntry);
        return changed === timeline[holder] ? timeline : replaceAt(timeline, holder, changed);
      }
      const mayCreate = event.type === 'tool.awaiting_approval' || event.type === 'tool.executing' || event.type === 'tool.error';
      return withAssistant(timeline, event, update, mayCreate);
    }
    case 'runbook.used':
      // Emitted before the model's first turn: it opens the answer, which then shows "Runbook: <title>" (a replay is a no-op).
      return withAssistant(timeline, event, (entry) => (JSON.stringify(entry.runbooks) === JSON.stringify(event.runbooks) ? entry : { ...entry, runbooks: event.runbooks }));
    case 'memory.used':
      return withAssistant(timeline, event, (entry) => (JSON.stringify(entry.seen_before) === JSON.stringify(event.incidents) ? entry : { ...entry, seen_before: event.incidents }));
    case 'tool.verification':
      return foldVerification(timeline, event, live);
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
    case 'error':
      return finishStreaming(timeline);
    case 'completed': {
      // ttr_ms sums the runs of one answer (a decision resumes the same assistant entry). Only the latest run of the
      // answer says whether it was cut short: a stopped run marks it, a later run that ends normally clears the mark.
      const stopped = event.status === 'stopped';
      return withAssistant(
        finishStreaming(timeline),
        event,
        (entry) => {
          const usage: Record<string, unknown> = { ...(entry.token_usage ?? {}) };
          addNumber(usage, 'ttr_ms', event.duration_ms);
          const { stopped: _previous, ...rest } = entry;
          return { ...rest, token_usage: usage, ...(stopped ? { stopped: true } : {}) };
        },
        live && stopped,
      );
    }
    default:
      return timeline;
  }
}

type VerificationEvent = Extract<AgentEvent, { type: 'tool.verification' }>;

/**
 * Issue 21: a verification updates its tool's card wherever it is (one finished after a restart arrives when later
 * answers may exist). It never creates a card, and `verifying` never replaces a verdict (a live replay).
 */
function foldVerification(timeline: TimelineEntry[], event: VerificationEvent, live: boolean): TimelineEntry[] {
  const card = locateToolCard(timeline, event.call_id);
  if (!card) return timeline;
  const { index, position, record } = card;
  const entry = timeline[index] as AssistantEntry;
  if (event.outcome === 'verifying' && record.verification && record.verification.outcome !== 'verifying') return timeline;
  if (live && record.verification?.outcome === event.outcome && record.verification.finished_at === event.finished_at) return timeline;
  const verification: ToolVerification = {
    outcome: event.outcome,
    summary: event.summary,
    evidence: event.evidence ?? [],
    ...(event.controller !== undefined ? { controller: event.controller } : {}),
    ...(event.started_at !== undefined ? { started_at: event.started_at } : {}),
    ...(event.finished_at !== undefined ? { finished_at: event.finished_at } : {}),
    ...(event.auto_revert_call_id !== undefined ? { auto_revert_call_id: event.auto_revert_call_id } : {}),
  };
  const next: ToolExecutionRecord = { ...record, verification, ...(event.undo_of !== undefined ? { undo_of: event.undo_of } : {}) };
  const changed: AssistantEntry = { ...entry, segments: replaceAt(entry.segments, position, { kind: 'tool', id: event.call_id, toolExecution: next }) };
  return replaceAt(timeline, index, changed);
}
