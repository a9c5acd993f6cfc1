/**
 * Review findings on the text and JSON rules that every tool result passes through (run-tool calls redactText):
 * a numeric password in JSON (helm_get_values output json, Jenkins/Argo JSON) and tokens in URL query strings
 * (webhook and presigned URLs in logs, exec output and helm values) were printed as they were.
 */
import { describe, expect, it } from 'vitest';
import { redactText } from '@skyflo/safety';

describe('review: values the rules missed', () => {
  it('a number under a sensitive key in JSON is redacted; ordinary numbers and booleans stay', () => {
    const text = redactText(JSON.stringify({ redis: { password: 918273, port: 6379 }, pin: 1, auth: { enabled: true, apiKey: 5550123 } }));
    expect(text).not.toContain('918273');
    expect(text).not.toContain('5550123');
    const parsed = JSON.parse(text);
    expect(parsed.redis).toEqual({ password: '[REDACTED]', port: 6379 });
    expect(parsed.auth.enabled).toBe(true);
  });

  it.each([
    ['access_token in a URL', 'GET https://api.example.com/v1/items?limit=5&access_token=abc123def456 200', 'abc123def456', 'limit=5'],
    ['sig of a presigned URL', 'fetching https://bucket.example.com/x.tgz?X-Amz-Signature=0f1e2d3c4b5a&X-Amz-Expires=60', '0f1e2d3c4b5a', 'X-Amz-Expires=60'],
    ['password in a query', 'jdbc:postgresql://db:5432/app?user=app&password=pg-pass-77', 'pg-pass-77', 'user=app'],
  ])('%s', (_label, line, secret, kept) => {
    const redacted = redactText(line);
    expect(redacted).not.toContain(secret);
    expect(redacted).toContain(kept);
    expect(redacted).toContain('[REDACTED]');
  });

  it('ordinary query parameters stay readable', () => {
    const line = 'GET https://shop.example.com/search?design=blue&author=ada&page=2';
    expect(redactText(line)).toBe(line);
  });

  // How the time grows with the number of pairs (linear now; the pair rule once scanned quadratically) is measured by
  // bench/redaction-scaling.ts: a test on a shared machine asserts the output.
  it('many sibling "name: password" lines are all redacted', () => {
    const text = Array.from({ length: 20_000 }, (_, index) => `name: password\nvalue: secret-${index}`).join('\n');
    const redacted = redactText(text);
    expect(redacted).not.toMatch(/secret-\d/);
    expect(redacted.match(/name: password/g)).toHaveLength(20_000);
  });
});
