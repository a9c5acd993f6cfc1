/**
 * The protocol owns the timeline fold and the client. What a user would notice: a page that watched a run live and a
 * page reloaded afterwards (the engine's stored fold) show the same answer; the typed client resumes a run's stream
 * after the last event it saw and lets go when aborted.
 */
import { describe, expect, it } from 'vitest';
import type { AgentEvent, TimelineEntry } from './index.ts';
import { createSkyfloClient } from './client/index.ts';
import { appendAlertEntry, appendUserEntry, foldLiveTimelineEvent, foldTimelineEvent } from './timeline-fold.ts';

const base = { run_id: 'r1', conversation_id: 'c1' };
const tool = { call_id: 'call_1', tool: 'k8s_scale', title: 'Scale', args: { name: 'web', replicas: 0 } };
const run: AgentEvent[] = [
  { type: 'thinking', ...base, text: 'check ', timestamp: 1 },
  { type: 'thinking.complete', ...base, content: 'check first', duration_ms: 5, timestamp: 2 },
  { type: 'token', ...base, text: 'Scaling ', tokens_generated: 1, timestamp: 3 },
  { type: 'token', ...base, text: 'web.', tokens_generated: 2, timestamp: 4 },
  { type: 'generation.complete', ...base, content: 'Scaling web.', tokens_generated: 2, tool_calls: 1, timestamp: 5 },
  { type: 'tools.pending', ...base, tools: [{ ...tool, requires_approval: true, destructive: true, timestamp: 6 }], timestamp: 6 },
  { type: 'tool.awaiting_approval', ...base, ...tool, diff: '-2\n+0', args_hash: 'a'.repeat(64), diff_hash: 'd'.repeat(64), destructive: true, context: { conversation_id: 'c1', approval_decisions: {} }, timestamp: 7 },
  { type: 'tool.approved', ...base, ...tool, decided_by: 'u-2', decided_by_email: 'ann@example.com', decided_at: 8, reason: 'window open', timestamp: 8 },
  { type: 'tool.executing', ...base, ...tool, timestamp: 9 },
  { type: 'tool.result', ...base, ...tool, result: [{ type: 'text', text: 'scaled' }], timestamp: 10 },
  { type: 'completed', ...base, status: 'completed', duration: 0.01, duration_ms: 10, timestamp: 11 },
];

describe('one fold', () => {
  it("an alert investigation's alert is its own entry: the run's answer follows it, live and stored alike (issue 37 item 9)", () => {
    const alert = { title: 'KubePodCrashLooping', status: 'firing' as const, source: 'alertmanager' as const, receiver: 'pager', labels: { pod: 'web-7d9' }, annotations: { summary: 'crash looping' }, links: [], count: 1 };
    const opened = appendAlertEntry([], { id: 'a', content: 'crash looping', timestamp: 0, alert });
    const stored = run.reduce(foldTimelineEvent, opened);
    const live = run.reduce(foldLiveTimelineEvent, opened);
    expect(stored.map((entry) => entry.type)).toEqual(['alert', 'assistant']);
    expect(stored[0]).toEqual({ id: 'a', type: 'alert', content: 'crash looping', timestamp: 0, alert });
    // (the live answer is dated by its first streamed token: entries are compared, not their dates)
    expect(live.map((entry) => entry.type)).toEqual(['alert', 'assistant']);
    expect(live[0]).toEqual(stored[0]);
    expect((live[1] as { content: string }).content).toBe((stored[1] as { content: string }).content);
  });

  it('the live view of a run ends with the same answer the engine stores', () => {
    const user: TimelineEntry[] = [{ id: 'u', type: 'user', content: 'scale web to 0', timestamp: 0 }];
    const stored = run.reduce(foldTimelineEvent, user);
    const live = run.reduce(foldLiveTimelineEvent, user);
    const answer = stored[1]!;
    const liveAnswer = live[1]!;
    if (answer.type !== 'assistant' || liveAnswer.type !== 'assistant') throw new Error('expected the answer');
    // the same segments, text and usage (the live entry is dated by its first streamed token, the stored one by its first completion)
    expect(live).toHaveLength(2);
    expect(liveAnswer.segments).toEqual(answer.segments);
    expect({ content: liveAnswer.content, usage: liveAnswer.token_usage }).toEqual({ content: answer.content, usage: answer.token_usage });
    expect(answer.content).toBe('Scaling web.');
    expect(answer.segments.map((segment) => segment.kind)).toEqual(['thinking', 'text', 'tool']);
    expect(answer.segments[2]).toMatchObject({ toolExecution: { status: 'completed', diff: '-2\n+0', decided_by_email: 'ann@example.com', reason: 'window open', destructive: true } });
  });

  it('a replayed run (re-attach after a reload) shows no text, thinking or tool twice in the live view', () => {
    const once = run.reduce(foldLiveTimelineEvent, [] as TimelineEntry[]);
    const replayed = run.reduce(foldLiveTimelineEvent, once);
    expect(replayed).toHaveLength(1);
    expect((replayed[0] as Extract<TimelineEntry, { type: 'assistant' }>).segments).toEqual((once[0] as Extract<TimelineEntry, { type: 'assistant' }>).segments);
  });

  it("an outcome that arrives after later messages closes the call's own card, not a second one in the last answer", () => {
    // The call stopped at `executing` (its run was killed); the user asked again and got an answer before the
    // restart's reconciler (or a resumed verification) wrote the outcome.
    const cut = run.slice(0, run.findIndex((event) => event.type === 'tool.result'));
    const later: AgentEvent[] = [
      { type: 'generation.complete', run_id: 'r2', conversation_id: 'c1', content: 'Web is at 0.', tokens_generated: 4, tool_calls: 0, timestamp: 21 },
      { type: 'completed', run_id: 'r2', conversation_id: 'c1', status: 'completed', duration: 0.01, duration_ms: 5, timestamp: 22 },
    ];
    const outcomes: AgentEvent[] = [
      { type: 'tool.error', ...base, ...tool, error: 'The engine stopped while this call was executing: its outcome is unknown.', code: 'UNKNOWN_OUTCOME', timestamp: 30 },
      { type: 'tool.result', ...base, ...tool, result: [{ type: 'text', text: 'scaled' }], timestamp: 30 },
    ];
    for (const [name, foldEvent] of [['stored', foldTimelineEvent], ['live', foldLiveTimelineEvent]] as const) {
      for (const outcome of outcomes) {
        const before = later.reduce(foldEvent, appendUserEntry(cut.reduce(foldEvent, [{ id: 'u1', type: 'user', content: 'scale web to 0', timestamp: 0 }]), { id: 'u2', content: 'is web down?', timestamp: 20 }));
        const after = foldEvent(before, outcome);
        const cards = after.flatMap((entry) => (entry.type === 'assistant' ? entry.segments.filter((segment) => segment.kind === 'tool') : []));
        expect(cards, `${name} fold, ${outcome.type}`).toHaveLength(1);
        expect(cards[0], `${name} fold, ${outcome.type}`).toMatchObject({ id: 'call_1', toolExecution: { status: outcome.type === 'tool.error' ? 'error' : 'completed' } });
        // the card stayed in the first answer; the later answer is untouched
        expect(after.map((entry) => entry.type)).toEqual(['user', 'assistant', 'user', 'assistant']);
        expect(after[3]).toBe(before[3]);
      }
    }
  });
});

describe('one client', () => {
  it('resumes a run after the last event it saw (Last-Event-ID) and yields typed events with their ids', async () => {
    const seen: Array<{ url: string; lastEventId: string | null }> = [];
    const client = createSkyfloClient({
      baseUrl: 'http://engine.test/',
      fetch: async (url, init) => {
        seen.push({ url: String(url), lastEventId: new Headers(init?.headers).get('last-event-id') });
        return new Response(`id: 8\nevent: tool.executing\ndata: ${JSON.stringify({ type: 'tool.executing', ...base, ...tool })}\n\nevent: future.event\ndata: {}\n\n`, {
          headers: { 'content-type': 'text/event-stream' },
        });
      },
    });
    const events = [];
    for await (const item of await client.runEvents({ conversationId: 'c1', runId: 'r1', lastEventId: 7 })) events.push(item);
    expect(seen).toEqual([{ url: 'http://engine.test/api/v1/agent/runs/r1/events?conversation_id=c1', lastEventId: '7' }]);
    // an event type this client does not know (a newer engine) is skipped
    expect(events).toEqual([{ id: 8, event: { type: 'tool.executing', ...base, ...tool } }]);
  });

  it('an aborted stream ends quietly; an engine refusal carries its detail and status', async () => {
    const controller = new AbortController();
    const client = createSkyfloClient({
      baseUrl: '',
      fetch: async (url, init) => {
        if (String(url).endsWith('/agent/stop')) return Response.json({ detail: 'No run r9 is going on in this conversation.' }, { status: 404 });
        const body = new ReadableStream<Uint8Array>({
          start(stream) {
            stream.enqueue(new TextEncoder().encode(`id: 1\nevent: token\ndata: ${JSON.stringify({ type: 'token', ...base, text: 'a', tokens_generated: 1 })}\n\n`));
            init?.signal?.addEventListener('abort', () => stream.error(new DOMException('aborted', 'AbortError')));
          },
        });
        return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
      },
    });
    const texts: string[] = [];
    for await (const { event } of await client.chat({ message: 'hi', conversationId: 'c1', signal: controller.signal })) {
      if (event.type === 'token') texts.push(event.text);
      controller.abort();
    }
    expect(texts).toEqual(['a']);
    await expect(client.stop({ conversationId: 'c1', runId: 'r9' })).rejects.toMatchObject({ status: 404, message: 'No run r9 is going on in this conversation.' });
  });
});
