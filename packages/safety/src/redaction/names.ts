/**
 * Which names hold secrets and which values are never secrets: the predicates every redaction rule shares
 * (rules.ts, the token families in token-*.ts, the line rules in key-value-lines.ts, the object rules in redact.ts).
 */
export const REDACTED = '[REDACTED]';

/** Replaces a secret value; the default prints REDACTED, approval cards print a length and a digest instead. */
export type Mask = (secret: string) => string;

export const defaultMask: Mask = () => REDACTED;

/**
 * Names whose values are treated as secrets. Matched case-insensitively anywhere in the key. The `…key` family
 * names integration keys that are credentials themselves: PagerDuty routing/service/integration keys, Datadog
 * application keys, Azure API Management subscription keys.
 */
export const SENSITIVE_NAME =
  /(pass(word|wd|phrase)?|pwd|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|client[-_]?key|tls\.key|[-_]key[-_]data|credential|auth|cookie|session[-_]?key|signing[-_]?key|client[-_]?secret|dsn|connection[-_]?string|(license|encryption|master|account|storage|shared|hmac|crypt|webhook|routing|integration|service|app|application|subscription|enrollment|bootstrap)[-_]?key)/i;

/**
 * Names that contain a sensitive word but hold a reference, a path, a switch or a limit, not the secret:
 * secretName: tls, existingSecret: db-creds, DB_PASSWORD_FILE: /run/secrets/db, TOKEN_TTL: 1h,
 * passwordMinLength: 12, API_KEY_HEADER: X-Api-Key, checksum/secret: <hash>, authorEmail (a commit's author, not
 * "auth"), apiKeyExistingSecret: dd (a Secret's name). Never a suffix that a real secret name ends with (id, key,
 * value, hash, data).
 */
export const STRUCTURAL_NAME =
  /^(?:secretName|secretRef|tokenSecretRef|certificate-authority(?:-data)?|client-certificate(?:-data)?|[\w-]*application[-_]credentials|automountServiceAccountToken|authMode|authType|name|kind|author(?!i[sz]ation)\w*|authority|[\w-]*authenticate|existing[-_.]?secret.*|checksum\/.*|.*\/agent-inject-(?:secret|template|file|command)-.*)$|[-_.]?(?:name|names|ref|refs|keyref|file|files|path|paths|dir|directory|mount|mountpath|(?:min|max)[-_]?length|length|policy|enabled|disabled|required|ttl|timeout|expiry|expiration|expires|header|type|mode|provider|method|endpoint|issuer|audience|algorithm|format|version|source|store|selector|namespace|prefix|count|size|interval|lifetime|duration|seconds|stdin|env|var|template|rotation|reviewer|existing[-_]?secret)$/i;

/** Shell variables that only look sensitive: PWD is the working directory. Case-sensitive on purpose (`pwd:` in YAML is a password). */
export const SHELL_VARIABLES = new Set(['PWD', 'OLDPWD']);

/** Cookie names that carry a session (redacted in `Cookie:` headers and anywhere as `name=value`). */
export const SESSION_COOKIE = /^(?:session|sessionid|session[-_]id|_session|sid|jsessionid|phpsessid|connect\.sid|csrftoken|xsrf-token|remember_token|auth_token)$/i;

export function isSensitiveName(name: string): boolean {
  return SENSITIVE_NAME.test(name) || SESSION_COOKIE.test(name);
}

export function isStructuralName(name: string): boolean {
  return STRUCTURAL_NAME.test(name.replace(/^-+/, ''));
}

/** A name whose value is a secret: sensitive, and not a reference/setting/shell variable. */
export function isSecretName(name: string): boolean {
  if (SHELL_VARIABLES.has(name)) return false;
  return isSensitiveName(name) && !isStructuralName(name);
}

/**
 * Values that are never secrets, whatever their key: booleans, null, empty; placeholders a tool prints instead of
 * the value (`<set>`, `<none>`, `********`, `16 bytes` in kubectl describe secret, kubectl's
 * `<set to the key 'password' in secret 'db'>`); and references resolved elsewhere (`${DB_PASSWORD}`,
 * `$(POSTGRES_PASSWORD)`, `{{ .Values.db.password }}`), which name a secret without holding it.
 */
export function isTrivialValue(value: string): boolean {
  const trimmed = value.trim().replace(/^(["'])(.*)\1$/, '$2').trim();
  return (
    /^(?:true|false|null|~|""|''|)$/i.test(trimmed) ||
    /^<[^<>\n]*>(?:\s+Optional:\s+\w+)?$/.test(trimmed) ||
    /^\*{3,}$/.test(trimmed) ||
    /^\d+ bytes$/.test(trimmed) ||
    /^\$\{[A-Za-z_][\w.-]*\}$|^\$\([A-Za-z_][\w.-]*\)$|^\{\{[^{}]*\}\}$/.test(trimmed)
  );
}

/**
 * A list of object names under a plural label: kubectl describe serviceaccount's `Mountable secrets:` and
 * `Tokens:`, a pod's `Image pull secrets:` name Secrets, they do not hold them.
 */
export function isNameList(name: string, value: string): boolean {
  return /^(?:secrets|tokens)$/i.test(name) && /^[a-z0-9][a-z0-9.-]*(?:,\s*[a-z0-9][a-z0-9.-]*)*$/.test(value.trim());
}

/** A count under a sensitive-looking name: `total_tokens: 1743`, `max_tokens=4096`, `secrets_count=12`. */
export function isCount(name: string, value: string): boolean {
  return /(?:tokens|tokens[-_]per[-_]\w+|count)$/i.test(name) && /^\s*["']?\d+["']?\s*$/.test(value);
}

/**
 * A token-shaped value. `pre`/`post` named groups are kept; the `secret` group (or the whole match) is masked.
 * Each pattern has the global flag for replaceAll.
 */
export interface TokenPattern {
  name: string;
  pattern: RegExp;
  /** decides per match whether to mask it (e.g. structural flag names are left alone) */
  accept?: (groups: Record<string, string | undefined>) => boolean;
  /**
   * A cheap test every text the pattern can match passes (built from a piece of the pattern every match must contain:
   * its command names, its secret words, a literal), so the pattern is not run over a text that fails it. Why: the
   * whole rule set is run over the open block of a streamed answer at every word, and most rules' costly scans of
   * ordinary prose find nothing (issue 38). Never global: `test` must not keep a position.
   */
  requires?: RegExp;
}

// Sensitive words for names met inside a line (logs, command lines). Narrower than SENSITIVE_NAME: "auth" alone
// names too many settings there (--authorization-mode, authPath) to be treated as a secret without a key rule.
// "pass" only as a word of its own (smtp_pass, PASS=), never inside another (compass, bypass, passes).
export const INLINE_WORD =
  '(?:password|passwd|passphrase|pwd|(?<![a-z])pass(?![a-z])|secret|token|api[-_]?key|apikey|access[-_]?key|private[-_]?key|account[-_]?key|(?:routing|integration|service|app|subscription)[-_]?key|credentials?|session(?:[-_]?id)?|sid|cookie)';

/** Passed by every text holding an INLINE_WORD (the `requires` of the rules built on it). */
export const HAS_INLINE_WORD = new RegExp(INLINE_WORD, 'i');

export const notStructural = (groups: Record<string, string | undefined>) => !isStructuralName(groups['name'] ?? '') && !SHELL_VARIABLES.has(groups['name'] ?? '');
