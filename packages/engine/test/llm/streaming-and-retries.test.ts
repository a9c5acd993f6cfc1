/**
 * The registry's models against llm-sim through the real AI SDK client: text and tool calls stream, reasoning
 * settings reach the wire, and failures are classified and retried the way the agent will use them.
 */
import { jsonSchema, streamText, tool, type ModelMessage } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { llmConfigSchema } from '../../src/platform/config/llm.ts';
import { classifyLlmError } from '../../src/app/model-calls/classify-llm-error.ts';
import { createLanguageModel } from '../../src/adapters/llm/create-language-model.ts';
import type { LanguageModelSelection } from '../../src/platform/ports/agent-model.ts';
import { LlmCallError, withLlmRetries, type LlmRetryInfo } from '../../src/app/model-calls/with-retries.ts';

let sim: LlmSim;

beforeAll(async () => {
  sim = await startLlmSim();
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => sim.reset({ rules: [] }));

async function simModel(env: Record<string, string> = {}): Promise<LanguageModelSelection> {
  const selection = await createLanguageModel(llmConfigSchema.parse({ LLM_MODEL: 'openai-compatible/sim-model', LLM_HOST: sim.url, ...env }));
  expect(selection.problem).toBeUndefined();
  return selection;
}

const tools = {
  k8s_get: tool({
    description: 'List Kubernetes resources',
    inputSchema: jsonSchema<{ resource: string; namespace?: string }>({
      type: 'object',
      properties: { resource: { type: 'string' }, namespace: { type: 'string' } },
      required: ['resource'],
    }),
  }),
};

/** One model turn the way the agent runs it: stream, collect, and throw what the stream reports. */
async function turn(selection: LanguageModelSelection, messages: ModelMessage[], signal?: AbortSignal) {
  const result = streamText({
    model: selection.model!,
    messages,
    tools,
    providerOptions: selection.providerOptions,
    maxOutputTokens: selection.callSettings.maxOutputTokens,
    temperature: selection.callSettings.temperature,
    abortSignal: signal,
    // withLlmRetries owns retrying; the SDK's own loop would multiply the waits.
    maxRetries: 0,
    // Errors arrive as 'error' parts below; the default handler would also print them.
    onError: () => undefined,
  });
  const deltas: string[] = [];
  const toolCalls: Array<{ toolName: string; input: unknown }> = [];
  let usage: { inputTokens?: number; outputTokens?: number } | undefined;
  for await (const part of result.fullStream) {
    if (part.type === 'text-delta') deltas.push(part.text);
    if (part.type === 'tool-call') toolCalls.push({ toolName: part.toolName, input: part.input });
    if (part.type === 'finish') usage = part.totalUsage;
    if (part.type === 'error') throw part.error;
    // An aborted stream ends with an 'abort' part rather than an error.
    if (part.type === 'abort') throw signal?.reason ?? new Error('aborted');
  }
  return { deltas, text: deltas.join(''), toolCalls, usage };
}

describe('openai-compatible model against llm-sim', () => {
  it('streams text token by token with usage', async () => {
    sim.setScript({ rules: [{ match: { userContains: 'pods' }, reply: 'All 3 pods in default are Running.' }] });
    const outcome = await turn(await simModel(), [{ role: 'user', content: 'How are my pods?' }]);
    expect(outcome.text).toBe('All 3 pods in default are Running.');
    expect(outcome.deltas.length).toBeGreaterThan(1);
    expect(outcome.usage?.inputTokens).toBeGreaterThan(0);
    expect(outcome.usage?.outputTokens).toBeGreaterThan(0);
    expect(sim.calls).toHaveLength(1);
    expect(sim.calls[0]).toMatchObject({ model: 'sim-model', stream: true, toolNames: ['k8s_get'] });
  });

  it('streams a tool call with parsed arguments', async () => {
    sim.setScript({ rules: [{ reply: { text: 'Let me look.', toolCalls: [{ name: 'k8s_get', arguments: { resource: 'pods', namespace: 'prod' } }] } }] });
    const outcome = await turn(await simModel(), [{ role: 'user', content: 'List pods in prod' }]);
    expect(outcome.text).toBe('Let me look.');
    expect(outcome.toolCalls).toEqual([{ toolName: 'k8s_get', input: { resource: 'pods', namespace: 'prod' } }]);
  });

  it('sends the reasoning effort and max tokens on the wire', async () => {
    sim.setScript({ rules: [{ reply: 'ok' }] });
    await turn(await simModel({ LLM_REASONING_EFFORT: 'high', LLM_MAX_TOKENS: '2048', LLM_TEMPERATURE: '0.1' }), [{ role: 'user', content: 'hi' }]);
    expect(sim.calls[0].body).toMatchObject({ reasoning_effort: 'high', max_tokens: 2048, temperature: 0.1 });
    sim.reset({ rules: [{ reply: 'ok' }] });
    await turn(await simModel(), [{ role: 'user', content: 'hi' }]);
    expect(sim.calls[0].body).not.toHaveProperty('reasoning_effort');
  });

  it('applies the configured settings even when a caller passes none, and lets a caller override them', async () => {
    sim.setScript({ rules: [{ reply: 'ok' }] });
    const selection = await simModel({ LLM_REASONING_EFFORT: 'low', LLM_MAX_TOKENS: '1000', LLM_TEMPERATURE: '0.3' });
    await streamText({ model: selection.model!, prompt: 'a title, please', maxRetries: 0 }).consumeStream();
    expect(sim.calls[0].body).toMatchObject({ reasoning_effort: 'low', max_tokens: 1000, temperature: 0.3 });
    await streamText({ model: selection.model!, prompt: 'again', temperature: 0.9, providerOptions: { openaiCompatible: { reasoningEffort: 'high' } }, maxRetries: 0 }).consumeStream();
    expect(sim.calls[1].body).toMatchObject({ reasoning_effort: 'high', max_tokens: 1000, temperature: 0.9 });
  });

  it('sends OPENAI_COMPATIBLE_API_KEY as a bearer token', async () => {
    const guarded = await startLlmSim({ apiKey: 'sim-secret', script: { rules: [{ reply: 'authorised' }] } });
    try {
      const withKey = await createLanguageModel(llmConfigSchema.parse({ LLM_MODEL: 'openai-compatible/sim-model', LLM_HOST: guarded.url, OPENAI_COMPATIBLE_API_KEY: 'sim-secret' }));
      expect((await turn(withKey, [{ role: 'user', content: 'hi' }])).text).toBe('authorised');
      const withoutKey = await createLanguageModel(llmConfigSchema.parse({ LLM_MODEL: 'openai-compatible/sim-model', LLM_HOST: guarded.url }));
      const failure = await turn(withoutKey, [{ role: 'user', content: 'hi' }]).catch((error: unknown) => error);
      expect(classifyLlmError(failure)).toMatchObject({ kind: 'fatal', statusCode: 401 });
    } finally {
      await guarded.close();
    }
  });
});

describe('failures against llm-sim', () => {
  it('classifies a 429 with Retry-After, waits that long, and retries to success', async () => {
    sim.setScript({ failures: [{ kind: 'status', status: 429, retryAfterSeconds: 2 }], rules: [{ reply: 'recovered after the limit' }] });
    const selection = await simModel();
    const delays: number[] = [];
    const retries: LlmRetryInfo[] = [];
    const outcome = await withLlmRetries(() => turn(selection, [{ role: 'user', content: 'hi' }]), {
      baseDelayMs: 5,
      sleep: async (ms) => void delays.push(ms),
      onRetry: (info) => void retries.push(info),
    });
    expect(outcome.text).toBe('recovered after the limit');
    expect(delays).toEqual([2000]);
    expect(retries).toEqual([{ kind: 'rate_limit', attempt: 1, maxRetries: 3, delayMs: 2000, statusCode: 429, error: expect.stringContaining('HTTP 429') }]);
    expect(sim.calls.map((call) => call.failure)).toEqual(['status', undefined]);
  });

  it('retries a 503 and a dropped stream as transient, with real (small) waits', async () => {
    sim.setScript({
      failures: [{ kind: 'status', status: 503 }, { kind: 'drop', afterChunks: 0 }],
      rules: [{ reply: 'third time lucky' }],
    });
    const retries: LlmRetryInfo[] = [];
    const outcome = await withLlmRetries(async () => turn(await simModel(), [{ role: 'user', content: 'hi' }]), { baseDelayMs: 5, onRetry: (info) => void retries.push(info) });
    expect(outcome.text).toBe('third time lucky');
    expect(retries.map((info) => [info.kind, info.attempt, info.delayMs])).toEqual([
      ['transient', 1, 5],
      ['transient', 2, 10],
    ]);
    expect(sim.calls).toHaveLength(3);
  });

  it('does not retry a 400 and surfaces the provider message', async () => {
    sim.setScript({ rules: [{ failure: { kind: 'status', status: 400, message: 'This model maximum context length is 8192 tokens.' } }] });
    const failure = await withLlmRetries(async () => turn(await simModel(), [{ role: 'user', content: 'hi' }]), { baseDelayMs: 5 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(LlmCallError);
    expect((failure as LlmCallError).message).toBe('This model maximum context length is 8192 tokens. (HTTP 400)');
    expect(sim.calls).toHaveLength(1);
  });

  it('a stop aborts a hanging call, which then fails with the stop and is not retried', async () => {
    sim.setScript({ rules: [{ failure: { kind: 'hang' } }] });
    const controller = new AbortController();
    const selection = await simModel();
    let settledBeforeStop = false;
    const pending = withLlmRetries(() => turn(selection, [{ role: 'user', content: 'hi' }], controller.signal), { baseDelayMs: 5, signal: controller.signal }).then(
      () => (settledBeforeStop = !controller.signal.aborted),
      (error: unknown) => {
        settledBeforeStop = !controller.signal.aborted;
        return error;
      },
    );
    await expect.poll(() => sim.calls.length).toBe(1);
    controller.abort(new Error('stopped by user'));
    // a hang never answers by itself: the call ended because of the stop, and with the stop's reason
    const failure = await pending;
    expect(settledBeforeStop).toBe(false);
    expect((failure as Error).message).toBe('stopped by user');
    await expect.poll(() => sim.calls[0].aborted).toBe(true);
    expect(sim.calls).toHaveLength(1);
  });

  it('gives up on a silent model after LLM_TIMEOUT_MS, as a transient error', async () => {
    sim.setScript({ rules: [{ failure: { kind: 'hang' } }] });
    // a hang never answers and nothing else aborts this call: only the LLM_TIMEOUT_MS timer can end it (the next
    // test shows the timer does not fire early while tokens keep coming)
    const failure = await turn(await simModel({ LLM_TIMEOUT_MS: '150' }), [{ role: 'user', content: 'hi' }]).catch((error: unknown) => error);
    expect(classifyLlmError(failure)).toEqual({ kind: 'transient', message: 'The model did not answer in time (LLM_TIMEOUT_MS).' });
    await expect.poll(() => sim.calls[0].aborted).toBe(true);
  });

  it('times out on silence, not on total length: a slow steady stream completes, a stalled one fails', async () => {
    // 8 tokens 200 ms apart: 1.6 s in all, longer than the 1 s timeout, but never 1 s of silence
    sim.setScript({ rules: [{ match: { userContains: 'steady' }, reply: { text: 'one two three four five six seven eight', tokenDelayMs: 200 } }] });
    const steady = await turn(await simModel({ LLM_TIMEOUT_MS: '1000' }), [{ role: 'user', content: 'steady please' }]);
    expect(steady.text).toBe('one two three four five six seven eight');
    expect(steady.deltas.length).toBeGreaterThanOrEqual(4);

    sim.setScript({ rules: [{ reply: { text: 'one two three', tokenDelayMs: 4000 } }] });
    const failure = await turn(await simModel({ LLM_TIMEOUT_MS: '1000' }), [{ role: 'user', content: 'stall' }]).catch((error: unknown) => error);
    expect(classifyLlmError(failure)).toEqual({ kind: 'transient', message: 'The model did not answer in time (LLM_TIMEOUT_MS).' });
    // the stalled answer's HTTP request is closed, not left open behind the failed turn
    await expect.poll(() => sim.calls.at(-1)!.aborted, { timeout: 15_000 }).toBe(true);
  });

  it('closes the answer\'s HTTP request when the agent stops reading, without a stop signal (the idle watch passes the cancel on)', async () => {
    sim.setScript({ rules: [{ reply: { mode: 'stream', tokens: 2000, tokensPerSecond: 100 } }] });
    const selection = await simModel();
    // as the model node reads: the provider's own stream, one part at a time, released early (readParts.close)
    const { stream } = await selection.model!.doStream({ prompt: [{ role: 'user', content: [{ type: 'text', text: 'a long answer' }] }] });
    const reader = stream.getReader();
    const seen: string[] = [];
    while (seen.length < 3) {
      const part = await reader.read();
      if (part.done) break;
      if (part.value.type === 'text-delta') seen.push(part.value.delta);
    }
    expect(seen).toHaveLength(3);
    await reader.cancel();
    // a poll, not a wait: a busy machine may take a while to see the socket close
    await expect.poll(() => sim.calls.at(-1)!.aborted, { timeout: 15_000 }).toBe(true);
  });

  it('calls an unreachable LLM_HOST transient and names the URL', async () => {
    const closed = await startLlmSim();
    const url = closed.url;
    await closed.close();
    const selection = await createLanguageModel(llmConfigSchema.parse({ LLM_MODEL: 'openai-compatible/sim-model', LLM_HOST: url }));
    const failure = await turn(selection, [{ role: 'user', content: 'hi' }]).catch((error: unknown) => error);
    const classification = classifyLlmError(failure);
    expect(classification.kind).toBe('transient');
    expect(classification.message).toContain(`${url}/chat/completions`);
    expect(classification.message).toContain('ECONNREFUSED');
  });
});

describe('anthropic model against llm-sim (Messages API)', () => {
  async function anthropicModel(env: Record<string, string> = {}): Promise<LanguageModelSelection> {
    const selection = await createLanguageModel(
      llmConfigSchema.parse({ LLM_MODEL: 'anthropic/claude-sonnet-4-5', LLM_HOST: sim.url, ANTHROPIC_API_KEY: 'sk-ant-test', ...env }),
    );
    expect(selection.problem).toBeUndefined();
    return selection;
  }

  it('streams thinking, text and a tool call, with the thinking budget and max tokens on the wire', async () => {
    sim.setScript({
      rules: [{ reply: { reasoning: 'The user wants pods in prod.', text: 'Checking.', toolCalls: [{ name: 'k8s_get', arguments: { resource: 'pods', namespace: 'prod' } }] } }],
    });
    const selection = await anthropicModel({ LLM_THINKING_BUDGET_TOKENS: '2048' });
    const result = streamText({
      model: selection.model!,
      messages: [{ role: 'user', content: 'List pods in prod' }],
      tools,
      providerOptions: selection.providerOptions,
      maxOutputTokens: selection.callSettings.maxOutputTokens,
      maxRetries: 0,
    });
    const reasoning: string[] = [];
    for await (const part of result.fullStream) if (part.type === 'reasoning-delta') reasoning.push(part.text);
    expect(reasoning.join('')).toBe('The user wants pods in prod.');
    expect(await result.text).toBe('Checking.');
    expect((await result.toolCalls).map((call) => [call.toolName, call.input])).toEqual([['k8s_get', { resource: 'pods', namespace: 'prod' }]]);
    expect(sim.calls[0].path).toBe('/v1/messages');
    expect(sim.calls[0].headers['x-api-key']).toBeUndefined();
    expect(sim.calls[0].body).toMatchObject({ model: 'claude-sonnet-4-5', max_tokens: 16_384, thinking: { type: 'enabled', budget_tokens: 2048 } });
  });
});

describe('openai model behind LLM_HOST (a proxy such as LiteLLM) against llm-sim', () => {
  it('uses chat completions with the bearer key and the reasoning effort', async () => {
    sim.setScript({ rules: [{ reply: 'from the proxy' }] });
    const selection = await createLanguageModel(
      llmConfigSchema.parse({ LLM_MODEL: 'openai/o4-mini', LLM_HOST: sim.url, OPENAI_API_KEY: 'sk-proxy', LLM_REASONING_EFFORT: 'low' }),
    );
    const outcome = await turn(selection, [{ role: 'user', content: 'hi' }]);
    expect(outcome.text).toBe('from the proxy');
    expect(sim.calls[0].path).toBe('/v1/chat/completions');
    expect(sim.calls[0].body).toMatchObject({ model: 'o4-mini', reasoning_effort: 'low', stream: true });
  });
});
