/**
 * The documented redaction rule set. Applied to every tool output before it leaves the server, and (with a
 * describing mask instead of "[REDACTED]") to tool arguments shown on approval cards (redact-tool-arguments.ts).
 *
 * 1. Secret objects: every value under `data` and `stringData` is replaced (keys are kept so the model
 *    can still reason about which keys exist).
 * 2. Sensitive names: an env var, ConfigMap key, YAML/JSON key, annotation or `KEY=value` whose name matches
 *    SENSITIVE_NAME has its value replaced — unless the name says the value is a reference or a setting, not the
 *    secret itself (STRUCTURAL_NAME: secretName, existingSecret, PASSWORD_FILE, TOKEN_TTL, passwordMinLength…).
 * 3. Token shapes: anything matching TOKEN_PATTERNS (JWTs, PEM private keys, cloud/API/CI key formats, Stripe
 *    and Slack webhooks, bearer/basic credentials, credentials in any URL scheme, `.npmrc` auth, secret-named
 *    `key=value` pairs inside a line, CLI flags such as `--db-password=…` or `docker login -p …`, phrases such as
 *    "Using password X") is replaced wherever it appears, whatever its key.
 * 4. The `kubectl.kubernetes.io/last-applied-configuration` annotation is redacted recursively, since it
 *    holds a full copy of the object (including a Secret's data).
 * Unified diffs are redacted line by line without their +/- markers, so a secret added in a diff is found as
 * it would be in the file.
 */
export const REDACTED = '[REDACTED]';

/** Replaces a secret value; the default prints REDACTED, approval cards print a length and a digest instead. */
export type Mask = (secret: string) => string;

export const defaultMask: Mask = () => REDACTED;

/** Names whose values are treated as secrets. Matched case-insensitively anywhere in the key. */
export const SENSITIVE_NAME =
  /(pass(word|wd|phrase)?|pwd|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|client[-_]?key|tls\.key|[-_]key[-_]data|credential|auth|cookie|session[-_]?key|signing[-_]?key|client[-_]?secret|dsn|connection[-_]?string|(license|encryption|master|account|storage|shared|hmac|crypt|webhook)[-_]?key)/i;

/**
 * Names that contain a sensitive word but hold a reference, a path, a switch or a limit, not the secret:
 * secretName: tls, existingSecret: db-creds, DB_PASSWORD_FILE: /run/secrets/db, TOKEN_TTL: 1h,
 * passwordMinLength: 12, API_KEY_HEADER: X-Api-Key, checksum/secret: <hash>, authorEmail (a commit's author, not
 * "auth"). Never a suffix that a real secret name ends with (id, key, value, hash, data).
 */
export const STRUCTURAL_NAME =
  /^(?:secretName|secretRef|tokenSecretRef|automountServiceAccountToken|authMode|authType|name|kind|author(?!i[sz]ation)\w*|authority|[\w-]*authenticate|existing[-_.]?secret.*|checksum\/.*|.*\/agent-inject-(?:secret|template|file|command)-.*)$|[-_.]?(?:name|names|ref|refs|keyref|file|files|path|paths|dir|directory|mount|mountpath|(?:min|max)[-_]?length|length|policy|enabled|disabled|required|ttl|timeout|expiry|expiration|expires|header|type|mode|provider|method|endpoint|issuer|audience|algorithm|format|version|source|store|selector|namespace|prefix|count|size|interval|lifetime|duration|seconds|stdin|env|var|template|rotation|reviewer)$/i;

/** Shell variables that only look sensitive: PWD is the working directory. Case-sensitive on purpose (`pwd:` in YAML is a password). */
const SHELL_VARIABLES = new Set(['PWD', 'OLDPWD']);

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

/** Values that are never secrets, whatever their key: booleans, null, empty. */
export function isTrivialValue(value: string): boolean {
  return /^(?:true|false|null|~|""|''|)$/i.test(value.trim());
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
}

// Sensitive words for names met inside a line (logs, command lines). Narrower than SENSITIVE_NAME: "auth" alone
// names too many settings there (--authorization-mode, authPath) to be treated as a secret without a key rule.
const INLINE_WORD = '(?:password|passwd|passphrase|pwd|secret|token|api[-_]?key|apikey|access[-_]?key|private[-_]?key|account[-_]?key|credentials?|session(?:[-_]?id)?|sid|cookie)';
const notStructural = (groups: Record<string, string | undefined>) => !isStructuralName(groups['name'] ?? '') && !SHELL_VARIABLES.has(groups['name'] ?? '');
const notCount = (groups: Record<string, string | undefined>) => !(/tokens$/i.test(groups['name'] ?? '') && /^\d+$/.test(groups['secret'] ?? ''));
/** A value word that a phrase like "secret is …" is usually followed by when it does not print a secret. */
const NOT_A_VALUE = '(?!(?:not|missing|empty|invalid|expired|required|set|unset|null|none|ok|correct|incorrect|wrong|valid|too|a|an|the|for|from|to|of|in|and|or|authentication|auth|based|file|rotated|refreshed|updated|changed|reset|stored|saved|provided|accepted|rejected)\\b)';

export const TOKEN_PATTERNS: ReadonlyArray<TokenPattern> = [
  { name: 'pem-private-key', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g },
  { name: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\b/g },
  { name: 'aws-access-key', pattern: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { name: 'github-token', pattern: /\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})\b/g },
  { name: 'gitlab-token', pattern: /\bgl(?:pat|ptt|dt|rt|cbt)-[A-Za-z0-9_-]{20,}/g },
  { name: 'slack-token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g },
  { name: 'slack-webhook', pattern: /(?<pre>https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/)(?<secret>[A-Za-z0-9_/-]+)/g },
  { name: 'discord-webhook', pattern: /(?<pre>https:\/\/(?:ptb\.|canary\.)?discord(?:app)?\.com\/api\/webhooks\/)(?<secret>[0-9]+\/[A-Za-z0-9_-]+)/g },
  { name: 'stripe-key', pattern: /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b|\bwhsec_[A-Za-z0-9]{16,}\b/g },
  { name: 'openai-style-key', pattern: /\bsk-(proj-|ant-)?[A-Za-z0-9_-]{20,}\b/g },
  { name: 'google-api-key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { name: 'npm-token', pattern: /\bnpm_[A-Za-z0-9]{36}\b/g },
  { name: 'pypi-token', pattern: /\bpypi-[A-Za-z0-9_-]{40,}/g },
  { name: 'sendgrid-key', pattern: /\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}/g },
  { name: 'vault-token', pattern: /\bhv[sbr]\.[A-Za-z0-9_-]{20,}/g },
  { name: 'sonar-token', pattern: /\bsq[pua]_[A-Za-z0-9]{40}\b/g },
  { name: 'bearer', pattern: /\b(?<pre>(?:Bearer|Basic)\s+)(?<secret>[A-Za-z0-9._~+/=-]{8,})/g },
  // base64 of "-----BEGIN" (kubeconfig client-key-data, Secret data printed elsewhere): a PEM blob in disguise.
  { name: 'base64-pem', pattern: /\bLS0tLS1CRUdJTi[A-Za-z0-9+/=]{20,}/g },
  // .npmrc: "//registry.npmjs.org/:_authToken=…", "_auth=…", "_password=…"
  { name: 'npmrc-auth', pattern: /(?<pre>(?:^|[\s"'])(?:\/\/[^\s:]+\/?:)?_(?:authToken|auth|password)\s*=\s*)(?<secret>[^\s"']+)/gm },
  // Query parameters that carry credentials (webhook/API tokens, presigned-URL signatures, JDBC passwords).
  {
    name: 'url-query-secret',
    pattern: /(?<pre>[?&;](?:[A-Za-z0-9_.-]*(?:token|secret|password|passwd|api[-_]?key|apikey|signature|credential)[A-Za-z0-9_.-]*|sig|pwd|auth)=)(?<secret>[^&\s"'#]+)/gi,
  },
  // Credentials in any URL scheme: postgres://user:pw@, redis://:pw@ (no user), amqp://, mongodb+srv://, https://…
  { name: 'url-password', pattern: /(?<pre>\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)(?<secret>[^\s@/]+)(?<post>@)/gi },
  // A long token as the whole userinfo: https://<token>@host (Sentry DSNs, git over https with a token).
  { name: 'url-token-user', pattern: /(?<pre>\b[a-z][a-z0-9+.-]*:\/\/)(?<secret>[A-Za-z0-9_-]{20,})(?<post>@)/gi },
  // XML elements: <password>…</password> (Maven settings, Tomcat users printed by build tools).
  { name: 'xml-secret', pattern: new RegExp(`(?<pre><(?<tag>[A-Za-z0-9_.:-]*${INLINE_WORD}[A-Za-z0-9_.:-]*)>)(?<secret>[^<]+)(?<post></\\k<tag>>)`, 'gi') },
  // Command-line flags: --db-password=…, --token …, --client-secret=… (a space-separated value on the same line).
  {
    name: 'cli-flag',
    pattern: new RegExp(`(?<pre>(?:^|[\\s"'=])--?(?<name>[A-Za-z0-9_.-]*${INLINE_WORD}[A-Za-z0-9_.-]*)(?:=|[ \\t]+))(?<secret>(?!-)[^\\s"']+)`, 'gim'),
    accept: notStructural,
  },
  // `docker login -p …`, `twine upload -p …`, and friends: -p is the password there.
  { name: 'cli-login-p', pattern: /(?<pre>\b(?:docker|podman|nerdctl|buildah|skopeo|oras|crane|twine|helm\s+registry)\b[^\n]*?\s-p[ \t]+)(?<secret>[^\s"']+)/g },
  // `curl -u user:password`, `--user user:password`
  { name: 'cli-user-password', pattern: /(?<pre>(?:^|\s)(?:-u|--user)[ \t]+[^\s:]+:)(?<secret>[^\s@"']+)/gm },
  // `aws configure set aws_secret_access_key …`
  { name: 'cli-configure-set', pattern: /(?<pre>\bconfigure\s+set\s+\S*(?:secret|token|password)\S*[ \t]+)(?<secret>\S+)/gi },
  // name=value / "name": "value" inside a line (logfmt, connection strings, cookies, JSON log lines, headers).
  {
    name: 'inline-pair',
    pattern: new RegExp(`(?<pre>(?:^|[\\s,;?&{(=])["']?(?<name>[A-Za-z0-9_.-]*${INLINE_WORD}[A-Za-z0-9_.-]*)["']?[ \\t]*[=:][ \\t]*)(?<secret>"[^"\\n]*"?|'[^'\\n]*'?|(?!\\[REDACTED)[^\\s,;&"'}<)]+)`, 'gim'),
    accept: (groups) => notStructural(groups) && notCount(groups) && !isTrivialValue(groups['secret'] ?? '') && !/^["']?\[REDACTED/.test(groups['secret'] ?? ''),
  },
  // "auth": "…" and friends as quoted JSON keys inside any text (a docker config.json held in YAML, a JSON log line).
  {
    name: 'json-pair',
    pattern: /(?<pre>"(?<name>[A-Za-z0-9_.-]*(?:auth|password|passwd|pwd|secret|token|api[-_]?key|apikey|credential)[A-Za-z0-9_.-]*)"[ \t]*:[ \t]*)(?<secret>"(?:[^"\\\n]|\\.)*")/gi,
    accept: (groups) => isSecretName(groups['name'] ?? '') && !isTrivialValue(groups['secret'] ?? '') && !/^"\[REDACTED/.test(groups['secret'] ?? ''),
  },
  // Phrases: "Using password X", "with token X", "password for admin: X", "password is X".
  {
    name: 'phrase-using',
    pattern: new RegExp(`(?<=^|\\s)(?<pre>(?:using|use|with)[ \\t]+(?:the[ \\t]+)?(?:password|passwd|passphrase|token|secret|api[- ]key)[ \\t]+)${NOT_A_VALUE}(?<secret>[^\\s,;'"]+)`, 'gi'),
  },
  {
    name: 'phrase-is',
    pattern: new RegExp(`(?<=^|\\s)(?<pre>(?:password|passwd|passphrase|token|secret)(?:[ \\t]+for[ \\t]+[\\w@.-]+)?[ \\t]*(?:[ \\t]is|[ \\t]was|[ \\t]set to|:)[ \\t]+)${NOT_A_VALUE}(?<secret>(?!\\[REDACTED)[^\\s,;'"]+)`, 'gi'),
  },
];

/** Replaces every token-shaped substring (the secret part only; prefixes such as "Bearer " stay). */
export function redactTokens(text: string, mask: Mask = defaultMask): string {
  let result = text;
  for (const { pattern, accept } of TOKEN_PATTERNS) {
    result = result.replace(pattern, (...matchArgs) => {
      const whole = matchArgs[0] as string;
      const groups = (typeof matchArgs.at(-1) === 'object' ? matchArgs.at(-1) : undefined) as Record<string, string | undefined> | undefined;
      if (!groups || groups['secret'] === undefined) return mask(whole);
      if (accept && !accept(groups)) return whole;
      const secret = groups['secret'];
      const quote = /^["']/.test(secret) && secret.length >= 2 && secret.at(-1) === secret[0] ? secret[0] : '';
      const inner = quote ? secret.slice(1, -1) : secret;
      return `${groups['pre'] ?? ''}${quote}${mask(inner)}${quote}${groups['post'] ?? ''}`;
    });
  }
  return result;
}
