/**
 * Retries a model call on rate limits and transient failures (spec §3: 3 retries; rate limit waits
 * min(60 s, 2^n s), transient min(30 s, 2^n s), Retry-After wins when the provider sends it).
 * Turn the SDK's own retries off (`maxRetries: 0`) when using this, or the waits multiply.
 */
import { classifyLlmError, type LlmErrorClass } from './classify-llm-error.ts';
import { SkyfloError, type ErrorCategory } from '../../platform/errors/skyflo-error.ts';

export interface LlmRetryInfo {
  kind: 'rate_limit' | 'transient';
  /** 1 for the first retry. */
  attempt: number;
  maxRetries: number;
  delayMs: number;
  error: string;
  statusCode?: number;
}

export interface LlmRetryOptions {
  maxRetries?: number;
  /** The unit of the backoff (default 1000 ms, i.e. 1 s, 2 s, 4 s …); tests use a few ms. */
  baseDelayMs?: number;
  maxRateLimitDelayMs?: number;
  maxTransientDelayMs?: number;
  /** Called before each wait, e.g. to emit rate_limit / transient_error events. */
  onRetry?: (info: LlmRetryInfo) => void | Promise<void>;
  /** Stop: aborts the wait at once and stops further attempts. */
  signal?: AbortSignal;
  /** Replaceable for tests that assert the waits without spending them. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The error thrown when retries are used up or the error is fatal; carries the classification. */
export class LlmCallError extends SkyfloError {
  readonly code = 'LLM_CALL_FAILED';

  /** a dependency failed (issue 80 item 4): an operator's matter, and it may pass */
  override get category(): ErrorCategory {
    return 'operational';
  }

  override get retryable(): boolean {
    return this.classification.kind !== 'fatal';
  }

  constructor(
    readonly classification: LlmErrorClass,
    readonly attempts: number,
    options: { cause: unknown },
  ) {
    super(classification.message, options);
    this.name = 'LlmCallError';
  }
}

export async function withLlmRetries<T>(call: (attempt: number) => Promise<T>, options: LlmRetryOptions = {}): Promise<T> {
  const maxRetries = options.maxRetries ?? 3;
  const baseDelayMs = options.baseDelayMs ?? 1000;
  const sleep = options.sleep ?? abortableSleep;
  for (let attempt = 0; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await call(attempt);
    } catch (error) {
      // A stop is not a failure to retry: let the abort reason through untouched.
      if (options.signal?.aborted) throw options.signal.reason;
      const classification = classifyLlmError(error);
      if (classification.kind === 'fatal' || attempt >= maxRetries) throw new LlmCallError(classification, attempt + 1, { cause: error });
      const cap = classification.kind === 'rate_limit' ? (options.maxRateLimitDelayMs ?? 60 * baseDelayMs) : (options.maxTransientDelayMs ?? 30 * baseDelayMs);
      const backoff = Math.min(cap, baseDelayMs * 2 ** attempt);
      // Retry-After is the provider telling us exactly when; honour it (bounded, so a bogus header cannot park a run).
      const delayMs = classification.retryAfterMs !== undefined ? Math.min(classification.retryAfterMs, Math.max(cap, 60_000)) : backoff;
      await options.onRetry?.({
        kind: classification.kind,
        attempt: attempt + 1,
        maxRetries,
        delayMs,
        error: classification.message,
        statusCode: classification.statusCode,
      });
      await sleep(delayMs, options.signal);
    }
  }
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
