import { describe, expect, it } from 'vitest';
import { loadExecutorConfig, pemBlocks } from './executor-main.ts';

const pem = '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAx\n-----END PUBLIC KEY-----';

describe('skyflo executor settings', () => {
  it('reads the environment, with the namespaces list and the keys split into PEM blocks', () => {
    const config = loadExecutorConfig([], { SKYFLO_EXECUTOR_NAMESPACE: 'skyflo', SKYFLO_EXECUTOR_NAMESPACES: 'staging, qa', SKYFLO_ENGINE_PUBLIC_KEYS: `${pem}\n${pem}`, SKYFLO_EXECUTOR_TOKEN: 't' });
    expect(config).toMatchObject({ namespace: 'skyflo', allowedNamespaces: ['staging', 'qa'], enginePublicKeys: [pem, pem], callerToken: 't', port: 8443, host: '127.0.0.1' });
    expect(pemBlocks('nothing here')).toEqual([]);
  });

  it('names every problem together', () => {
    expect(() => loadExecutorConfig(['--port', 'x'], { SKYFLO_EXECUTOR_TLS_CERT_FILE: '/c' })).toThrow(
      [
        'the install namespace is missing: set --namespace or SKYFLO_EXECUTOR_NAMESPACE',
        "the engine's public key is missing: set SKYFLO_ENGINE_PUBLIC_KEYS (PEM) or SKYFLO_ENGINE_PUBLIC_KEYS_FILE (--engine-public-keys-file); without it no approval can be verified",
        'the caller token is missing: set SKYFLO_EXECUTOR_TOKEN or SKYFLO_EXECUTOR_TOKEN_FILE (--token-file), the bearer the engine presents',
        'TLS needs both SKYFLO_EXECUTOR_TLS_CERT_FILE and SKYFLO_EXECUTOR_TLS_KEY_FILE (--tls-cert-file, --tls-key-file)',
        'PORT (--port) must be a number between 0 and 65535, got "x"',
      ].join('\n'),
    );
  });

  it('reads each caller its own token, and refuses two callers sharing one', () => {
    const base = { SKYFLO_EXECUTOR_NAMESPACE: 'skyflo', SKYFLO_ENGINE_PUBLIC_KEYS: pem, SKYFLO_EXECUTOR_TOKEN: 'engine' };
    expect(loadExecutorConfig([], { ...base, SKYFLO_DRY_RUN_TOKEN: 'mcp', SKYFLO_EXECUTOR_ADMISSION_TOKEN: 'api-server' })).toMatchObject({ callerToken: 'engine', dryRunToken: 'mcp', admissionToken: 'api-server' });
    const none = loadExecutorConfig([], base);
    expect(none).not.toHaveProperty('helmPath');
    expect(loadExecutorConfig(['--helm-path', '/opt/helm'], base)).toMatchObject({ helmPath: '/opt/helm' });
    expect(loadExecutorConfig([], { ...base, SKYFLO_EXECUTOR_HELM_PATH: '/usr/local/bin/helm' })).toMatchObject({ helmPath: '/usr/local/bin/helm' });
    expect(none).not.toHaveProperty('dryRunToken');
    expect(none).not.toHaveProperty('admissionToken');
    expect(() => loadExecutorConfig([], { ...base, SKYFLO_DRY_RUN_TOKEN: 'engine' })).toThrow('SKYFLO_EXECUTOR_TOKEN and SKYFLO_DRY_RUN_TOKEN are the same token; each caller needs its own');
    expect(() => loadExecutorConfig(['--dry-run-token-file', '/nonexistent/dry-run'], base)).toThrow('--dry-run-token-file: cannot read /nonexistent/dry-run');
  });

  it('reads the labels SkyfloPolicy expressions see as cluster.labels, and refuses a malformed value (issue 76)', () => {
    const base = { SKYFLO_EXECUTOR_NAMESPACE: 'skyflo', SKYFLO_ENGINE_PUBLIC_KEYS: pem, SKYFLO_EXECUTOR_TOKEN: 'engine' };
    expect(loadExecutorConfig([], { ...base, SKYFLO_EXECUTOR_CLUSTER_LABELS: '{"env":"prod","tier":"1"}' })).toMatchObject({ clusterLabels: { env: 'prod', tier: '1' } });
    expect(loadExecutorConfig([], base)).not.toHaveProperty('clusterLabels');
    expect(() => loadExecutorConfig([], { ...base, SKYFLO_EXECUTOR_CLUSTER_LABELS: 'env=prod' })).toThrow('SKYFLO_EXECUTOR_CLUSTER_LABELS must be a JSON object of strings, e.g. {"env":"prod"}, got "env=prod"');
  });

  it('reads who holds each role in this cluster, and refuses an unknown role or a malformed value (issue 76)', () => {
    const base = { SKYFLO_EXECUTOR_NAMESPACE: 'skyflo', SKYFLO_ENGINE_PUBLIC_KEYS: pem, SKYFLO_EXECUTOR_TOKEN: 'engine' };
    expect(loadExecutorConfig([], { ...base, SKYFLO_EXECUTOR_ROLE_MEMBERS: '{"admin":["zoe@example.com"],"approver":["user-bob"]}' })).toMatchObject({ roleMembers: { admin: ['zoe@example.com'], approver: ['user-bob'] } });
    expect(loadExecutorConfig([], base)).not.toHaveProperty('roleMembers');
    for (const bad of ['{"owner":["zoe@example.com"]}', '{"admin":"zoe@example.com"}', 'admin=zoe']) {
      expect(() => loadExecutorConfig([], { ...base, SKYFLO_EXECUTOR_ROLE_MEMBERS: bad })).toThrow(`SKYFLO_EXECUTOR_ROLE_MEMBERS must be a JSON object of the roles approver and admin, each a list of emails or user ids, e.g. {"admin":["zoe@example.com"]}, got ${JSON.stringify(bad)}`);
    }
  });
});
