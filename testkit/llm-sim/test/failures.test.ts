import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { APICallError, generateText, jsonSchema, streamText, tool } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLlmSim, type LlmSim } from '../index.ts';

let sim: LlmSim;
const model = () => createOpenAICompatible({ baseURL: sim.url, name: 'sim', includeUsage: true }).chatModel('sim-model');
const tools = {
  k8s_get: tool({ description: 'Get resources', inputSchema: jsonSchema<{ resource: string }>({ type: 'object', properties: { resource: { type: 'string' } } }) }),
};

beforeAll(async () => {
  sim = await startLlmSim();
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => sim.reset({ rules: [] }));

describe('llm-sim failure injection', () => {
  it('429 with Retry-After surfaces as a retryable APICallError when retries are off', async () => {
    sim.setScript({ failures: [{ kind: 'status', status: 429, retryAfterSeconds: 7 }], rules: [{ reply: 'ok' }] });
    const error = await generateText({ model: model(), prompt: 'hi', maxRetries: 0 }).catch((caught: unknown) => caught);

    expect(APICallError.isInstance(error)).toBe(true);
    const apiError = error as APICallError;
    expect(apiError.statusCode).toBe(429);
    expect(apiError.isRetryable).toBe(true);
    expect(apiError.responseHeaders?.['retry-after']).toBe('7');
    expect(apiError.message).toContain('Rate limit reached');
  });

  it('the SDK retry loop waits the Retry-After time and then gets the scripted reply', async () => {
    sim.setScript({ failures: [{ kind: 'status', status: 429, retryAfterSeconds: 0.3 }], rules: [{ reply: 'recovered' }] });
    const started = performance.now();
    const result = await generateText({ model: model(), prompt: 'hi', maxRetries: 2 });
    const elapsed = performance.now() - started;

    expect(result.text).toBe('recovered');
    expect(sim.calls.map((call) => call.failure)).toEqual(['status', undefined]);
    // The SDK's own backoff starts at 2 s, so finishing near 300 ms proves Retry-After was honoured.
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(1500);
  });

  it.each([500, 503])('HTTP %i is retryable and a later attempt succeeds', async (status) => {
    sim.setScript({ failures: [{ kind: 'status', status, retryAfterSeconds: 0 }], rules: [{ reply: 'fine now' }] });
    const result = await generateText({ model: model(), prompt: 'hi', maxRetries: 1 });
    expect(result.text).toBe('fine now');
    expect(sim.calls).toHaveLength(2);
  });

  it('a rule can fail with a status, and non-retryable 400s are not retried', async () => {
    sim.setScript({ rules: [{ match: { userContains: 'bad' }, failure: { kind: 'status', status: 400, message: 'context too long' } }] });
    const error = (await generateText({ model: model(), prompt: 'bad request', maxRetries: 2 }).catch((caught: unknown) => caught)) as APICallError;
    expect(error.statusCode).toBe(400);
    expect(error.isRetryable).toBe(false);
    expect(error.message).toContain('context too long');
    expect(sim.calls).toHaveLength(1);
  });

  it('hang never answers until the AbortSignal fires, and leaves the call marked aborted', async () => {
    sim.setScript({ rules: [{ failure: { kind: 'hang' } }] });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 150);
    const started = performance.now();
    const error = await generateText({ model: model(), prompt: 'hi', abortSignal: controller.signal, maxRetries: 0 }).catch((caught: unknown) => caught);
    clearTimeout(timer);

    expect((error as Error).name).toBe('AbortError');
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    await expect.poll(() => sim.calls[0]?.aborted).toBe(true);
  });

  it('close() returns promptly while a request is hanging', async () => {
    const other = await startLlmSim({ script: { rules: [{ failure: { kind: 'hang' } }] } });
    const pending = fetch(`${other.url}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    }).catch((error: unknown) => error);
    await expect.poll(() => other.calls.length).toBe(1);
    const started = performance.now();
    await other.close();
    expect(performance.now() - started).toBeLessThan(500);
    expect(await pending).toBeInstanceOf(Error);
  });

  it('dropping the connection mid-stream surfaces as a stream error after the first text', async () => {
    sim.setScript({ rules: [{ reply: 'one two three four five six seven eight', failure: { kind: 'drop', afterChunks: 3 } }] });
    const errors: unknown[] = [];
    const result = streamText({ model: model(), prompt: 'hi', maxRetries: 0, onError: ({ error }) => void errors.push(error) });
    const deltas: string[] = [];
    await (async () => {
      for await (const delta of result.textStream) deltas.push(delta);
    })().catch((error: unknown) => errors.push(error));

    expect(deltas.join('')).toBe('one two');
    expect(errors.length).toBeGreaterThan(0);
  });

  it('malformed tool-call JSON reaches the SDK verbatim as an invalid tool call', async () => {
    sim.setScript({ rules: [{ reply: { toolCalls: [{ name: 'k8s_get', arguments: '{"resource": "pods"' }] } }] });
    const result = await generateText({ model: model(), prompt: 'pods', tools });
    expect(result.toolCalls).toHaveLength(1);
    expect(result.toolCalls[0]).toMatchObject({ toolName: 'k8s_get', invalid: true, input: '{"resource": "pods"' });
  });

  it('calls to a tool the request did not offer are delivered and flagged by the SDK', async () => {
    sim.setScript({ rules: [{ reply: { toolCalls: [{ name: 'k8s_delete_everything', arguments: { confirm: true } }] } }] });
    const result = streamText({ model: model(), prompt: 'pods', tools });
    const calls = await result.toolCalls;
    expect(calls[0]).toMatchObject({ toolName: 'k8s_delete_everything', invalid: true });
    expect((calls[0] as { error?: Error }).error?.name).toBe('AI_NoSuchToolError');
  });
});

describe('llm-sim pacing', () => {
  it('stream mode emits N tokens at about the requested rate', async () => {
    sim.setScript({ rules: [{ reply: { mode: 'stream', tokens: 40, tokensPerSecond: 200 } }] });
    const started = performance.now();
    const result = streamText({ model: model(), prompt: 'bench' });
    let deltas = 0;
    for await (const _ of result.textStream) deltas += 1;
    const elapsed = performance.now() - started;

    expect(deltas).toBe(40);
    expect((await result.usage).outputTokens).toBe(40);
    // 40 tokens at 200/s is 195 ms from the first token; the bound is loose for a busy two-core machine.
    expect(elapsed).toBeGreaterThanOrEqual(180);
    expect(elapsed).toBeLessThan(1500);
  });

  it('tokensPerSecond 0 streams as fast as possible, set globally through the fallback', async () => {
    sim.setScript({ fallback: { mode: 'stream', tokens: 1000, tokensPerSecond: 0 } });
    const started = performance.now();
    const result = streamText({ model: model(), prompt: 'bench' });
    expect((await result.text).split(' ')).toHaveLength(1000);
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('delayMs holds back the first token', async () => {
    sim.setScript({ rules: [{ reply: { text: 'late', delayMs: 120 } }] });
    const started = performance.now();
    const result = streamText({ model: model(), prompt: 'x' });
    for await (const _ of result.textStream) break;
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
  });
});
