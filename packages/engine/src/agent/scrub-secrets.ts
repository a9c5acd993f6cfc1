/**
 * Replaces known secret values (the configured LLM keys) wherever they appear in an event before it is
 * persisted or streamed. Why: provider error bodies are relayed to the user, and some proxies echo the key
 * they were sent; the key must never reach the SSE stream, the timeline or the logs.
 */
export const redactedMarker = '[REDACTED]';

/** Values shorter than this are too generic to scrub safely (they would mangle ordinary text). */
const minimumSecretLength = 8;

export function createSecretScrubber(secrets: readonly string[]): <T>(value: T) => T {
  const values = [...new Set(secrets.filter((secret) => secret.length >= minimumSecretLength))].sort((a, b) => b.length - a.length);
  if (values.length === 0) return (value) => value;

  const scrubString = (text: string): string => {
    let result = text;
    for (const secret of values) if (result.includes(secret)) result = result.split(secret).join(redactedMarker);
    return result;
  };
  const scrub = (value: unknown): unknown => {
    if (typeof value === 'string') return scrubString(value);
    if (Array.isArray(value)) return value.map(scrub);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, inner]) => [key, scrub(inner)]));
    }
    return value;
  };
  return <T>(value: T) => scrub(value) as T;
}
