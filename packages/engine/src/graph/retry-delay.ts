/**
 * Backoff per spec §3: rate limit min(60 s, 2^n × base) unless the provider's Retry-After says otherwise (capped at
 * 60 s too); transient min(30 s, 2^n × base). `base` is LLM_RETRY_BASE_DELAY_MS (1 s; milliseconds in tests).
 * Errors are classified by llm/classify-llm-error.ts.
 */
export function retryDelayMs(kind: 'rate_limit' | 'transient', attempt: number, baseDelayMs: number, retryAfterMs?: number): number {
  if (kind === 'rate_limit') return Math.min(60_000, retryAfterMs ?? 2 ** attempt * baseDelayMs);
  return Math.min(30_000, 2 ** attempt * baseDelayMs);
}
