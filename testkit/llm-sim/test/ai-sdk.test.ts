import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, jsonSchema, streamText, tool, type ModelMessage } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startLlmSim, type LlmSim } from '../index.ts';

// The real Vercel AI SDK provider is the client: if the sim's wire format drifts from OpenAI's, these tests fail.
let sim: LlmSim;
const modelFor = (simInstance: LlmSim, apiKey?: string) =>
  createOpenAICompatible({ baseURL: simInstance.url, name: 'sim', includeUsage: true, apiKey }).chatModel('sim-model');

const k8sTools = {
  k8s_get: tool({
    description: 'Get Kubernetes resources',
    inputSchema: jsonSchema<{ resource: string; namespace?: string }>({
      type: 'object',
      properties: { resource: { type: 'string' }, namespace: { type: 'string' } },
      required: ['resource'],
    }),
  }),
  k8s_logs: tool({
    description: 'Read pod logs',
    inputSchema: jsonSchema<{ pod: string }>({ type: 'object', properties: { pod: { type: 'string' } }, required: ['pod'] }),
  }),
};

beforeAll(async () => {
  sim = await startLlmSim();
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => sim.reset({ rules: [] }));

describe('llm-sim with the AI SDK openai-compatible provider', () => {
  it('streams text that the SDK reassembles, with usage from the final chunk', async () => {
    sim.setScript({ rules: [{ match: { userContains: 'hello' }, reply: { text: 'Hello! I can inspect your cluster and pipelines today.' } }] });
    const result = streamText({ model: modelFor(sim), prompt: 'hello there' });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);

    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join('')).toBe('Hello! I can inspect your cluster and pipelines today.');
    const usage = await result.usage;
    expect(usage.inputTokens).toBe(sim.calls[0].usage?.promptTokens);
    expect(usage.outputTokens).toBe(sim.calls[0].usage?.completionTokens);
    expect(usage.outputTokens).toBeGreaterThan(0);
    expect(usage.totalTokens).toBe((usage.inputTokens ?? 0) + (usage.outputTokens ?? 0));
    expect(await result.finishReason).toBe('stop');
    expect(sim.calls[0]).toMatchObject({ stream: true, model: 'sim-model', matched: true, ruleIndex: 0 });
    expect(sim.calls[0].body.stream_options).toEqual({ include_usage: true });
  });

  it('delivers a single tool call with arguments split over several chunks', async () => {
    sim.setScript({ rules: [{ match: { userContains: 'pods' }, reply: { toolCalls: [{ name: 'k8s_get', arguments: { resource: 'pods', namespace: 'payments' } }] } }] });
    const result = streamText({ model: modelFor(sim), prompt: 'list pods in payments', tools: k8sTools });
    const toolCalls = await result.toolCalls;

    expect(toolCalls).toHaveLength(1);
    expect(toolCalls[0]).toMatchObject({ toolName: 'k8s_get', input: { resource: 'pods', namespace: 'payments' } });
    expect(toolCalls[0].toolCallId).toMatch(/^call_/);
    expect(await result.finishReason).toBe('tool-calls');
    expect(sim.calls[0].toolNames).toEqual(['k8s_get', 'k8s_logs']);
  });

  it('delivers parallel tool calls with distinct ids and arguments', async () => {
    sim.setScript({
      rules: [
        {
          reply: {
            text: 'Checking both.',
            toolCalls: [
              { name: 'k8s_get', arguments: { resource: 'deployments' } },
              { name: 'k8s_logs', arguments: { pod: 'api-7d9f' } },
            ],
          },
        },
      ],
    });
    const result = streamText({ model: modelFor(sim), prompt: 'why is api failing?', tools: k8sTools });
    const toolCalls = await result.toolCalls;

    expect(await result.text).toBe('Checking both.');
    expect(toolCalls.map((call) => [call.toolName, call.input])).toEqual([
      ['k8s_get', { resource: 'deployments' }],
      ['k8s_logs', { pod: 'api-7d9f' }],
    ]);
    expect(new Set(toolCalls.map((call) => call.toolCallId)).size).toBe(2);
  });

  it('answers non-streaming requests with a chat.completion the SDK parses', async () => {
    sim.setScript({
      rules: [
        { match: { userContains: 'scale' }, reply: { toolCalls: [{ name: 'k8s_get', arguments: { resource: 'deployment/web' } }] } },
        { reply: 'plain answer' },
      ],
    });
    const tools = await generateText({ model: modelFor(sim), prompt: 'scale web', tools: k8sTools });
    expect(tools.toolCalls.map((call) => call.input)).toEqual([{ resource: 'deployment/web' }]);
    const text = await generateText({ model: modelFor(sim), prompt: 'anything else' });
    expect(text.text).toBe('plain answer');
    expect(text.usage.outputTokens).toBe(sim.calls[1].usage?.completionTokens);
    expect(sim.calls.map((call) => call.stream)).toEqual([false, false]);
  });

  it('streams reasoning deltas the SDK exposes as reasoning', async () => {
    sim.setScript({ rules: [{ reply: { reasoning: 'The user wants a status summary.', text: 'All green.' } }] });
    const result = streamText({ model: modelFor(sim), prompt: 'status?' });
    expect(await result.text).toBe('All green.');
    expect(await result.reasoningText).toBe('The user wants a status summary.');
    expect((await result.usage).outputTokenDetails.reasoningTokens).toBeGreaterThan(0);
  });

  it('matches rules on the latest tool result, the tool name and the request sequence', async () => {
    sim.setScript({
      rules: [
        { name: 'crash', match: { toolName: 'k8s_logs', toolResultContains: 'OOMKilled' }, reply: 'The pod ran out of memory: {{lastToolResult}}' },
        { name: 'second', match: { sequence: 2 }, reply: 'second request' },
        { name: 'first', match: { userContains: 'why' }, reply: { toolCalls: [{ name: 'k8s_logs', arguments: { pod: 'api' } }] } },
      ],
    });
    const first = await generateText({ model: modelFor(sim), prompt: 'why did api crash?', tools: k8sTools });
    const call = first.toolCalls[0];
    expect(call.toolName).toBe('k8s_logs');

    const second = await generateText({ model: modelFor(sim), prompt: 'unrelated' });
    expect(second.text).toBe('second request');

    const messages: ModelMessage[] = [
      { role: 'user', content: 'why did api crash?' },
      { role: 'assistant', content: [{ type: 'tool-call', toolCallId: call.toolCallId, toolName: 'k8s_logs', input: call.input }] },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: call.toolCallId, toolName: 'k8s_logs', output: { type: 'text', value: 'State: OOMKilled' } }] },
    ];
    const third = await generateText({ model: modelFor(sim), messages, tools: k8sTools });
    expect(third.text).toBe('The pod ran out of memory: State: OOMKilled');
    expect(sim.calls.map((entry) => entry.ruleName)).toEqual(['first', 'second', 'crash']);
  });

  it('answers unmatched requests with a clear text and records them as unmatched', async () => {
    sim.setScript({ rules: [{ match: { userContains: 'deploy' }, reply: 'deploying' }] });
    const result = await generateText({ model: modelFor(sim), prompt: 'what is the weather' });
    expect(result.text).toContain('no rule matched');
    expect(result.text).toContain('what is the weather');
    expect(sim.calls[0]).toMatchObject({ matched: false, ruleIndex: undefined });
  });

  it('counts prompt tokens from messages and tool definitions, so 64 tools cost more than 10', async () => {
    sim.setScript({ rules: [{ reply: 'ok' }] });
    const manyTools = (count: number) =>
      Object.fromEntries(
        Array.from({ length: count }, (_, index) => [
          `tool_${index}`,
          tool({ description: `Tool number ${index} that does something useful`, inputSchema: jsonSchema({ type: 'object', properties: { name: { type: 'string' } } }) }),
        ]),
      );
    const small = await generateText({ model: modelFor(sim), prompt: 'hi', tools: manyTools(10) });
    const large = await generateText({ model: modelFor(sim), prompt: 'hi', tools: manyTools(64) });
    expect(sim.calls[1].toolNames).toHaveLength(64);
    expect(large.usage.inputTokens).toBeGreaterThan((small.usage.inputTokens ?? 0) * 4);
  });

  it('reports cached prompt tokens when a long prompt repeats a previous prefix', async () => {
    sim.setScript({ rules: [{ reply: 'ok' }] });
    const system = 'You are Skyflo. '.repeat(400);
    const first = await generateText({ model: modelFor(sim), system, prompt: 'first question' });
    const second = await generateText({ model: modelFor(sim), system, prompt: 'second question' });
    expect(first.usage.inputTokenDetails.cacheReadTokens).toBe(0);
    expect(second.usage.inputTokenDetails.cacheReadTokens).toBeGreaterThanOrEqual(1024);
    expect((second.usage.inputTokenDetails.cacheReadTokens ?? 0) % 128).toBe(0);
  });

  it('honours max_tokens by truncating and reporting finish reason length', async () => {
    sim.setScript({ rules: [{ reply: { mode: 'stream', tokens: 50 } }] });
    const result = await generateText({ model: modelFor(sim), prompt: 'go', maxOutputTokens: 5 });
    expect(result.finishReason).toBe('length');
    expect(result.usage.outputTokens).toBe(5);
  });

  it('holds streamed replies until released (holdStreams), then sends the rest of the answer intact', async () => {
    sim.setScript({ rules: [{ reply: { text: 'one two three four five six' } }] });
    const order: string[] = [];
    sim.holdStreams();
    const result = streamText({ model: modelFor(sim), prompt: 'count' });
    const reading = (async () => {
      let text = '';
      for await (const delta of result.textStream) {
        if (!text) order.push('first token');
        text += delta;
      }
      return text;
    })();
    // the request has arrived and its stream is open, but held: no token comes before the release
    await vi.waitFor(() => expect(sim.calls).toHaveLength(1));
    order.push('released');
    sim.releaseStreams();
    expect(await reading).toBe('one two three four five six');
    expect(order).toEqual(['released', 'first token']);
  });

  it('lists the configured models and checks the API key when one is set', async () => {
    const guarded = await startLlmSim({ apiKey: 'sk-test', script: { models: ['gpt-sim', 'gpt-sim-mini'], rules: [{ reply: 'ok' }] } });
    try {
      const models = await fetch(`${guarded.url}/models`, { headers: { authorization: 'Bearer sk-test' } }).then((response) => response.json());
      expect(models.data.map((model: { id: string }) => model.id)).toEqual(['gpt-sim', 'gpt-sim-mini']);

      await expect(generateText({ model: modelFor(guarded, 'wrong'), prompt: 'hi', maxRetries: 0 })).rejects.toMatchObject({ statusCode: 401 });
      const ok = await generateText({ model: modelFor(guarded, 'sk-test'), prompt: 'hi' });
      expect(ok.text).toBe('ok');
      expect(guarded.calls).toHaveLength(1);
      expect(guarded.calls[0].headers.authorization).toBeUndefined();
    } finally {
      await guarded.close();
    }
  });
});
