import { agentEventTypes, approvalRequestSchema, chatRequestSchema, parseAgentEvent, stopRequestSchema } from '@skyflo/protocol';
import { describe, expect, it } from 'vitest';

describe('protocol: SSE events', () => {
  it('covers every event of the reference spec §2 plus ours', () => {
    const spec = ['ready', 'heartbeat', 'generation.start', 'ttft', 'thinking', 'token', 'token.usage', 'thinking.complete', 'generation.complete', 'tools.pending', 'tool.awaiting_approval', 'tool.approved', 'tool.denied', 'tool.executing', 'tool.result', 'tool.error', 'rate_limit', 'transient_error', 'completed', 'workflow.error', 'conversation.title.generated', 'error'];
    expect(agentEventTypes).toEqual(expect.arrayContaining(spec));
  });

  it('parses a frame into a typed event and rejects unknown or incomplete ones', () => {
    const event = parseAgentEvent('tool.result', { call_id: 'c', tool: 'k8s_get', title: 'Get', args: {}, result: [{ type: 'text', text: 'ok' }], run_id: 'r' });
    expect(event.type).toBe('tool.result');
    expect(() => parseAgentEvent('tool.teleport', {})).toThrow();
    expect(() => parseAgentEvent('completed', { status: 'done', duration: 1, duration_ms: 1000 })).toThrow();
    expect(() => parseAgentEvent('tool.awaiting_approval', { call_id: 'c', tool: 't', title: 't', args: {} })).toThrow();
  });
});

describe('protocol: request payloads', () => {
  it.each([
    [{ messages: [] }, false],
    [{ messages: [{ role: 'user', content: 'hi' }] }, true],
    [{ messages: [{ content: 'hi' }] }, true],
    [{ messages: [{ role: 'robot', content: 'hi' }] }, false],
    [{ messages: [{ role: 'user', content: 'hi' }], conversation_id: 'not-a-uuid' }, false],
    [{ messages: [{ role: 'user', content: 'x'.repeat(100_001) }] }, false],
  ])('chat %#', (body, ok) => {
    expect(chatRequestSchema.safeParse(body).success).toBe(ok);
  });

  it('approval and stop need the conversation id', () => {
    expect(approvalRequestSchema.safeParse({ approve: true }).success).toBe(false);
    expect(approvalRequestSchema.safeParse({ approve: true, conversation_id: '5d9c1b1e-9a57-4c57-8f7a-3b8f9b0f7c11', args_hash: 'a'.repeat(64) }).success).toBe(true);
    // approving needs the args_hash the approver was shown; a denial does not
    expect(approvalRequestSchema.safeParse({ approve: true, conversation_id: '5d9c1b1e-9a57-4c57-8f7a-3b8f9b0f7c11' }).error?.issues[0]?.message).toMatch(/^approve needs args_hash/);
    expect(approvalRequestSchema.safeParse({ approve: false, conversation_id: '5d9c1b1e-9a57-4c57-8f7a-3b8f9b0f7c11' }).success).toBe(true);
    expect(approvalRequestSchema.safeParse({ approve: false, conversation_id: '5d9c1b1e-9a57-4c57-8f7a-3b8f9b0f7c11', diff_hash: 'xyz' }).success).toBe(false);
    expect(stopRequestSchema.safeParse({ conversation_id: '5d9c1b1e-9a57-4c57-8f7a-3b8f9b0f7c11' }).success).toBe(false);
  });
});
