/** Jenkins credentials by reference: read from a Kubernetes Secret in kube-sim, never from the model. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJenkinsCredentialResolver } from '../../src/kube/create-jenkins-credential-resolver.ts';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';

let harness: KubeHarness;
beforeAll(async () => {
  harness = await startKubeHarness({ workloads: false });
  const { store, registry } = harness.sim.cluster;
  const secrets = registry.byResource('', 'secrets')!;
  const namespaces = registry.byResource('', 'namespaces')!;
  store.create(namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'skyflo' } });
  const encode = (value: string) => Buffer.from(value).toString('base64');
  store.create(secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'jenkins-cred-0123456789abcdef0123', namespace: 'skyflo' }, data: { url: encode('http://jenkins.local:8080/'), username: encode('ci-bot'), 'api-token': encode('11aa22bb') } });
  store.create(secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'incomplete', namespace: 'skyflo' }, data: { username: encode('ci-bot') } });
});
afterAll(() => harness?.close());

describe('Jenkins credential resolver', () => {
  const resolver = () => createJenkinsCredentialResolver({ kubeConfig: harness.deps.kubeConfig, defaultNamespace: 'skyflo' });

  it('resolves "ns/name" and bare names (default namespace)', async () => {
    // The URL is the integration's, whatever the caller passed.
    const full = await resolver().resolve({ apiUrl: 'http://attacker.example', credentialsRef: 'skyflo/jenkins-cred-0123456789abcdef0123' });
    expect(full).toEqual({ apiUrl: 'http://jenkins.local:8080/', username: 'ci-bot', apiToken: '11aa22bb' });
    const bare = await resolver().resolve({ apiUrl: 'http://jenkins.local', credentialsRef: 'jenkins-cred-0123456789abcdef0123' });
    expect(bare.username).toBe('ci-bot');
  });

  it('explains missing secrets, missing keys and hostile references', async () => {
    await expect(resolver().resolve({ apiUrl: 'x', credentialsRef: 'skyflo/absent' })).rejects.toThrow(/Jenkins integration is not configured/);
    await expect(resolver().resolve({ apiUrl: 'x', credentialsRef: 'skyflo/incomplete' })).rejects.toThrow(/lacks the "username" or "api-token" key/);
    await expect(resolver().resolve({ apiUrl: 'x', credentialsRef: '../../etc/passwd' })).rejects.toThrow(/Invalid credentials_ref/);
    await expect(resolver().resolve({ apiUrl: 'x', credentialsRef: 'kube-system/--token' })).rejects.toThrow(/Invalid/);
  });

  it('refuses Secrets outside the integrations namespace, even when they hold the right keys', async () => {
    const { store, registry } = harness.sim.cluster;
    store.create(registry.byResource('', 'secrets')!, {
      apiVersion: 'v1', kind: 'Secret', metadata: { name: 'deploy-bot', namespace: 'default' },
      data: { username: Buffer.from('deployer').toString('base64'), 'api-token': Buffer.from('prod-token').toString('base64') },
    });
    await expect(resolver().resolve({ apiUrl: 'http://attacker.example', credentialsRef: 'default/deploy-bot' })).rejects.toThrow(/outside the integrations namespace "skyflo"/);
  });
});
