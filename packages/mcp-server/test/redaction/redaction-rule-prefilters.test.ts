/**
 * Issue 38: a token rule with a `requires` test is not run over a text that fails it (the rule set is run over a
 * streamed answer's open block at every word). That is only safe while `requires` is a necessary condition: every
 * text the rule matches passes it. Checked here on every planted secret and kept value of the redaction corpus, in
 * the forms the rules meet them (a KEY=value line, a YAML and a JSON pair, a command line, raw text), and on shapes
 * written for the rules the corpus does not reach.
 */
import { describe, expect, it } from 'vitest';
import { TOKEN_PATTERNS, redactText } from '@skyflo/safety';
import { keepEntries, secretEntries, type Placement } from '../fixtures/redaction-corpus.ts';

function textsOf(placement: Placement): string[] {
  if (placement.kind === 'pair') return [`${placement.key}=${placement.value}`, `${placement.key}: ${placement.value}`, `{"${placement.key}": "${placement.value}"}`];
  if (placement.kind === 'args') return [placement.args.join(' ')];
  return [placement.text];
}

/** Shapes of the rules with a `requires` that the corpus holds no example of (keytool's two passwords on one line: the second leaked before). */
const writtenShapes = [
  'run: mysql -h db -uroot -pS3cr3tPw app',
  'docker login -u ci -p D0ckerPw-81 registry.example.com',
  'helm registry login ghcr.io -p HelmRegPw-4 -u bot',
  'redis-cli -h cache -a R3disPw-22 ping',
  'sshpass -p SshPw-77 ssh deploy@host',
  'ldapsearch -x -D cn=admin -w LdapPw-55 -b dc=example',
  'sqlcmd -S db -U sa -P SqlPw-33',
  'mongosh --host db -u app -p MongoPw-12',
  'az login -u ops@example.com -p AzPw-90',
  'zip -P ZipPw-44 backup.zip dump.sql',
  'keytool -importkeystore -srcstorepass KeyPw-11 -deststorepass KeyPw-12',
  '`htpasswd -bc /etc/nginx/.htpasswd admin HtPw-66`',
  'token: abcdefghijklmn.atlasv1.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345',
  'connect with postgres://app:PgUrlPw-1@db:5432/app',
  'clone https://ghp0123456789abcdefghijKLMN@github.com/org/repo',
  '<db.password>XmlPw-5</db.password>',
  'Using password UsingPw-7 for the admin account',
  'with the api key ApiKeyPw-8',
  'The password is IsPw-9 and the token was TokPw-10.',
  'secret: SecretValue-11',
  './deploy --db-password=FlagPw-12 --token FlagTok-13',
  // vendor shapes (one requires test for them all: token-vendors.ts HAS_VENDOR_MARK)
  'SONAR_LOGIN sqp_0123456789abcdefghijABCDEFGHIJ0123456789 for the scanner',
  'twilio key SK0123456789abcdef0123456789abcdef in use',
  'postman PMAK-0123456789abcdef01234567-0123456789abcdef0123456789abcdef01 rotated',
  'doppler dp.st.prd_0123456789ABCDEFGHIJ set',
  'pulumi pul-0123456789abcdef0123456789abcdef01234567 logged in',
  'linear lin_api_0123456789ABCDEFGHIJ0123456789abcdef works',
  'jira ATATT3xFfGF0123456789abcdefghijABCDEFGHIJ0123456789 expires',
];

const texts = [...[...secretEntries, ...keepEntries].flatMap((entry) => textsOf(entry.placement)), ...writtenShapes];
const withRequires = TOKEN_PATTERNS.filter((rule) => rule.requires);

describe('token rules skipped by their requires test', () => {
  it('cover the costly rules, and no requires test keeps a position (global or sticky)', () => {
    expect(withRequires.map((rule) => rule.name)).toEqual(expect.arrayContaining(['inline-pair', 'phrase-is', 'phrase-using', 'cli-mysql-p', 'cli-htpasswd-batch', 'terraform-token', 'url-password', 'jwt', 'pem-private-key', 'bearer', 'json-pair', 'url-query-secret']));
    for (const rule of withRequires) expect(`${rule.name}: ${rule.requires!.flags}`).not.toMatch(/: .*[gy]/);
  });

  it('every text a rule matches passes its requires test, and every such rule matches some text here', () => {
    const matched = new Map<string, number>();
    const missed: string[] = [];
    for (const rule of withRequires) {
      for (const text of texts) {
        rule.pattern.lastIndex = 0;
        if (!rule.pattern.test(text)) continue;
        matched.set(rule.name, (matched.get(rule.name) ?? 0) + 1);
        if (!rule.requires!.test(text)) missed.push(`${rule.name} matches ${JSON.stringify(text.slice(0, 80))} but its requires test fails`);
      }
      rule.pattern.lastIndex = 0;
    }
    expect(missed).toEqual([]);
    expect(withRequires.filter((rule) => !matched.has(rule.name)).map((rule) => rule.name)).toEqual([]);
  });

  it('the written shapes are still redacted whole', () => {
    const leaks = writtenShapes.map((text) => redactText(text)).filter((redacted) => /Pw-\d|Tok-13|SecretValue|atlasv1\.abc|ghp0123|IsPw|UsingPw|0123456789/.test(redacted));
    expect(leaks).toEqual([]);
  });
});
