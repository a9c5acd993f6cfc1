/**
 * Sorts a failed model call into what to do next: wait and retry (rate limit), retry soon (transient), or give
 * up with the provider's message (fatal, e.g. a bad API key or an unknown model).
 */
import { APICallError } from 'ai';

export interface LlmErrorClass {
  kind: 'rate_limit' | 'transient' | 'fatal';
  retryAfterMs?: number;
  message: string;
}

function retryAfter(headers: Record<string, string> | undefined): number | undefined {
  const value = headers?.['retry-after'] ?? headers?.['Retry-After'];
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

function providerMessage(error: APICallError): string {
  const body = error.responseBody;
  if (body) {
    try {
      const parsed = JSON.parse(body) as { error?: { message?: string } | string; message?: string };
      const message = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.message);
      if (message) return message;
    } catch {
      // not JSON: fall back to the SDK's message
    }
  }
  return error.message;
}

export function classifyLlmError(error: unknown): LlmErrorClass {
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    const message = `${status ? `HTTP ${status}: ` : ''}${providerMessage(error)}`;
    if (status === 429) return { kind: 'rate_limit', retryAfterMs: retryAfter(error.responseHeaders), message };
    if (status === undefined || status === 408 || status >= 500 || error.isRetryable) return { kind: 'transient', message };
    return { kind: 'fatal', message };
  }
  const message = error instanceof Error ? error.message : String(error);
  // Connection resets and timeouts are worth another try; anything else is a bug or a bad response.
  if (/ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|socket|fetch failed|terminated|timeout/i.test(message)) return { kind: 'transient', message };
  return { kind: 'fatal', message };
}

/** Backoff per spec §3: rate limit min(60 s, 2^n × base) unless Retry-After says otherwise; transient min(30 s, 2^n × base). */
export function retryDelayMs(kind: 'rate_limit' | 'transient', attempt: number, baseDelayMs: number, retryAfterMs?: number): number {
  if (kind === 'rate_limit') return Math.min(60_000, retryAfterMs ?? 2 ** attempt * baseDelayMs);
  return Math.min(30_000, 2 ** attempt * baseDelayMs);
}
