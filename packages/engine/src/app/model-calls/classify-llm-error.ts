/**
 * Sorts a failed model call into what to do next: wait and retry (rate_limit), retry soon (transient), or
 * give up and tell the user (fatal). Works on AI SDK errors (APICallError, RetryError) and on network errors.
 */
import { APICallError, RetryError } from 'ai';

export interface LlmErrorClass {
  kind: 'rate_limit' | 'transient' | 'fatal';
  /** From Retry-After / retry-after-ms, when the provider sent one. */
  retryAfterMs?: number;
  statusCode?: number;
  /** The provider's own message, fit to show the user. */
  message: string;
}

const transientCodes = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export function classifyLlmError(error: unknown): LlmErrorClass {
  // The SDK's own retry loop wraps the last failure; judge that one (we retry ourselves, see with-retries.ts).
  if (RetryError.isInstance(error) && error.lastError !== undefined) return classifyLlmError(error.lastError);

  if (APICallError.isInstance(error)) {
    const statusCode = error.statusCode;
    const message = providerMessage(error);
    if (statusCode === 429) return { kind: 'rate_limit', retryAfterMs: retryAfterMs(error.responseHeaders), statusCode, message };
    // 408 request timeout, 409 conflict/lock (OpenAI asks clients to retry), 5xx and Anthropic's 529 overloaded.
    if (statusCode === undefined || statusCode === 408 || statusCode === 409 || statusCode >= 500) {
      return { kind: 'transient', retryAfterMs: retryAfterMs(error.responseHeaders), statusCode, message: statusCode === undefined ? networkMessage(error) : message };
    }
    return { kind: 'fatal', statusCode, message };
  }

  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return { kind: 'transient', message: 'The model did not answer in time (LLM_TIMEOUT_MS).' };
    const code = errorCode(error);
    if (code && transientCodes.has(code)) return { kind: 'transient', message: `Network error talking to the model (${code}): ${error.message}` };
    return { kind: 'fatal', message: error.message };
  }
  return { kind: 'fatal', message: String(error) };
}

/** Milliseconds to wait from `retry-after-ms` (OpenAI) or `Retry-After` (seconds or an HTTP date). */
export function retryAfterMs(headers: Record<string, string> | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const header = (name: string) => Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  const milliseconds = Number.parseFloat(header('retry-after-ms') ?? '');
  if (Number.isFinite(milliseconds) && milliseconds >= 0) return milliseconds;
  const retryAfter = header('retry-after');
  if (!retryAfter) return undefined;
  const seconds = Number(retryAfter.trim());
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function providerMessage(error: APICallError): string {
  // Providers answer { error: { message } }; the SDK usually lifts that into error.message already.
  const data = error.data as { error?: { message?: unknown } } | undefined;
  const fromBody = typeof data?.error?.message === 'string' ? data.error.message : undefined;
  const message = fromBody ?? error.message;
  return error.statusCode ? `${message} (HTTP ${error.statusCode})` : message;
}

function networkMessage(error: APICallError): string {
  const code = errorCode(error);
  return `Could not reach the model at ${error.url}${code ? ` (${code})` : ''}: ${error.message}`;
}

function errorCode(error: unknown): string | undefined {
  // fetch hides the socket error in a chain of causes.
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}
