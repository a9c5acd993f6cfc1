import { createAnthropic } from '@ai-sdk/anthropic';
import { APICallError, generateText, jsonSchema, streamText, tool, type ModelMessage } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLlmSim, type LlmSim } from '../index.ts';

// The same script drives the Anthropic Messages API; the real @ai-sdk/anthropic provider is the client.
let sim: LlmSim;
const model = () => createAnthropic({ baseURL: sim.url, apiKey: 'sk-ant-test' })('claude-sonnet-4-5');
const tools = {
  helm_status: tool({ description: 'Helm release status', inputSchema: jsonSchema<{ release: string }>({ type: 'object', properties: { release: { type: 'string' } }, required: ['release'] }) }),
};

beforeAll(async () => {
  sim = await startLlmSim({ apiKey: 'sk-ant-test' });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => sim.reset({ rules: [] }));

describe('llm-sim Anthropic Messages API', () => {
  it('streams thinking, text and a tool_use block that the SDK parses', async () => {
    sim.setScript({ rules: [{ match: { userContains: 'helm' }, reply: { reasoning: 'Check the release first.', text: 'Looking at the release.', toolCalls: [{ name: 'helm_status', arguments: { release: 'payments' } }] } }] });
    const result = streamText({ model: model(), prompt: 'what is the helm status of payments?', tools });
    const toolCalls = await result.toolCalls;

    expect(await result.text).toBe('Looking at the release.');
    expect(await result.reasoningText).toBe('Check the release first.');
    expect(toolCalls).toHaveLength(1);
    expect(toolCalls[0]).toMatchObject({ toolName: 'helm_status', input: { release: 'payments' } });
    expect(toolCalls[0].toolCallId).toMatch(/^toolu_/);
    expect(await result.finishReason).toBe('tool-calls');
    const usage = await result.usage;
    expect(usage.inputTokens).toBe(sim.calls[0].usage?.promptTokens);
    expect(usage.outputTokens).toBe(sim.calls[0].usage?.completionTokens);
    expect(sim.calls[0]).toMatchObject({ path: '/v1/messages', toolNames: ['helm_status'], stream: true });
    expect(sim.calls[0].headers['x-api-key']).toBeUndefined();
  });

  it('matches tool_result blocks and answers non-streaming requests', async () => {
    sim.setScript({ rules: [{ match: { toolName: 'helm_status', toolResultContains: 'deployed' }, reply: 'Release is healthy: {{lastToolResult}}' }] });
    const messages: ModelMessage[] = [
      { role: 'user', content: 'status of payments?' },
      { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'toolu_1', toolName: 'helm_status', input: { release: 'payments' } }] },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'toolu_1', toolName: 'helm_status', output: { type: 'text', value: 'STATUS: deployed' } }] },
    ];
    const result = await generateText({ model: model(), messages, tools });
    expect(result.text).toBe('Release is healthy: STATUS: deployed');
    expect(result.finishReason).toBe('stop');
  });

  it('returns Anthropic-style errors the SDK classifies', async () => {
    sim.setScript({ failures: [{ kind: 'status', status: 529, message: 'Overloaded' }] });
    const error = (await generateText({ model: model(), prompt: 'hi', maxRetries: 0 }).catch((caught: unknown) => caught)) as APICallError;
    expect(APICallError.isInstance(error)).toBe(true);
    expect(error.statusCode).toBe(529);
    expect(error.isRetryable).toBe(true);
    expect(error.message).toBe('Overloaded');

    const wrongKey = createAnthropic({ baseURL: sim.url, apiKey: 'wrong' })('claude-sonnet-4-5');
    await expect(generateText({ model: wrongKey, prompt: 'hi', maxRetries: 0 })).rejects.toMatchObject({ statusCode: 401 });
  });
});
