import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { REDACTED, redactObject, redactText } from '@skyflo/safety';

const secret = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: {
    name: 'db',
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ kind: 'Secret', data: { password: 'aHVudGVyMg==' } }) },
  },
  data: { password: 'aHVudGVyMg==', username: 'YWRtaW4=' },
  stringData: { url: 'postgres://admin:hunter2@db:5432/app' },
};
const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlc2lnbmF0dXJl';

describe('redaction', () => {
  it('replaces Secret data and stringData values but keeps the keys', () => {
    const redacted = redactObject(secret);
    expect(redacted.data).toEqual({ password: REDACTED, username: REDACTED });
    expect(redacted.stringData).toEqual({ url: REDACTED });
    expect(JSON.stringify(redacted)).not.toContain('aHVudGVyMg==');
    expect(secret.data.password).toBe('aHVudGVyMg=='); // input untouched
  });

  it('redacts a Secret rendered as YAML text and as JSON text', () => {
    const yamlText = redactText(`---\n${stringify(secret)}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  color: blue\n`);
    expect(yamlText).not.toContain('aHVudGVyMg==');
    expect(yamlText).not.toContain('YWRtaW4=');
    expect(yamlText).toContain('password: [REDACTED]');
    expect(yamlText).toContain('color: blue');
    const jsonText = redactText(JSON.stringify(secret));
    expect(jsonText).not.toContain('aHVudGVyMg==');
    expect(JSON.parse(jsonText).data.username).toBe(REDACTED);
  });

  it('redacts sensitive env values and token-shaped values in pod specs, leaving ordinary ones', () => {
    const pod = {
      kind: 'Pod',
      spec: {
        containers: [
          {
            name: 'app',
            env: [
              { name: 'DB_PASSWORD', value: 'hunter2' },
              { name: 'GITHUB', value: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789' },
              { name: 'LOG_LEVEL', value: 'debug' },
              { name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
            ],
          },
        ],
      },
    };
    const env = redactObject(pod).spec.containers[0].env;
    expect(env[0].value).toBe(REDACTED);
    expect(env[1].value).toBe(REDACTED);
    expect(env[2].value).toBe('debug');
    expect(env[3].valueFrom?.secretKeyRef.name).toBe('db');
  });

  it('redacts ConfigMap keys whose names look sensitive', () => {
    const configMap = redactObject({ kind: 'ConfigMap', data: { API_KEY: 'abc123', 'app.properties': 'token=xyz\nmode=fast', color: 'red' } });
    expect(configMap.data.API_KEY).toBe(REDACTED);
    expect(configMap.data['app.properties']).toBe(`token=${REDACTED}\nmode=fast`);
    expect(configMap.data.color).toBe('red');
  });

  it('redacts tokens in logs and KEY=value lines', () => {
    const log = [
      '2026-01-01 starting',
      `Authorization: Bearer ${jwt}`,
      'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'connecting to postgres://app:s3cr3t@db:5432/app',
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----',
      'key AKIAIOSFODNN7EXAMPLE used',
      'request done in 3ms',
    ].join('\n');
    const redacted = redactText(log);
    for (const leaked of [jwt, 'wJalrXUtnFEMI', 's3cr3t', 'MIIEow', 'AKIAIOSFODNN7EXAMPLE']) expect(redacted).not.toContain(leaked);
    expect(redacted).toContain('2026-01-01 starting');
    expect(redacted).toContain('request done in 3ms');
    expect(redacted).toContain('postgres://app:[REDACTED]@db');
  });

  it('redacts kubeconfig credentials printed as text', () => {
    const keyData = Buffer.from('-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----').toString('base64');
    const kubeconfig = `users:\n- name: admin\n  user:\n    client-key-data: ${keyData}\n    token: abc123def456\n`;
    const redacted = redactText(kubeconfig);
    expect(redacted).not.toContain(keyData.slice(0, 40));
    expect(redacted).not.toContain('abc123def456');
    expect(redacted).toContain('- name: admin');
  });

  it('keeps references that only mention secrets', () => {
    const text = redactText('volumes:\n- name: certs\n  secret:\n    secretName: tls-cert\n');
    expect(text).toContain('secretName: tls-cert');
  });
});
