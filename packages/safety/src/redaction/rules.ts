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
 *
 * Files: names.ts (which names and values are secret), token-vendors.ts (shapes recognised alone: keys, hashes,
 * webhooks, headers), token-commands.ts (command-line passwords), this file (generic pairs, URLs, phrases, and
 * the order they apply in), key-value-lines.ts (line rules), argument-lists.ts (commands held as lists), redact.ts
 * (objects and text).
 */
import { HAS_INLINE_WORD, INLINE_WORD, isCount, isNameList, isSecretName, isTrivialValue, notStructural, type Mask, type TokenPattern, defaultMask } from './names.ts';
import { COMMAND_TOKEN_PATTERNS } from './token-commands.ts';
import { VENDOR_TOKEN_PATTERNS } from './token-vendors.ts';

export * from './names.ts';

/** A value word that a phrase like "secret is …" is usually followed by when it does not print a secret. */
// …or a placeholder a template or tool prints in its place ({{ .Values.x }}, ${VAR}, $(VAR), "16 bytes").
const NOT_A_VALUE = '(?!\\{\\{|\\$[({]|\\d+[ \\t]+bytes\\b)(?!(?:not|missing|empty|invalid|expired|required|set|unset|null|none|ok|correct|incorrect|wrong|valid|too|a|an|the|for|from|to|of|in|and|or|authentication|auth|based|file|rotated|refreshed|updated|changed|reset|stored|saved|provided|accepted|rejected)\\b)';

/** The secret words of the phrase rules, and the tests every text they can match passes. */
const USING_WORDS = '(?:password|passwd|passphrase|token|secret|api[- ]key)';
const IS_WORDS = '(?:password|passwd|passphrase|token|secret)';
/** Every URL with credentials in it has a scheme separator. */
const HAS_URL = /:\/\//;

export const TOKEN_PATTERNS: ReadonlyArray<TokenPattern> = [
  ...VENDOR_TOKEN_PATTERNS,
  // .npmrc: "//registry.npmjs.org/:_authToken=…", "_auth=…", "_password=…"
  { name: 'npmrc-auth', pattern: /(?<pre>(?:^|[\s"'])(?:\/\/[^\s:]+\/?:)?_(?:authToken|auth|password)\s*=\s*)(?<secret>[^\s"']+)/gm, requires: /_(?:auth|password)/ },
  // .netrc / _netrc (curl, git, ftp): "machine HOST login USER password SECRET" on one line or over several, the
  // tokens in any order after the host (login, account, port); `default` (any host) only with a login, so prose
  // such as "the default password policy" keeps its words.
  {
    name: 'netrc-password',
    pattern: /(?<pre>(?<![\w.-])(?:machine[ \t\r\n]+\S+(?:[ \t\r\n]+(?:login|account|port)[ \t\r\n]+\S+)*|default(?:[ \t\r\n]+(?:login|account|port)[ \t\r\n]+\S+)+)[ \t\r\n]+password[ \t\r\n]+)(?<secret>(?!\[REDACTED)[^\s`]+)/g,
    requires: /password/,
  },
  // Query parameters that carry credentials (webhook/API tokens, presigned-URL signatures, JDBC passwords).
  {
    name: 'url-query-secret',
    pattern: /(?<pre>[?&;](?:[A-Za-z0-9_.-]*(?:token|secret|password|passwd|api[-_]?key|apikey|signature|credential)[A-Za-z0-9_.-]*|sig|pwd|auth)=)(?<secret>[^&\s"'#]+)/gi,
    requires: /[?&;][A-Za-z0-9_.-]+=/,
  },
  // Credentials in any URL scheme: postgres://user:pw@, redis://:pw@ (no user), amqp://, mongodb+srv://, https://…
  { name: 'url-password', pattern: /(?<pre>\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)(?<secret>[^\s@/]+)(?<post>@)/gi, requires: HAS_URL },
  // A long token as the whole userinfo: https://<token>@host (Sentry DSNs, git over https with a token).
  { name: 'url-token-user', pattern: /(?<pre>\b[a-z][a-z0-9+.-]*:\/\/)(?<secret>[A-Za-z0-9_-]{20,})(?<post>@)/gi, requires: HAS_URL },
  // XML elements: <password>…</password> (Maven settings, Tomcat users printed by build tools).
  { name: 'xml-secret', pattern: new RegExp(`(?<pre><(?<tag>[A-Za-z0-9_.:-]*${INLINE_WORD}[A-Za-z0-9_.:-]*)>)(?<secret>[^<]+)(?<post></\\k<tag>>)`, 'gi'), requires: HAS_INLINE_WORD },
  ...COMMAND_TOKEN_PATTERNS,
  // name=value / "name": "value" inside a line (logfmt, connection strings, cookies, JSON log lines, headers), also
  // as Markdown code in a model's answer (`password: "…"`).
  {
    name: 'inline-pair',
    pattern: new RegExp(`(?<pre>(?:^|[\\s,;?&{(=\`])["']?(?<name>[A-Za-z0-9_.-]*${INLINE_WORD}[A-Za-z0-9_.-]*)["']?[ \\t]*[=:][ \\t]*)(?!\\d+[ \\t]+bytes\\b)(?<secret>"[^"\\n]*"?|'[^'\\n]*'?|\\$\\([A-Za-z_][\\w.-]*\\)|\\$\\{[A-Za-z_][\\w.-]*\\}|\\{\\{[^{}\\n]*\\}\\}|(?!\\[REDACTED)[^\\s,;&"'}<)]+)`, 'gim'),
    requires: HAS_INLINE_WORD,
    accept: (groups) => notStructural(groups) && !isCount(groups['name'] ?? '', groups['secret'] ?? '') && !isNameList(groups['name'] ?? '', groups['secret'] ?? '') && !isTrivialValue(groups['secret'] ?? '') && !/^["']?\[REDACTED/.test(groups['secret'] ?? ''),
  },
  // "auth": "…" and friends as quoted JSON keys inside any text (a docker config.json held in YAML, a JSON log line).
  {
    name: 'json-pair',
    pattern: /(?<pre>"(?<name>[A-Za-z0-9_.-]*(?:auth|password|passwd|pwd|secret|token|api[-_]?key|apikey|credential|(?:private|access|routing|integration|service|app|subscription)[-_]?key)[A-Za-z0-9_.-]*)"[ \t]*:[ \t]*)(?<secret>"(?:[^"\\\n]|\\.)*")/gi,
    accept: (groups) => isSecretName(groups['name'] ?? '') && !isTrivialValue(groups['secret'] ?? '') && !/^"\[REDACTED/.test(groups['secret'] ?? ''),
    requires: /"[ \t]*:[ \t]*"/,
  },
  // Phrases: "Using password X", "with token X", "password for admin: X", "password is X".
  {
    name: 'phrase-using',
    pattern: new RegExp(`(?<=^|\\s)(?<pre>(?:using|use|with)[ \\t]+(?:the[ \\t]+)?${USING_WORDS}[ \\t]+)${NOT_A_VALUE}(?<secret>[^\\s,;'"]+)`, 'gi'),
    requires: new RegExp(USING_WORDS, 'i'),
  },
  {
    name: 'phrase-is',
    pattern: new RegExp(`(?<=^|\\s)(?<pre>${IS_WORDS}(?:[ \\t]+for[ \\t]+[\\w@.-]+)?[ \\t]*(?:[ \\t]is|[ \\t]was|[ \\t]set to|:)[ \\t]+)${NOT_A_VALUE}(?<secret>(?!\\[REDACTED)[^\\s,;'"]+)`, 'gi'),
    requires: new RegExp(IS_WORDS, 'i'),
  },
];

/** Replaces every token-shaped substring (the secret part only; prefixes such as "Bearer " stay). */
export function redactTokens(text: string, mask: Mask = defaultMask): string {
  let result = text;
  // A `requires` shared by several rules is tested once per version of the text (a replacement makes a new one).
  const passes = new Map<RegExp, boolean>();
  let testedOn = text;
  for (const { pattern, accept, requires } of TOKEN_PATTERNS) {
    if (requires) {
      if (result !== testedOn) {
        passes.clear();
        testedOn = result;
      }
      let passed = passes.get(requires);
      if (passed === undefined) passes.set(requires, (passed = requires.test(result)));
      if (!passed) continue;
    }
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

/**
 * A command held as an argument list (container `command`/`args`, a YAML or describe list): the items are read as
 * one command line, so `["mysql", "-uroot", "-pPASS"]` is the `mysql -pPASS` it runs. Items with blanks (an
 * `sh -c` script) are redacted as text on their own and stand in the line as a placeholder word.
 */
export function redactCommandArguments(items: readonly string[], mask: Mask = defaultMask): string[] {
  if (items.length < 2) return [...items];
  // Each secret becomes a numbered marker, so it is masked at its own item whatever order the patterns ran in.
  const found: string[] = [];
  const line = items.map((item) => (/\s/.test(item) || item === '' ? 'x' : item)).join(' ');
  const marked = redactTokens(line, (secret) => `\u0001${found.push(secret) - 1}\u0002`);
  if (found.length === 0) return [...items];
  const words = marked.split(' ');
  if (words.length !== items.length) return [...items];
  return items.map((item, index) => (words[index]!.includes('\u0001') ? words[index]!.replace(/\u0001(\d+)\u0002/g, (_, at: string) => mask(found[Number(at)]!)) : item));
}
