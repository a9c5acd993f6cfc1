import type { AgentEvent } from '@skyflo/protocol';
import { describe, expect, it } from 'vitest';
import type { TimelineEntry } from '../../platform/ports/index.ts';
import { affectsTimeline, appendUserEntry, applyEventToTimeline } from './apply-event.ts';

const base = { run_id: 'r1', conversation_id: 'c1', timestamp: 1000 };
const tool = { call_id: 'call_1', tool: 'k8s_scale', title: 'Scale', args: { name: 'web', replicas: 3 } };
const fold = (events: AgentEvent[], start: TimelineEntry[] = []) => events.reduce(applyEventToTimeline, start);

describe('timeline', () => {
  it('appends the user entry, deduplicating a repeated send', () => {
    const once = appendUserEntry([], { id: 'u1', content: 'hi', timestamp: 1 });
    expect(appendUserEntry(once, { id: 'u2', content: 'hi', timestamp: 2 })).toBe(once);
    expect(appendUserEntry(once, { id: 'u3', content: 'again', timestamp: 3 })).toHaveLength(2);
  });

  it('builds the assistant entry: thinking, tool lifecycle, text, usage', () => {
    const timeline = fold(
      [
        { type: 'ttft', ...base, duration: 120 },
        { type: 'token.usage', ...base, source: 'main', model: 'm', prompt_tokens: 100, completion_tokens: 10, total_tokens: 110, cached_tokens: 40 },
        { type: 'thinking.complete', ...base, content: 'let me think', duration_ms: 50 },
        { type: 'generation.complete', ...base, content: '', tokens_generated: 0, tool_calls: 1 },
        { type: 'tools.pending', ...base, tools: [{ ...tool, requires_approval: true, timestamp: 1000 }] },
        {
          type: 'tool.awaiting_approval',
          ...base,
          ...tool,
          // the exact arguments the approval binds (e.g. a relative revision made absolute) replace the model's
          args: { ...tool.args, to_revision: 4 },
          diff: '-a\n+b',
          args_hash: 'h',
          diff_hash: 'dh',
          resolution: ['to_revision: previous → 4'],
          risks: [{ code: 'SCALE_TO_ZERO', message: 'web goes to 0 replicas', severity: 'high' }],
          destructive: true,
          policy_reason: "'k8s_scale' may change state",
          requested_by: { id: 'u-1', email: 'ops@example.com' },
          context: { conversation_id: 'c1', approval_decisions: {} },
        },
        { type: 'completed', ...base, status: 'completed', duration: 0.5, duration_ms: 500, awaiting_approval: true },
        // the approval run continues the same entry
        { type: 'tool.approved', ...base, run_id: 'r2', ...tool, decided_by: 'u-2' },
        { type: 'tool.executing', ...base, run_id: 'r2', ...tool },
        { type: 'tool.result', ...base, run_id: 'r2', ...tool, result: [{ type: 'text', text: 'scaled' }] },
        { type: 'token.usage', ...base, run_id: 'r2', source: 'main', model: 'm', prompt_tokens: 200, completion_tokens: 20, total_tokens: 220, cached_tokens: 0 },
        { type: 'generation.complete', ...base, run_id: 'r2', content: 'Done.', tokens_generated: 2, tool_calls: 0 },
        { type: 'completed', ...base, run_id: 'r2', status: 'completed', duration: 0.3, duration_ms: 300 },
      ],
      [{ id: 'u1', type: 'user', content: 'scale web', timestamp: 900 }],
    );
    expect(timeline).toHaveLength(2);
    const assistant = timeline[1]!;
    if (assistant.type !== 'assistant') throw new Error('expected assistant');
    expect(assistant.content).toBe('Done.');
    expect(assistant.segments.map((segment) => segment.kind)).toEqual(['thinking', 'tool', 'text']);
    expect(assistant.segments[1]).toEqual({
      kind: 'tool',
      id: 'call_1',
      toolExecution: {
        ...tool,
        args: { ...tool.args, to_revision: 4 },
        status: 'completed',
        requires_approval: true,
        diff: '-a\n+b',
        args_hash: 'h',
        diff_hash: 'dh',
        resolution: ['to_revision: previous → 4'],
        risks: [{ code: 'SCALE_TO_ZERO', message: 'web goes to 0 replicas', severity: 'high' }],
        destructive: true,
        policy_reason: "'k8s_scale' may change state",
        requested_by: { id: 'u-1', email: 'ops@example.com' },
        decided_by: 'u-2',
        result: [{ type: 'text', text: 'scaled' }],
        timestamp: 1000,
      },
    });
    expect(assistant.token_usage).toEqual({ model: 'm', prompt_tokens: 300, completion_tokens: 30, total_tokens: 330, cached_tokens: 40, ttft_ms: 120, ttr_ms: 800 });
  });

  it('denied with a reason records it; an update for an unknown call is ignored', () => {
    const pending = fold([{ type: 'tools.pending', ...base, tools: [{ ...tool, requires_approval: true, timestamp: 1 }] }]);
    const denied = applyEventToTimeline(pending, { type: 'tool.denied', ...base, ...tool, reason: 'not now' });
    const segment = (denied[0] as Extract<TimelineEntry, { type: 'assistant' }>).segments[0];
    expect(segment).toMatchObject({ toolExecution: { status: 'denied', error: 'Denied: not now' } });
    const refused = applyEventToTimeline(pending, { type: 'tool.error', ...base, ...tool, error: 'Not executed: the target changed', code: 'TARGET_CHANGED' });
    expect((refused[0] as Extract<TimelineEntry, { type: 'assistant' }>).segments[0]).toMatchObject({ toolExecution: { status: 'error', error_code: 'TARGET_CHANGED' } });
    const unknown = applyEventToTimeline(denied, { type: 'tool.result', ...base, ...tool, call_id: 'other', result: [] });
    expect(unknown).toEqual(denied);
  });

  it('a workflow error is recorded as the answer\'s error, not as its text (clients show it as an error with Retry)', () => {
    const timeline = fold([{ type: 'workflow.error', ...base, error: 'The model call failed: HTTP 500', code: 'MODEL_ERROR' }], [{ id: 'u', type: 'user', content: 'x', timestamp: 1 }]);
    expect(timeline[1]).toMatchObject({ type: 'assistant', content: '', segments: [], error: 'The model call failed: HTTP 500', error_code: 'MODEL_ERROR' });
    // the text streamed before the failure stays the answer's text
    const partial = fold([{ type: 'generation.complete', ...base, content: 'Looking at the pods', tokens_generated: 4, tool_calls: 0 }, { type: 'workflow.error', ...base, error: 'The model call failed: HTTP 500' }]);
    expect(partial[0]).toMatchObject({ type: 'assistant', content: 'Looking at the pods', error: 'The model call failed: HTTP 500' });
    expect(partial[0]).not.toHaveProperty('error_code');
  });

  it('tokens and heartbeats never cause a write', () => {
    expect(affectsTimeline({ type: 'token', ...base, text: 'a', tokens_generated: 1 })).toBe(false);
    expect(affectsTimeline({ type: 'thinking', ...base, text: 'a' })).toBe(false);
    expect(affectsTimeline({ type: 'tool.result', ...base, ...tool, result: [] })).toBe(true);
  });
});
