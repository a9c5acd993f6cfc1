import type { AgentEvent } from '@skyflo/protocol';
import { describe, expect, it } from 'vitest';
import { addUserMessage, applyEvent, emptyTimeline, pendingApprovals, timelineFromPersisted, type Segment, type TimelineState } from '../src/features/chat/state/timeline.ts';

const run = 'run-1';
const conversation = 'c-1';
const base = { run_id: run, conversation_id: conversation };
let nextId = 0;
const framed = (event: Record<string, unknown>) => ({ event: { ...base, ...event } as AgentEvent, id: ++nextId });

function play(state: TimelineState, frames: Array<{ event: AgentEvent; id?: number }>): TimelineState {
  return frames.reduce((current, frame) => applyEvent(current, frame.event, frame.id), state);
}

function segments(state: TimelineState): Segment[] {
  const last = state.entries.at(-1);
  return last?.type === 'assistant' ? last.segments : [];
}

const readOnlyTurn = () => {
  nextId = 0;
  return [
    { event: { type: 'ready', run_id: run, conversation_id: conversation } as AgentEvent },
    framed({ type: 'thinking', text: 'Let me ', timestamp: 1000 }),
    framed({ type: 'thinking', text: 'look.', timestamp: 1001 }),
    framed({ type: 'thinking.complete', content: 'Let me look.', duration_ms: 2400, timestamp: 1002 }),
    framed({ type: 'tools.pending', timestamp: 1003, tools: [{ call_id: 't1', tool: 'k8s_get', title: 'Get deployments', args: { namespace: 'default' }, requires_approval: false, timestamp: 1003 }] }),
    framed({ type: 'tool.executing', call_id: 't1', tool: 'k8s_get', title: 'Get deployments', args: { namespace: 'default' }, timestamp: 1004 }),
    framed({ type: 'tool.result', call_id: 't1', tool: 'k8s_get', title: 'Get deployments', args: { namespace: 'default' }, result: [{ type: 'text', text: 'web 2/2' }], timestamp: 1005 }),
    framed({ type: 'token', text: 'Only ', tokens_generated: 1, timestamp: 1006 }),
    framed({ type: 'token', text: '**web**.', tokens_generated: 2, timestamp: 1007 }),
    framed({ type: 'generation.complete', content: 'Only **web**.', tokens_generated: 2, tool_calls: 0, timestamp: 1008 }),
    framed({ type: 'token.usage', source: 'main', model: 'sim', prompt_tokens: 10, completion_tokens: 2, total_tokens: 12, cached_tokens: 0, timestamp: 1009 }),
    framed({ type: 'completed', status: 'completed', duration: 1, duration_ms: 1000, timestamp: 1010 }),
  ];
};

describe('stream reducer: SSE events → timeline', () => {
  it('builds thinking, a completed tool card and the answer text of a read-only turn', () => {
    const state = play(addUserMessage(emptyTimeline, 'Which deployments?', 1), readOnlyTurn());
    expect(state.status).toBe('idle');
    expect(state.entries.map((entry) => entry.type)).toEqual(['user', 'assistant']);
    const parts = segments(state);
    expect(parts.map((part) => part.kind)).toEqual(['thinking', 'tool', 'text']);
    expect(parts[0]).toMatchObject({ text: 'Let me look.', complete: true, durationMs: 2400 });
    expect(parts[1]).toMatchObject({ tool: { status: 'completed', result: [{ text: 'web 2/2' }] } });
    expect(parts[2]).toMatchObject({ text: 'Only **web**.' });
    expect((parts[2] as { streaming?: boolean }).streaming).toBeUndefined();
  });

  it('shows streamed tokens live before generation.complete', () => {
    const frames = readOnlyTurn().slice(0, 9);
    const state = play(emptyTimeline, frames);
    expect(state.status).toBe('streaming');
    expect(segments(state).at(-1)).toMatchObject({ kind: 'text', text: 'Only **web**.', streaming: true });
  });

  it('ignores duplicated frames (same SSE id) from a reconnect', () => {
    const frames = readOnlyTurn();
    const once = play(emptyTimeline, frames);
    const twice = play(emptyTimeline, [...frames.slice(0, 9), ...frames.slice(5, 9), ...frames.slice(9)]);
    expect(twice.entries).toEqual(once.entries);
    const last = twice.entries.at(-1)!;
    expect(last.type === 'assistant' && last.usage.total_tokens).toBe(12);
  });

  it('replaying a whole run on top of the saved timeline (reload) adds nothing twice', () => {
    const frames = readOnlyTurn();
    const live = play(addUserMessage(emptyTimeline, 'Which deployments?', 1), frames);
    // what the engine saved: the same segments, with the completing events' timestamps
    const saved = timelineFromPersisted([
      { id: 'u', type: 'user', content: 'Which deployments?', timestamp: 1 },
      {
        id: `assistant-${run}`,
        type: 'assistant',
        content: 'Only **web**.',
        timestamp: 1000,
        segments: [
          { kind: 'thinking', id: 'a:0', text: 'Let me look.', isComplete: true, durationMs: 2400, timestamp: 1002 },
          { kind: 'tool', id: 't1', toolExecution: { call_id: 't1', tool: 'k8s_get', title: 'Get deployments', args: {}, status: 'completed', result: [{ type: 'text', text: 'web 2/2' }], timestamp: 1003 } },
          { kind: 'text', id: 'a:2', text: 'Only **web**.', timestamp: 1008 },
        ],
      },
    ]);
    const replayed = play(saved, frames);
    expect(segments(replayed).map((part) => part.kind)).toEqual(segments(live).map((part) => part.kind));
    expect(segments(replayed).filter((part) => part.kind === 'text')).toHaveLength(1);
    expect(segments(replayed)[1]).toMatchObject({ tool: { status: 'completed' } });
  });

  it('never moves a tool back to an earlier state on replay', () => {
    const frames = readOnlyTurn();
    const state = play(emptyTimeline, frames);
    const executingAgain = applyEvent(state, { ...base, type: 'tool.executing', call_id: 't1', tool: 'k8s_get', title: 'Get deployments', args: {} } as AgentEvent);
    expect(segments(executingAgain)[1]).toMatchObject({ tool: { status: 'completed' } });
  });

  it('an approval: the card gets the exact args, diff and risks; the run waits; the decision resumes it', () => {
    nextId = 0;
    const awaiting = play(emptyTimeline, [
      { event: { type: 'ready', run_id: run, conversation_id: conversation } as AgentEvent },
      framed({ type: 'tools.pending', tools: [{ call_id: 's1', tool: 'k8s_scale', title: 'Scale', args: { replicas: 5 }, requires_approval: true, destructive: false, timestamp: 1 }] }),
      framed({
        type: 'tool.awaiting_approval',
        call_id: 's1',
        tool: 'k8s_scale',
        title: 'Scale',
        args: { replicas: 5, name: 'web' },
        diff: '-  replicas: 2\n+  replicas: 5',
        args_hash: 'a'.repeat(64),
        risks: [{ code: 'SCALE_TO_ZERO', message: 'x', severity: 'high' }],
        policy_reason: 'mutations need a human',
        context: { conversation_id: conversation, approval_decisions: {} },
      }),
      framed({ type: 'completed', status: 'completed', duration: 1, duration_ms: 1, awaiting_approval: true }),
    ]);
    expect(awaiting.status).toBe('awaiting_approval');
    expect(pendingApprovals(awaiting)).toHaveLength(1);
    expect(pendingApprovals(awaiting)[0]).toMatchObject({ args: { replicas: 5, name: 'web' }, diff: '-  replicas: 2\n+  replicas: 5', args_hash: 'a'.repeat(64), policy_reason: 'mutations need a human' });

    const resumedRun = 'run-2';
    const resumed = play(awaiting, [
      { event: { type: 'ready', run_id: resumedRun, conversation_id: conversation } as AgentEvent },
      { event: { type: 'tool.approved', run_id: resumedRun, call_id: 's1', tool: 'k8s_scale', title: 'Scale', args: {} } as AgentEvent, id: 1 },
      { event: { type: 'tool.result', run_id: resumedRun, call_id: 's1', tool: 'k8s_scale', title: 'Scale', args: {}, result: [{ type: 'text', text: 'scaled' }] } as AgentEvent, id: 2 },
      { event: { type: 'completed', run_id: resumedRun, status: 'completed', duration: 1, duration_ms: 1 } as AgentEvent, id: 3 },
    ]);
    expect(resumed.entries).toHaveLength(1);
    expect(pendingApprovals(resumed)).toHaveLength(0);
    expect(segments(resumed)[0]).toMatchObject({ tool: { status: 'completed', args: { replicas: 5, name: 'web' } } });
    expect(resumed.status).toBe('idle');
  });

  it('a denial keeps the reason; a stop ends streaming as stopped', () => {
    nextId = 0;
    const state = play(emptyTimeline, [
      framed({ type: 'tool.awaiting_approval', call_id: 'd1', tool: 'k8s_delete', title: 'Delete', args: {}, args_hash: 'b'.repeat(64), context: { conversation_id: conversation, approval_decisions: {} } }),
      framed({ type: 'tool.denied', call_id: 'd1', tool: 'k8s_delete', title: 'Delete', args: {}, reason: 'not today' }),
      framed({ type: 'token', text: 'OK, I will not', tokens_generated: 3 }),
      framed({ type: 'completed', status: 'stopped', duration: 1, duration_ms: 1 }),
    ]);
    expect(segments(state)[0]).toMatchObject({ tool: { status: 'denied', reason: 'not today' } });
    expect(state.status).toBe('stopped');
    expect(segments(state)[1]).toMatchObject({ kind: 'text', text: 'OK, I will not' });
    expect((segments(state)[1] as { streaming?: boolean }).streaming).toBeUndefined();
  });

  it('workflow errors and rate limits become visible messages', () => {
    nextId = 0;
    const limited = play(emptyTimeline, [framed({ type: 'rate_limit', retry_in: 7.2, attempt: 1, max_retries: 3 })]);
    expect(limited.notice).toContain('retrying in 8s');
    const failed = play(limited, [framed({ type: 'workflow.error', error: 'model failed', timestamp: 5 }), framed({ type: 'completed', status: 'error', duration: 0, duration_ms: 0 })]);
    expect(failed.status).toBe('error');
    expect(failed.error).toBe('model failed');
    // said once, as the run's error (with Retry on the page): the answer carries it, not as text
    expect(segments(failed).some((segment) => segment.kind === 'text' && segment.text.includes('model failed'))).toBe(false);
    expect(failed.entries.at(-1)).toMatchObject({ type: 'assistant', error: 'model failed' });
    // reloaded from what the engine stored (the same fold), the page shows the same single error
    const reloaded = timelineFromPersisted(failed.timeline);
    expect(reloaded.error).toBe('model failed');
    expect(reloaded.entries.at(-1)).toMatchObject({ type: 'assistant', error: 'model failed', segments: [] });
  });
});

describe('model retry notices', () => {
  it('count the coming attempt out of all attempts, as the final "failed after N attempts" does', () => {
    nextId = 0;
    let state = play(addUserMessage(emptyTimeline, 'hi', 1), [{ event: { type: 'ready', run_id: run, conversation_id: conversation } as AgentEvent }]);
    const notices: string[] = [];
    // with_retries: maxRetries 3 → 4 attempts in all; each event names the attempt that failed (1-based)
    for (const attempt of [1, 2, 3]) {
      state = play(state, [framed({ type: 'transient_error', error: 'HTTP 503', retry_in: 1, attempt, max_retries: 3, timestamp: 10 + attempt })]);
      notices.push(state.notice ?? '');
    }
    expect(notices).toEqual([
      'The model failed (HTTP 503); retrying in 1s (attempt 2 of 4).',
      'The model failed (HTTP 503); retrying in 1s (attempt 3 of 4).',
      'The model failed (HTTP 503); retrying in 1s (attempt 4 of 4).',
    ]);
    state = play(state, [framed({ type: 'rate_limit', retry_in: 2.2, attempt: 1, max_retries: 3, timestamp: 20 })]);
    expect(state.notice).toBe('The model is rate-limited; retrying in 3s (attempt 2 of 4).');
  });
});

describe('an alert investigation reloaded (issue 37 item 9)', () => {
  it('its first entry is the alert card, not a user message, and only http(s) links are kept', () => {
    const state = timelineFromPersisted([
      {
        id: 'a1',
        type: 'alert',
        content: 'crash looping',
        timestamp: 1,
        alert: {
          title: 'KubePodCrashLooping',
          status: 'firing',
          source: 'alertmanager',
          receiver: 'pager',
          labels: { pod: 'web-7d9', weird: 42 },
          annotations: { summary: 'crash looping' },
          links: [
            { label: 'runbook_url', url: 'https://runbooks.example/crashloop' },
            { label: 'evil_url', url: 'javascript:alert(1)' },
          ],
          count: 1,
        },
      },
      { id: 'r1', type: 'assistant', content: 'Diagnosis.', timestamp: 2, segments: [{ kind: 'text', id: 'r1:0', text: 'Diagnosis.' }] },
    ]);
    expect(state.entries.map((entry) => entry.type)).toEqual(['alert', 'assistant']);
    const [first] = state.entries;
    if (first?.type !== 'alert') throw new Error('expected the alert first');
    expect(first.alert).toEqual({
      title: 'KubePodCrashLooping',
      status: 'firing',
      source: 'alertmanager',
      receiver: 'pager',
      labels: { pod: 'web-7d9' },
      annotations: { summary: 'crash looping' },
      links: [{ label: 'runbook_url', url: 'https://runbooks.example/crashloop' }],
      count: 1,
    });
  });

  it('keeps the lines repeat notifications added and the count of alerts left out (issue 78 item 8)', () => {
    const state = timelineFromPersisted([
      {
        id: 'a1',
        type: 'alert',
        content: '',
        timestamp: 1,
        alert: { title: 'KubePodCrashLooping', status: 'firing', source: 'alertmanager', receiver: 'pager', labels: {}, annotations: {}, links: [], count: 101, truncated_alerts: 1, notes: [{ at: 5, text: 'Fired again: the same 101 alerts firing.' }, { at: 'x', text: 3 }] },
      },
    ]);
    const [first] = state.entries;
    if (first?.type !== 'alert') throw new Error('expected the alert');
    expect(first.alert).toMatchObject({ count: 101, truncated_alerts: 1, notes: [{ at: 5, text: 'Fired again: the same 101 alerts firing.' }] });
  });
});

describe('past incidents the answer was given (issue 81)', () => {
  const incident = { conversation_id: 'c-0', title: 'Checkout OOMKilled', date: '2026-11-02', resolved_by: 'Scale a workload (name=web, replicas=3)' };
  it('memory.used opens the answer with its "Seen before" incidents, live and reloaded alike', () => {
    nextId = 0;
    const live = play(addUserMessage(emptyTimeline, 'checkout OOMKilled again', 1), [
      { event: { type: 'ready', ...base } as AgentEvent },
      framed({ type: 'memory.used', incidents: [incident], timestamp: 1 }),
      framed({ type: 'token', text: 'Seen before.', tokens_generated: 1, timestamp: 2 }),
    ]);
    const answer = live.entries.at(-1);
    expect(answer?.type === 'assistant' ? answer.seen_before : undefined).toEqual([incident]);
    const reloaded = timelineFromPersisted([{ id: 'r1', type: 'assistant', content: 'x', timestamp: 2, segments: [{ kind: 'text', id: 'r1:0', text: 'x' }], seen_before: [incident] }]);
    const stored = reloaded.entries.at(-1);
    expect(stored?.type === 'assistant' ? stored.seen_before : undefined).toEqual([incident]);
  });
});
