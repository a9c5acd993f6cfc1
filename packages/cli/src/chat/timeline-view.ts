/**
 * What `skyflo chat` draws from: the run's events folded by the protocol's live fold (`foldLiveTimelineEvent`, the
 * fold the Command Center shows a live run with and the engine stores runs with), so the terminal, the page and a
 * reloaded conversation read the same facts (a tool's status, arguments, output, error and decision; the text
 * streamed so far; whether the answer failed or was stopped). The renderer decides when to draw (it writes a
 * terminal, line by line, as events arrive); what it draws comes from here.
 */
import type { AgentEvent, TimelineEntry, TimelineSegment, ToolExecutionRecord } from '@skyflo/protocol';
import { foldLiveTimelineEvent } from '@skyflo/protocol/timeline-fold';

type AssistantEntry = Extract<TimelineEntry, { type: 'assistant' }>;

export interface TimelineView {
  /** folds one event into the timeline (call before drawing it); false when it changed nothing (a repeat) */
  fold(event: AgentEvent): boolean;
  /** the folded record of a call (undefined for a call the fold has not seen) */
  tool(callId: string): ToolExecutionRecord | undefined;
  /**
   * the text of `kind` streamed since the last call, read from the answer's streaming segment (the fold appends each
   * delta to it); '' when nothing new
   */
  streamed(kind: 'text' | 'thinking'): string;
  /** the answer the events of this session folded into */
  answer(): AssistantEntry | undefined;
}

export function createTimelineView(): TimelineView {
  let timeline: TimelineEntry[] = [];
  /** how much of each streaming segment (by id) was already handed out */
  const shown = new Map<string, number>();

  const answer = (): AssistantEntry | undefined => {
    const last = timeline.at(-1);
    return last?.type === 'assistant' ? last : undefined;
  };

  return {
    fold(event) {
      const next = foldLiveTimelineEvent(timeline, event);
      const changed = next !== timeline;
      timeline = next;
      return changed;
    },
    tool(callId) {
      // A call id is unique in a conversation; the latest entries are the likeliest.
      for (let index = timeline.length - 1; index >= 0; index -= 1) {
        const entry = timeline[index]!;
        if (entry.type !== 'assistant') continue;
        const segment = entry.segments.find((candidate): candidate is Extract<TimelineSegment, { kind: 'tool' }> => candidate.kind === 'tool' && candidate.id === callId);
        if (segment) return segment.toolExecution;
      }
      return undefined;
    },
    streamed(kind) {
      const segment = answer()?.segments.at(-1);
      if (!segment || segment.kind !== kind) return '';
      const live = segment.kind === 'text' ? segment.streaming === true : !segment.isComplete;
      if (!live) return '';
      const from = shown.get(segment.id) ?? 0;
      if (segment.text.length <= from) return '';
      shown.set(segment.id, segment.text.length);
      return segment.text.slice(from);
    },
    answer,
  };
}
