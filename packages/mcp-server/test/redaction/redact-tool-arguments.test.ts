/**
 * Issue 7 item 5: a Secret manifest proposed by the model was stored in clear in approvals.args, the
 * tool.awaiting_approval event and the timeline. redactToolArguments gives the copy an approval card shows and
 * stores: keys, lengths and a digest prefix for secret values, never the values; everything else unchanged.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { describeSecretValue, redactToolArguments } from '../../src/index.ts';

const described = (value: string) => `[REDACTED len=${value.length} sha256:${createHash('sha256').update(value).digest('hex').slice(0, 8)}]`;

const secretManifest = [
  '# the database credentials',
  'apiVersion: v1',
  'kind: Secret',
  'metadata:',
  '  name: db',
  '  namespace: prod',
  'type: Opaque',
  'data:',
  '  password: aHVudGVyMi1wcm9k   # base64',
  '  username: YWRtaW4=',
  'stringData:',
  '  url: postgres://admin:hunter2-prod@db:5432/app',
  '---',
  'apiVersion: v1',
  'kind: ConfigMap',
  'metadata: {name: settings, namespace: prod}',
  'data:',
  '  LOG_LEVEL: debug',
  '',
].join('\n');

type Row = [label: string, tool: string, args: Record<string, unknown>, hidden: string[], expected: (output: Record<string, unknown>) => void];

const rows: Row[] = [
  [
    'a Secret manifest: keys kept, values described, the other document untouched',
    'k8s_apply',
    { content: secretManifest, namespace: 'prod' },
    ['aHVudGVyMi1wcm9k', 'YWRtaW4=', 'hunter2-prod'],
    (output) => {
      const content = output['content'] as string;
      expect(content).toContain(`  password: "${described('aHVudGVyMi1wcm9k')}"   # base64`);
      expect(content).toContain(`  username: "${described('YWRtaW4=')}"`);
      expect(content).toContain(`  url: "${described('postgres://admin:hunter2-prod@db:5432/app')}"`);
      expect(content).toContain('# the database credentials\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n');
      expect(content.slice(content.indexOf('---'))).toBe(secretManifest.slice(secretManifest.indexOf('---')));
      expect(output['namespace']).toBe('prod');
      // still a valid manifest, with the same keys
      const [secret] = parseAllDocuments(content).map((document) => document.toJSON());
      expect(Object.keys(secret.data)).toEqual(['password', 'username']);
    },
  ],
  [
    'a Secret as JSON stays JSON',
    'k8s_apply',
    { content: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { token: 'tok-123456789' } }) },
    ['tok-123456789'],
    (output) => expect(JSON.parse(output['content'] as string).stringData).toEqual({ token: described('tok-123456789') }),
  ],
  [
    'env values with secret names, in a Deployment',
    'k8s_apply',
    {
      content:
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n    spec:\n      containers:\n      - name: api\n        image: api:1.4.2\n        env:\n        - name: DB_PASSWORD\n          value: s3cret-pass\n        - name: LOG_LEVEL\n          value: info\n        args: ["--api-key", "ak-998877", "--port=8080"]\n',
    },
    ['s3cret-pass', 'ak-998877'],
    (output) => {
      const content = output['content'] as string;
      expect(content).toContain(`        - name: DB_PASSWORD\n          value: "${described('s3cret-pass')}"\n        - name: LOG_LEVEL\n          value: info\n`);
      expect(content).toContain(`args: ["--api-key", "${described('ak-998877')}", "--port=8080"]`);
      expect(content).toContain('image: api:1.4.2');
    },
  ],
  [
    'a config file inside a ConfigMap keeps its block, only the password line changes',
    'k8s_apply',
    { content: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\ndata:\n  app.properties: |\n    db.url=jdbc:postgresql://db/app\n    db.password=Pr0p-Pass\n    pool.size=5\n' },
    ['Pr0p-Pass'],
    (output) => expect(output['content']).toBe(`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\ndata:\n  app.properties: |\n    db.url=jdbc:postgresql://db/app\n    db.password=${described('Pr0p-Pass')}\n    pool.size=5\n`),
  ],
  [
    'helm values with sensitive keys (pwd too)',
    'helm_upgrade',
    { release_name: 'db', chart: 'acme/mysql', values: 'image:\n  tag: "8.4.2"\nauth:\n  rootPassword: r00t-Pw-1\n  pwd: other-Pw-2\n  existingSecret: ""\n', version: '1.2.3' },
    ['r00t-Pw-1', 'other-Pw-2'],
    (output) => {
      expect(output['values']).toBe(`image:\n  tag: "8.4.2"\nauth:\n  rootPassword: "${described('r00t-Pw-1')}"\n  pwd: "${described('other-Pw-2')}"\n  existingSecret: ""\n`);
      expect(output['chart']).toBe('acme/mysql');
      expect(output['version']).toBe('1.2.3');
    },
  ],
  [
    'a strategic patch of a Secret',
    'k8s_patch',
    { name: 'db', resource_type: 'secret', patch: '{"stringData":{"password":"new-Pw-77"}}' },
    ['new-Pw-77'],
    (output) => expect(JSON.parse(output['patch'] as string)).toEqual({ stringData: { password: described('new-Pw-77') } }),
  ],
  [
    'a merge patch of a Secret, keys that do not look sensitive included',
    'k8s_patch',
    { name: 'db', resource_type: 'secrets', patch_type: 'merge', patch: 'data:\n  conn: Y29ubi1zdHJpbmc=\n' },
    ['Y29ubi1zdHJpbmc='],
    (output) => expect(output['patch']).toBe(`data:\n  conn: "${described('Y29ubi1zdHJpbmc=')}"\n`),
  ],
  [
    'a JSON patch of a Secret',
    'k8s_patch',
    { name: 'db', resource_type: 'secret', patch_type: 'json', patch: '[{"op":"replace","path":"/data/password","value":"bmV3LXB3"}]' },
    ['bmV3LXB3'],
    (output) => expect(JSON.parse(output['patch'] as string)).toEqual([{ op: 'replace', path: '/data/password', value: described('bmV3LXB3') }]),
  ],
  [
    'a JSON patch adding a secret env var to a Deployment',
    'k8s_patch',
    { name: 'api', resource_type: 'deployment', patch_type: 'json', patch: '[{"op":"add","path":"/spec/template/spec/containers/0/env/-","value":{"name":"API_TOKEN","value":"tok-patch-1"}}]' },
    ['tok-patch-1'],
    (output) => expect(JSON.parse(output['patch'] as string)[0].value).toEqual({ name: 'API_TOKEN', value: described('tok-patch-1') }),
  ],
  [
    'Jenkins build parameters',
    'jenkins_trigger_build',
    { credentials_ref: 'skyflo/jenkins-integration', jobFullName: 'deploy', parameters: { DB_PASSWORD: 'param-Pw-3', ENV: 'prod', REPLICAS: 3 } },
    ['param-Pw-3'],
    (output) => {
      expect(output['parameters']).toEqual({ DB_PASSWORD: described('param-Pw-3'), ENV: 'prod', REPLICAS: 3 });
      expect(output['credentials_ref']).toBe('skyflo/jenkins-integration');
    },
  ],
  [
    'a command line with a password flag',
    'k8s_exec',
    { pod_name: 'db-0', command: "sh -c 'mysql -uroot --password=cli-Pw-4 -e \"select 1\"'" },
    ['cli-Pw-4'],
    (output) => expect(output['command']).toBe(`sh -c 'mysql -uroot --password=${described('cli-Pw-4')} -e "select 1"'`),
  ],
  [
    'content that is not YAML still loses its secrets',
    'k8s_apply',
    { content: 'kind: Secret\ndata: {password: "unterminated-Pw-5\n' },
    ['unterminated-Pw-5'],
    (output) => expect(output['content']).toContain('[REDACTED len='),
  ],
];

const unchanged: Array<[label: string, tool: string, args: Record<string, unknown>]> = [
  ['k8s_scale', 'k8s_scale', { name: 'web', resource_type: 'deployment', replicas: 0, namespace: 'prod' }],
  ['a plain ConfigMap', 'k8s_apply', { content: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata:\n  LOG_LEVEL: debug\n  IMAGE: registry.example.com/api@sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae\n' }],
  ['a Secret reference in a Deployment', 'k8s_apply', { content: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n    spec:\n      volumes:\n      - name: tls\n        secret: {secretName: api-tls}\n      containers:\n      - name: api\n        env:\n        - name: DB_PASSWORD\n          valueFrom: {secretKeyRef: {name: db, key: password}}\n' }],
  ['helm values without secrets', 'helm_install_with_values', { release_name: 'web', chart: 'acme/web', values: 'replicaCount: 3\nimage:\n  tag: 1.27.3\nauth:\n  existingSecret: web-auth\n  usePasswordFiles: true\n' }],
  ['a pinned helm upgrade', 'helm_upgrade', { release_name: 'web', chart: 'acme/web', version: '1.0.0', chart_digest: `sha256:${'a'.repeat(64)}` }],
  ['a rollout undo', 'k8s_rollout_undo', { name: 'api', resource_type: 'deployment', to_revision: 3 }],
];

describe('redactToolArguments', () => {
  it.each(rows)('%s', (_label, tool, args, hidden, expected) => {
    const before = structuredClone(args);
    const output = redactToolArguments(tool, args);
    for (const value of hidden) expect(JSON.stringify(output)).not.toContain(value);
    expected(output);
    expect(args).toEqual(before); // a copy; the arguments to execute are untouched
  });

  it.each(unchanged)('leaves %s exactly as it is', (_label, tool, args) => {
    expect(redactToolArguments(tool, args)).toEqual(args);
  });

  it('describes a value by its length and digest prefix; with a key, by an HMAC only the server can compute', () => {
    expect(describeSecretValue('hunter2-prod')).toBe(described('hunter2-prod'));
    expect(describeSecretValue('hunter2-prod')).toMatch(/^\[REDACTED len=12 sha256:[0-9a-f]{8}\]$/);
    const keyed = describeSecretValue('hunter2-prod', { digestKey: 'server-key' });
    expect(keyed).toMatch(/^\[REDACTED len=12 hmac-sha256:[0-9a-f]{8}\]$/);
    expect(keyed).not.toContain(described('hunter2-prod').slice(-9, -1));
    const withKey = redactToolArguments('helm_upgrade', { release_name: 'x', chart: 'a/b', values: 'password: hunter2-prod\n' }, { digestKey: 'server-key' });
    expect(withKey['values']).toBe(`password: "${keyed}"\n`);
  });
});
