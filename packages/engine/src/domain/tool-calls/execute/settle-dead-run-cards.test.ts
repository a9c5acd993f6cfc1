import type { AgentEvent, TimelineEntry, ToolStatus } from '@skyflo/protocol';
import { describe, expect, it } from 'vitest';
import type { ApprovalRecord } from '../../../platform/ports/index.ts';
import { applyEventToTimeline, appendUserEntry } from '../../timeline/apply-event.ts';
import { closeUnansweredQuestion, interruptedCallText, settleCardsOfDeadRuns, unansweredText } from './settle-dead-run-cards.ts';

const conversationId = 'c1';
const event = (type: string, callId: string, extra: Record<string, unknown> = {}) =>
  ({ type, call_id: callId, tool: 'k8s_scale', title: 'Scale', args: { name: callId }, conversation_id: conversationId, run_id: 'r1', timestamp: 1, ...extra }) as unknown as AgentEvent;
const row = (callId: string, status: ApprovalRecord['status'], extra: Partial<ApprovalRecord> = {}) => [callId, { conversationId, callId, status, tool: 'k8s_scale', args: {}, ...extra } as ApprovalRecord] as const;

/** One answer with a card per call, each brought to the status named by the events given. */
function timelineWith(cards: Array<[callId: string, events: AgentEvent[]]>): TimelineEntry[] {
  return cards.flatMap(([, events]) => events).reduce(applyEventToTimeline, appendUserEntry([], { id: 'u1', content: 'go', timestamp: 0 }));
}

const statuses = (timeline: TimelineEntry[]) =>
  Object.fromEntries(timeline.flatMap((entry) => (entry.type === 'assistant' ? entry.segments : [])).flatMap((segment) => (segment.kind === 'tool' ? [[segment.id, segment.toolExecution.status]] : [])));

describe('settling the cards a dead run left under way', () => {
  it("shows each call's recorded outcome, and leaves calls that still wait or that a live run holds", () => {
    const timeline = timelineWith([
      ['ran', [event('tool.executing', 'ran')]],
      ['refused', [event('tool.awaiting_approval', 'refused', { args_hash: 'h' }), event('tool.approved', 'refused')]],
      ['unknown', [event('tool.executing', 'unknown')]],
      ['read', [event('tool.executing', 'read')]],
      ['waits', [event('tool.awaiting_approval', 'waits', { args_hash: 'h' })]],
      ['live', [event('tool.executing', 'live')]],
      ['done', [event('tool.executing', 'done'), event('tool.result', 'done', { result: [{ type: 'text', text: 'full result' }] })]],
    ]);
    const rows = new Map([
      row('ran', 'executed', { resultSummary: 'scaled to 3' }),
      row('refused', 'failed', { resultSummary: 'Not executed: the target changed.' }),
      row('unknown', 'unknown', { resultSummary: 'Outcome unknown.' }),
      row('waits', 'awaiting'),
      row('live', 'executing'),
      row('done', 'executed', { resultSummary: 'summary' }),
    ]);
    const { timeline: settled, settled: count } = settleCardsOfDeadRuns(timeline, rows, conversationId, 2);
    expect(count).toBe(4);
    expect(statuses(settled)).toEqual<Record<string, ToolStatus>>({ ran: 'completed', refused: 'error', unknown: 'error', read: 'error', waits: 'awaiting_approval', live: 'executing', done: 'completed' });
    const card = (id: string) => settled.flatMap((entry) => (entry.type === 'assistant' ? entry.segments : [])).find((segment) => segment.kind === 'tool' && segment.id === id);
    expect(card('ran')).toMatchObject({ toolExecution: { result: [{ type: 'text', text: 'scaled to 3' }] } });
    expect(card('refused')).toMatchObject({ toolExecution: { error: 'Not executed: the target changed.' } });
    expect(card('unknown')).toMatchObject({ toolExecution: { error_code: 'UNKNOWN_OUTCOME' } });
    expect(card('read')).toMatchObject({ toolExecution: { error: interruptedCallText, error_code: 'INTERRUPTED' } });
    // a card that has its outcome keeps the full result, not the row's summary
    expect(card('done')).toMatchObject({ toolExecution: { result: [{ type: 'text', text: 'full result' }] } });
  });

  it('moves a card still awaiting approval whose row was decided and ended (the deciding run lost its timeline writes)', () => {
    const awaiting = (callId: string) => [callId, [event('tool.awaiting_approval', callId, { args_hash: 'h' })]] as [string, AgentEvent[]];
    const timeline = timelineWith([awaiting('ran'), awaiting('denied'), awaiting('cancelled'), awaiting('waits'), awaiting('decided')]);
    const rows = new Map([
      row('ran', 'executed', { resultSummary: 'scaled to 3' }),
      row('denied', 'denied', { reason: 'not now' }),
      row('cancelled', 'cancelled', { resultSummary: 'Not executed: the run was stopped.' }),
      row('waits', 'awaiting'),
      row('decided', 'approved'),
    ]);
    const { timeline: settled, settled: count } = settleCardsOfDeadRuns(timeline, rows, conversationId, 2);
    expect(count).toBe(3);
    expect(statuses(settled)).toEqual<Record<string, ToolStatus>>({ ran: 'completed', denied: 'error', cancelled: 'error', waits: 'awaiting_approval', decided: 'awaiting_approval' });
  });

  it('settles a card where it is when later messages follow it, and changes nothing when nothing is under way', () => {
    const later = appendUserEntry(timelineWith([['ran', [event('tool.executing', 'ran')]]]), { id: 'u2', content: 'and now?', timestamp: 3 });
    const withAnswer = applyEventToTimeline(later, { type: 'generation.complete', run_id: 'r2', conversation_id: conversationId, content: 'Still scaling.', tokens_generated: 2, tool_calls: 0, timestamp: 4 } as AgentEvent);
    const { timeline } = settleCardsOfDeadRuns(withAnswer, new Map([row('ran', 'executed', { resultSummary: 'scaled' })]), conversationId, 5);
    expect(timeline.map((entry) => entry.type)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(statuses(timeline)).toEqual({ ran: 'completed' });
    expect(timeline[3]).toBe(withAnswer[3]);
    const again = settleCardsOfDeadRuns(timeline, new Map(), conversationId, 6);
    expect(again).toEqual({ timeline, settled: 0 });
  });
});

describe('a question a dead run never answered', () => {
  const asked = appendUserEntry([], { id: 'u1', content: 'tell me a slow story', timestamp: 100 });

  it('gets a failed answer that says the engine stopped, once', () => {
    const closed = closeUnansweredQuestion(asked, conversationId, 200);
    expect(closed.at(-1)).toMatchObject({ type: 'assistant', error: unansweredText, error_code: 'INTERRUPTED', content: '' });
    expect(closeUnansweredQuestion(closed, conversationId, 300)).toBe(closed);
    // an answer that holds only its first-token time is no answer either
    const started = applyEventToTimeline(asked, { type: 'ttft', duration: 40, conversation_id: conversationId, run_id: 'r1', timestamp: 140 } as AgentEvent);
    expect(started).toHaveLength(2);
    expect(closeUnansweredQuestion(started, conversationId, 200).at(-1)).toMatchObject({ type: 'assistant', error: unansweredText, token_usage: { ttft_ms: 40 } });
  });

  it('leaves an answered question, and a question asked after the run was found dead (a live run answers it)', () => {
    const answered = applyEventToTimeline(asked, { type: 'generation.complete', content: 'Once upon a time', conversation_id: conversationId, run_id: 'r1', timestamp: 150 } as AgentEvent);
    expect(closeUnansweredQuestion(answered, conversationId, 200)).toBe(answered);
    expect(closeUnansweredQuestion(asked, conversationId, 50)).toBe(asked);
  });
});
