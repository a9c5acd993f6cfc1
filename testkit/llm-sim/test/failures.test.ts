import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { APICallError, generateText, jsonSchema, streamText, tool } from 'ai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
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
afterEach(() => vi.restoreAllMocks());

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
    // What the SDK asked its timer to wait before retrying, passed on unchanged: Retry-After's 300 ms, not its own 2 s backoff.
    const timers = vi.spyOn(globalThis, 'setTimeout');
    const result = await generateText({ model: model(), prompt: 'hi', maxRetries: 2 });
    const requestedWaits = timers.mock.calls.map((call) => call[1]);

    expect(result.text).toBe('recovered');
    expect(sim.calls.map((call) => call.failure)).toEqual(['status', undefined]);
    expect(requestedWaits).toContain(300);
    expect(requestedWaits).not.toContain(2000);
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
    let settledBeforeAbort = false;
    const pending = generateText({ model: model(), prompt: 'hi', abortSignal: controller.signal, maxRetries: 0 }).then(
      () => (settledBeforeAbort = !controller.signal.aborted),
      (caught: unknown) => {
        settledBeforeAbort = !controller.signal.aborted;
        return caught;
      },
    );
    // the request reached the sim and is being held; only then is it aborted
    await expect.poll(() => sim.calls.length).toBe(1);
    controller.abort();
    const error = await pending;

    expect(settledBeforeAbort).toBe(false);
    expect((error as Error).name).toBe('AbortError');
    await expect.poll(() => sim.calls[0]?.aborted).toBe(true);
  });

  it('close() returns while a request is hanging, and the hanging request fails', async () => {
    const other = await startLlmSim({ script: { rules: [{ failure: { kind: 'hang' } }] } });
    let requestSettled = false;
    const pending = fetch(`${other.url}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    })
      .catch((error: unknown) => error)
      .finally(() => (requestSettled = true));
    await expect.poll(() => other.calls.length).toBe(1);
    // a hang never ends by itself: close() resolving at all means it did not wait for the request
    await other.close();
    expect(await pending).toBeInstanceOf(Error);
    expect(requestSettled).toBe(true);
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

// Pacing and delayMs are the simulator's clock features, so these assert lower bounds taken from the script: a busy
// machine only adds time, so a lower bound cannot fail for load. Nothing here bounds how long something may take.
describe('llm-sim pacing', () => {
  it('stream mode emits N tokens no faster than the requested rate', async () => {
    sim.setScript({ rules: [{ reply: { mode: 'stream', tokens: 40, tokensPerSecond: 200 } }] });
    const arrivals: number[] = [];
    const sentAt = performance.now();
    const result = streamText({ model: model(), prompt: 'bench' });
    for await (const _ of result.textStream) arrivals.push(performance.now());

    expect(arrivals).toHaveLength(40);
    expect((await result.usage).outputTokens).toBe(40);
    // the sim sends token i 5·i ms after its first, which it sends after the request: the last arrives ≥ 195 ms after
    // sending (1 ms of slack for timer resolution). Measured from the first arrival it could look shorter, when the
    // client read the first token late.
    expect(arrivals.at(-1)! - sentAt).toBeGreaterThanOrEqual(39 * 5 - 1);
  });

  it('tokensPerSecond 0 streams every token, set globally through the fallback', async () => {
    sim.setScript({ fallback: { mode: 'stream', tokens: 1000, tokensPerSecond: 0 } });
    const result = streamText({ model: model(), prompt: 'bench' });
    expect((await result.text).split(' ')).toHaveLength(1000);
    expect(sim.calls[0]).toMatchObject({ matched: false, usage: { completionTokens: 1000 } });
  });

  it('delayMs holds back the first token', async () => {
    sim.setScript({ rules: [{ reply: { text: 'late', delayMs: 120 } }] });
    const sentAt = performance.now();
    const result = streamText({ model: model(), prompt: 'x' });
    for await (const _ of result.textStream) break;
    expect(performance.now() - sentAt).toBeGreaterThanOrEqual(120 - 1);
  });
});
