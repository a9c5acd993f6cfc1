/** Error classification and the retry helper, on constructed AI SDK errors (no network). */
import { APICallError, RetryError } from 'ai';
import { describe, expect, it } from 'vitest';
import { classifyLlmError, retryAfterMs } from './classify-llm-error.ts';
import { LlmCallError, withLlmRetries, type LlmRetryInfo } from './with-retries.ts';

function apiError(statusCode: number | undefined, options: { headers?: Record<string, string>; message?: string; data?: unknown; cause?: unknown } = {}) {
  return new APICallError({
    message: options.message ?? `HTTP ${statusCode}`,
    url: 'http://127.0.0.1:9/v1/chat/completions',
    requestBodyValues: {},
    statusCode,
    responseHeaders: options.headers,
    data: options.data,
    cause: options.cause,
  });
}

describe('classifyLlmError', () => {
  it.each([
    [apiError(429, { headers: { 'retry-after': '7' } }), 'rate_limit', 7000],
    [apiError(429, { headers: { 'retry-after-ms': '250', 'retry-after': '7' } }), 'rate_limit', 250],
    [apiError(429), 'rate_limit', undefined],
    [apiError(500), 'transient', undefined],
    [apiError(503, { headers: { 'retry-after': '3' } }), 'transient', 3000],
    [apiError(529, { message: 'Overloaded' }), 'transient', undefined],
    [apiError(408), 'transient', undefined],
    [apiError(400), 'fatal', undefined],
    [apiError(401), 'fatal', undefined],
    [apiError(404), 'fatal', undefined],
  ])('%s → %s (retry after %s ms)', (error, kind, retryAfter) => {
    const classification = classifyLlmError(error);
    expect(classification.kind).toBe(kind);
    expect(classification.retryAfterMs).toBe(retryAfter);
  });

  it("keeps the provider's message for fatal errors", () => {
    const error = apiError(401, { message: 'Incorrect API key provided: sk-***abcd.', data: { error: { message: 'Incorrect API key provided: sk-***abcd.' } } });
    expect(classifyLlmError(error)).toEqual({ kind: 'fatal', statusCode: 401, message: 'Incorrect API key provided: sk-***abcd. (HTTP 401)' });
  });

  it('treats network failures (no status) and socket error codes as transient', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    const classification = classifyLlmError(apiError(undefined, { message: 'Cannot connect to API: fetch failed', cause: new TypeError('fetch failed', { cause: refused }) }));
    expect(classification.kind).toBe('transient');
    expect(classification.message).toBe('Could not reach the model at http://127.0.0.1:9/v1/chat/completions (ECONNREFUSED): Cannot connect to API: fetch failed');
    const reset = new TypeError('terminated', { cause: Object.assign(new Error('other side closed'), { code: 'ECONNRESET' }) });
    expect(classifyLlmError(reset).kind).toBe('transient');
    expect(classifyLlmError(new DOMException('timed out', 'TimeoutError')).kind).toBe('transient');
  });

  it("judges the SDK's RetryError by its last error", () => {
    const wrapped = new RetryError({ message: 'Failed after 3 attempts', reason: 'maxRetriesExceeded', errors: [apiError(500), apiError(429, { headers: { 'retry-after': '1' } })] });
    expect(classifyLlmError(wrapped)).toMatchObject({ kind: 'rate_limit', retryAfterMs: 1000 });
  });

  it('calls anything else fatal, with its message', () => {
    expect(classifyLlmError(new Error('Invalid JSON response'))).toEqual({ kind: 'fatal', message: 'Invalid JSON response' });
    expect(classifyLlmError('boom')).toEqual({ kind: 'fatal', message: 'boom' });
  });

  it('reads Retry-After given as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs({ 'Retry-After': 'Thu, 01 Jan 2026 00:00:05 GMT' }, now)).toBe(5000);
    expect(retryAfterMs({ 'retry-after': 'soon' }, now)).toBeUndefined();
  });
});

/** Runs withLlmRetries with a sleep that records instead of waiting. */
async function retrying<T>(failures: unknown[], result: T, options: Parameters<typeof withLlmRetries>[1] = {}) {
  const delays: number[] = [];
  const retries: LlmRetryInfo[] = [];
  let calls = 0;
  const outcome = await withLlmRetries(
    async () => {
      calls++;
      if (calls <= failures.length) throw failures[calls - 1];
      return result;
    },
    { baseDelayMs: 1000, ...options, sleep: async (ms) => void delays.push(ms), onRetry: (info) => void retries.push(info) },
  ).catch((error: unknown) => error);
  return { outcome, delays, retries, calls };
}

describe('withLlmRetries', () => {
  it('backs off 1 s, 2 s, 4 s on rate limits and succeeds on the 4th attempt', async () => {
    const { outcome, delays, retries, calls } = await retrying([apiError(429), apiError(429), apiError(429)], 'answer');
    expect(outcome).toBe('answer');
    expect(calls).toBe(4);
    expect(delays).toEqual([1000, 2000, 4000]);
    expect(retries.map((info) => [info.kind, info.attempt, info.maxRetries])).toEqual([
      ['rate_limit', 1, 3],
      ['rate_limit', 2, 3],
      ['rate_limit', 3, 3],
    ]);
  });

  it('honours Retry-After over the backoff', async () => {
    const { outcome, delays } = await retrying([apiError(429, { headers: { 'retry-after': '9' } })], 'ok');
    expect(outcome).toBe('ok');
    expect(delays).toEqual([9000]);
  });

  it('caps waits at 60 s for rate limits and 30 s for transient errors', async () => {
    const rateLimited = await retrying(Array.from({ length: 8 }, () => apiError(429)), 'ok', { maxRetries: 8 });
    expect(rateLimited.delays).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
    const transient = await retrying(Array.from({ length: 7 }, () => apiError(502)), 'ok', { maxRetries: 7 });
    expect(transient.delays).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  });

  it('gives up after maxRetries with an LlmCallError carrying the classification', async () => {
    const { outcome, calls } = await retrying([apiError(500), apiError(500), apiError(500), apiError(503, { message: 'still down' })], 'never');
    expect(calls).toBe(4);
    expect(outcome).toBeInstanceOf(LlmCallError);
    expect((outcome as LlmCallError).classification).toMatchObject({ kind: 'transient', statusCode: 503, message: 'still down (HTTP 503)' });
    expect((outcome as LlmCallError).attempts).toBe(4);
  });

  it('does not retry fatal errors', async () => {
    const { outcome, calls, delays } = await retrying([apiError(400, { message: 'context too long' })], 'never');
    expect(calls).toBe(1);
    expect(delays).toEqual([]);
    expect((outcome as LlmCallError).message).toBe('context too long (HTTP 400)');
  });

  it('stops waiting at once when the signal aborts, and does not call again', async () => {
    const controller = new AbortController();
    let calls = 0;
    // the stop comes during the wait before the second call; that wait is an hour, so the retry loop ending at all
    // (and with the stop's reason) means the abort cut the wait short
    const outcome = await withLlmRetries(
      async () => {
        calls++;
        queueMicrotask(() => setTimeout(() => controller.abort(new Error('stopped by user')), 0));
        throw apiError(429);
      },
      { baseDelayMs: 3_600_000, signal: controller.signal },
    ).catch((error: unknown) => error);
    expect((outcome as Error).message).toBe('stopped by user');
    expect(calls).toBe(1);
  });
});
