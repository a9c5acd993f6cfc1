/**
 * Secrets recognised by their shape alone, wherever they appear and whatever their key: private keys, JWTs,
 * vendor key formats (cloud, CI, chat, observability, payment), webhook URLs with their token in the path,
 * password hashes (htpasswd, /etc/shadow) and Authorization header values.
 */
import type { TokenPattern } from './names.ts';

// A PEM header may be folded by a YAML serializer ("-----BEGIN\n    PRIVATE KEY-----" in a long double-quoted
// scalar) or written with escaped newlines ("…-----\nMIIE…" in JSON), so words are separated by any blank.
const PEM_LABEL = String.raw`-----(?:BEGIN|END)[\s\\]+(?:[A-Z0-9]+[\s\\]+)*PRIVATE[\s\\]+KEY(?:[\s\\]+BLOCK)?-----`;
const PEM_BEGIN = PEM_LABEL.replace('(?:BEGIN|END)', 'BEGIN');
const PEM_END = PEM_LABEL.replace('(?:BEGIN|END)', 'END');
// A key cut short (output budget, `head`, a copy-paste) has no END line: its body is the base64 that follows.
const PEM_BODY_WITHOUT_END = String.raw`(?:(?:\s|\\{1,2}[nr])*(?:[A-Za-z0-9+/=]{4,}|(?:Proc-Type|DEK-Info|Comment):[^\n\\]*))*`;

/** base64 of a PEM block: only a private key's (certificates and public keys in kubeconfigs are not secret). */
function isBase64PrivateKey(groups: Record<string, string | undefined>): boolean {
  const head = Buffer.from((groups['secret'] ?? '').slice(0, 80), 'base64').toString('latin1');
  return !/^-----BEGIN (?:CERTIFICATE|PUBLIC KEY|X509 CRL|CERTIFICATE REQUEST|NEW CERTIFICATE REQUEST|TRUSTED CERTIFICATE|PGP PUBLIC KEY BLOCK|SSH2 PUBLIC KEY|DH PARAMETERS|EC PARAMETERS)/.test(head);
}

/** base64 of a JSON document holding a private key (a GCP service-account key file, base64-encoded into a value). */
function isBase64KeyFile(groups: Record<string, string | undefined>): boolean {
  const decoded = Buffer.from(groups['secret'] ?? '', 'base64').toString('latin1');
  return /PRIVATE KEY|"private_key"/.test(decoded);
}

const AUTH_SCHEMES = 'Bearer|Basic|Token|Digest|ApiKey|Api-Key|SSWS|Splunk|GenieKey|Bot|Negotiate|NTLM|Key|OAuth|JWT|Client-ID|Hawk';

const SHAPED_TOKEN_PATTERNS: ReadonlyArray<TokenPattern> = [
  { name: 'pem-private-key', pattern: new RegExp(`${PEM_BEGIN}(?:[\\s\\S]*?${PEM_END}|${PEM_BODY_WITHOUT_END})`, 'g') },
  { name: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\b/g },
  { name: 'aws-access-key', pattern: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { name: 'github-token', pattern: /\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})\b/g },
  { name: 'gitlab-token', pattern: /\bgl(?:pat|ptt|dt|rt|cbt|soat|ft|imt|agent)-[A-Za-z0-9_-]{20,}/g },
  { name: 'slack-token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g },
  { name: 'slack-webhook', pattern: /(?<pre>https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/)(?<secret>[A-Za-z0-9_/-]+)/g },
  { name: 'discord-webhook', pattern: /(?<pre>https:\/\/(?:ptb\.|canary\.)?discord(?:app)?\.com\/api\/webhooks\/)(?<secret>[0-9]+\/[A-Za-z0-9_-]+)/g },
  // Microsoft Teams incoming webhooks: every path segment after webhookb2/ is part of the credential.
  { name: 'teams-webhook', pattern: /(?<pre>https:\/\/[\w.-]*(?:webhook\.office\.com|outlook\.office(?:365)?\.com)\/webhook(?:b2)?\/)(?<secret>[^\s"'<>]+)/g },
  // PagerDuty Events API v1 URL form: the integration (routing) key is a path segment.
  { name: 'pagerduty-url', pattern: /(?<pre>https:\/\/events\.(?:eu\.)?pagerduty\.com\/(?:integration|x-ere)\/)(?<secret>[A-Za-z0-9_-]{16,})/g },
  // Telegram bot token, alone or in https://api.telegram.org/bot<token>/…
  { name: 'telegram-bot-token', pattern: /(?<![\d:])\d{8,10}:AA[A-Za-z0-9_-]{30,}/g },
  { name: 'stripe-key', pattern: /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b|\bwhsec_[A-Za-z0-9]{16,}\b/g },
  { name: 'openai-style-key', pattern: /\bsk-(proj-|ant-|svcacct-)?[A-Za-z0-9_-]{20,}\b/g },
  // Bounded by what cannot continue a key, not \b: a key ending in '-' or '_' has no word boundary before a blank.
  { name: 'google-api-key', pattern: /(?<![0-9A-Za-z_-])AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g },
  { name: 'npm-token', pattern: /\bnpm_[A-Za-z0-9]{36,}\b/g },
  { name: 'pypi-token', pattern: /\bpypi-[A-Za-z0-9_-]{40,}/g },
  { name: 'sendgrid-key', pattern: /\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}/g },
  { name: 'vault-token', pattern: /\bhv[sbr]\.[A-Za-z0-9_-]{20,}/g },
  { name: 'sonar-token', pattern: /\bsq[pua]_[A-Za-z0-9]{40}\b/g },
  { name: 'huggingface-token', pattern: /\bhf_[A-Za-z0-9]{30,}\b/g },
  { name: 'grafana-token', pattern: /\bglsa_[A-Za-z0-9_]{32,}|\bglc_[A-Za-z0-9+/=_-]{32,}/g },
  { name: 'digitalocean-token', pattern: /\bdo[opr]_v1_[a-f0-9]{64}\b/g },
  { name: 'docker-hub-token', pattern: /\bdckr_pat_[A-Za-z0-9_-]{20,}/g },
  { name: 'shopify-token', pattern: /\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b/g },
  { name: 'age-secret-key', pattern: /\bAGE-SECRET-KEY-1[A-Z0-9]{50,}\b/g },
  { name: 'new-relic-key', pattern: /\bNR(?:AK|AA|II|JS)-[A-Za-z0-9]{20,}\b/g },
  { name: 'mailgun-key', pattern: /\bkey-[0-9a-f]{32}\b/g },
  { name: 'sentry-token', pattern: /\bsntry[su]_[A-Za-z0-9+/=_-]{20,}/g },
  { name: 'databricks-token', pattern: /\bdapi[0-9a-f]{32}(?:-\d)?\b/g },
  { name: 'twilio-api-key', pattern: /\bSK[0-9a-f]{32}\b/g },
  { name: 'postman-key', pattern: /\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}\b/g },
  { name: 'doppler-token', pattern: /\bdp\.(?:st|ct|sa|scim|audit|pt)\.[A-Za-z0-9_-]{20,}/g },
  { name: 'pulumi-token', pattern: /\bpul-[a-f0-9]{40}\b/g },
  { name: 'linear-key', pattern: /\blin_api_[A-Za-z0-9]{32,}\b/g },
  { name: 'atlassian-token', pattern: /\bATATT3[A-Za-z0-9_=-]{40,}/g },
  { name: 'terraform-token', pattern: /\b[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_-]{40,}/g, requires: /\.atlasv1\./ },
  // Password hashes: htpasswd (bcrypt, apr1, {SHA}), crypt(3) in /etc/shadow, argon2/scrypt/pbkdf2 strings.
  // Offline-crackable, so as secret as the password they hash.
  {
    name: 'password-hash',
    pattern: /(?<![\w$])(?:\$(?:2[abxy]?|apr1|1|5|6|7|y|gy|sha1|md5|argon2id?|argon2d|scrypt|pbkdf2(?:-sha\d+)?)\$[^\s"':,;]{8,}|\{(?:S?SHA(?:256|384|512)?|S?MD5|CRYPT|PBKDF2[\w-]*|ARGON2|SSHA512)\}[A-Za-z0-9+/$.=]{16,})/g,
  },
  { name: 'bearer', pattern: /\b(?<pre>(?:Bearer|Basic)\s+)(?<secret>[A-Za-z0-9._~+/=-]{8,})/g },
  // An Authorization header in any line (curl -H, a logged header map): its value after the scheme, whatever the scheme.
  {
    name: 'authorization-header',
    pattern: new RegExp(`(?<pre>\\b(?:Proxy-)?Authorization["']?[ \\t]*[:=][ \\t]*["']?(?:(?:${AUTH_SCHEMES})[ \\t]+)?)(?<secret>(?!\\[REDACTED|realm=)[^\\s"',;}]{6,})`, 'gi'),
    requires: /authorization/i,
  },
  // base64 of "-----BEGIN" (kubeconfig client-key-data, Secret data printed elsewhere): a PEM blob in disguise.
  { name: 'base64-key-file', pattern: /(?<secret>\b(?:ewog|eyJ|ew0K|e30K)[A-Za-z0-9+/]{60,}={0,2})/g, accept: isBase64KeyFile },
  { name: 'base64-pem', pattern: /(?<secret>\bLS0tLS1CRUdJTi[A-Za-z0-9+/=]{20,})/g, accept: isBase64PrivateKey },
];

/**
 * A piece every match of a shape above contains (its vendor prefix, its URL's host or path, its header word): one
 * scan for them all instead of one per shape over every text (issue 38: the rule set is run over a streamed answer's
 * open block at every word, and ordinary prose holds none of them). A shape with a `requires` of its own keeps it
 * (the Terraform token's; the Authorization header's, which is case-insensitive). The pieces are in the shapes' order.
 * A shape added above needs its piece here: mcp-server's redaction-rule-prefilters.test.ts fails until it has an example
 * the shape matches, and then while that example fails this test.
 */
const HAS_VENDOR_MARK = new RegExp(
  [
    '-----BEGIN', 'eyJ|ewog|ew0K|e30K|LS0tLS1CRUdJTi', 'AKIA|ASIA', 'gh[pousr]_|github_pat_', 'gl(?:pat|ptt|dt|rt|cbt|soat|ft|imt|agent)-',
    'xox[abposr]-', 'hooks\\.slack\\.com/', 'discord', '/webhook', 'pagerduty\\.com/', ':AA', '_(?:live|test)_|whsec_', 'sk-', 'AIza',
    'npm_', 'pypi-', 'SG\\.', 'hv[sbr]\\.', 'sq[pua]_', 'hf_', 'glsa_|glc_', 'do[opr]_v1_', 'dckr_pat_', 'shp(?:at|ca|pa|ss)_',
    'AGE-SECRET-KEY-1', 'NR(?:AK|AA|II|JS)-', 'key-', 'sntry[su]_', 'dapi', 'SK[0-9a-f]', 'PMAK-', 'dp\\.', 'pul-', 'lin_api_', 'ATATT3',
    '\\$[0-9a-z-]+\\$|\\{[A-Za-z0-9_-]+\\}', 'Bearer|Basic',
  ].join('|'),
);

export const VENDOR_TOKEN_PATTERNS: ReadonlyArray<TokenPattern> = SHAPED_TOKEN_PATTERNS.map((rule) =>
  rule.requires ? rule : { ...rule, requires: HAS_VENDOR_MARK },
);
