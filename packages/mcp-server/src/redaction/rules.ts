/**
 * The documented redaction rule set. Applied to every tool output before it leaves the server.
 *
 * 1. Secret objects: every value under `data` and `stringData` is replaced (keys are kept so the model
 *    can still reason about which keys exist).
 * 2. Sensitive names: an env var, ConfigMap key, YAML/JSON key or `KEY=value` whose name matches
 *    SENSITIVE_NAME has its value replaced.
 * 3. Token shapes: anything matching TOKEN_PATTERNS (JWTs, PEM private keys, cloud/API key formats,
 *    bearer tokens, passwords in URLs) is replaced wherever it appears, whatever its key.
 * 4. The `kubectl.kubernetes.io/last-applied-configuration` annotation is redacted recursively, since it
 *    holds a full copy of the object (including a Secret's data).
 */
export const REDACTED = '[REDACTED]';

/** Names whose values are treated as secrets. Matched case-insensitively against the whole key. */
export const SENSITIVE_NAME = /(pass(word|wd)?|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|client[-_]?key|tls\.key|[-_]key[-_]data|credential|auth|cookie|session[-_]?key|signing[-_]?key|client[-_]?secret|dsn|connection[-_]?string)/i;

/** Value shapes that are secrets regardless of their key. Each has the global flag for replaceAll. */
export const TOKEN_PATTERNS: ReadonlyArray<{ name: string; pattern: RegExp; replace?: string }> = [
  { name: 'pem-private-key', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g },
  { name: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\b/g },
  { name: 'aws-access-key', pattern: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { name: 'github-token', pattern: /\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})\b/g },
  { name: 'slack-token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g },
  { name: 'openai-style-key', pattern: /\bsk-(proj-|ant-)?[A-Za-z0-9_-]{20,}\b/g },
  { name: 'google-api-key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { name: 'bearer', pattern: /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, replace: `$1 ${REDACTED}` },
  // base64 of "-----BEGIN" (kubeconfig client-key-data, Secret data printed elsewhere): a PEM blob in disguise.
  { name: 'base64-pem', pattern: /\bLS0tLS1CRUdJTi[A-Za-z0-9+/=]{20,}/g },
  // Query parameters that carry credentials (webhook/API tokens, presigned-URL signatures, JDBC passwords).
  {
    name: 'url-query-secret',
    pattern: /([?&;](?:[A-Za-z0-9_.-]*(?:token|secret|password|passwd|api[-_]?key|apikey|signature|credential)[A-Za-z0-9_.-]*|sig|pwd|auth)=)[^&\s"'#]+/gi,
    replace: `$1${REDACTED}`,
  },
  { name: 'url-password', pattern: /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi, replace: `$1${REDACTED}@` },
];

export function isSensitiveName(name: string): boolean {
  return SENSITIVE_NAME.test(name);
}

/** Replaces every token-shaped substring. */
export function redactTokens(text: string): string {
  let result = text;
  for (const { pattern, replace } of TOKEN_PATTERNS) result = result.replace(pattern, replace ?? REDACTED);
  return result;
}
