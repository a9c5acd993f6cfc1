/**
 * No tool can export cluster credentials (issue 3): a kubeconfig kept in a Secret or a ConfigMap, and a
 * service-account token printed inside a pod, come out redacted through get (yaml/json), describe and exec,
 * with the real kubectl against kube-sim. (kube-sim's exec has no token file content, so the pod prints a
 * token-shaped JWT the way `cat …/serviceaccount/token` would.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';

let harness: KubeHarness;
const CLIENT_KEY = 'LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFb3dJQkFBS0NBUUVBdHcKLS0tLS1FTkQgUlNBIFBSSVZBVEUgS0VZLS0tLS0K';
const USER_TOKEN = 'kubeconfig-user-token-0123456789abcdef';
const SA_TOKEN = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IkFCQyJ9.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50In0.c2lnbmF0dXJlc2lnbmF0dXJlc2ln';
const kubeconfig = [
  'apiVersion: v1',
  'kind: Config',
  'clusters: [{name: prod, cluster: {server: "https://10.0.0.1:6443"}}]',
  'users:',
  '- name: admin',
  '  user:',
  `    client-key-data: ${CLIENT_KEY}`,
  `    token: ${USER_TOKEN}`,
  '',
].join('\n');
const call = (name: string, input: Record<string, unknown>) => harness.call(name, input);

function expectNoCredentials(text: string): void {
  for (const secret of [CLIENT_KEY, USER_TOKEN, SA_TOKEN, Buffer.from(kubeconfig).toString('base64').slice(0, 40)]) expect(text).not.toContain(secret);
}

beforeAll(async () => {
  harness = await startKubeHarness();
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cluster-admin-kubeconfig' }, data: { config: Buffer.from(kubeconfig).toString('base64') } };
  const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ci-kubeconfig' }, data: { kubeconfig } };
  const applied = await call('k8s_apply', { content: `${JSON.stringify(secret)}\n---\n${JSON.stringify(configMap)}\n` });
  expect(applied.isError, applied.text).toBeFalsy();
  expectNoCredentials(applied.text);
});
afterAll(() => harness?.close());

describe('credentials never leave the server', () => {
  it.each(['yaml', 'json'])('a kubeconfig-bearing Secret via k8s_get -o %s', async (output) => {
    const result = await call('k8s_get', { resource_type: 'secret', name: 'cluster-admin-kubeconfig', output });
    expect(result.isError).toBeFalsy();
    expect(result.text).toContain('cluster-admin-kubeconfig');
    expectNoCredentials(result.text);
  });

  it('a kubeconfig in a ConfigMap keeps its shape but not its keys or tokens', async () => {
    const json = await call('k8s_get', { resource_type: 'configmap', name: 'ci-kubeconfig', output: 'json' });
    expectNoCredentials(json.text);
    const stored = JSON.parse(json.text).data.kubeconfig as string;
    expect(stored).toContain('server: "https://10.0.0.1:6443"');
    expect(stored).toMatch(/client-key-data: \[REDACTED\]/);
    const described = await call('k8s_describe', { resource_type: 'configmap', name: 'ci-kubeconfig' });
    expect(described.isError).toBeFalsy();
    expect(described.text).toMatch(/^Name:\s+ci-kubeconfig$/m);
    expectNoCredentials(described.text);
  });

  it('a Secret via k8s_describe shows sizes only', async () => {
    const described = await call('k8s_describe', { resource_type: 'secret', name: 'cluster-admin-kubeconfig' });
    expect(described.text).toMatch(/^config:\s+\d+ bytes$/m);
    expectNoCredentials(described.text);
  });

  it('a service-account token printed by k8s_exec', async () => {
    await call('k8s_run_pod', { name: 'reader', image: 'busybox:1.36', command: "sh -c 'sleep 3600'" });
    await eventually(async () => {
      const result = await call('k8s_exec', { pod_name: 'reader', command: `echo ${SA_TOKEN}` });
      expect(result.isError, result.text).toBeFalsy();
      expect(result.text).toBe('[REDACTED]');
    });
    const listing = await call('k8s_exec', { pod_name: 'reader', command: 'ls /var/run/secrets/kubernetes.io/serviceaccount' });
    expect(listing.text.split('\n')).toEqual(['ca.crt', 'namespace', 'token']);
  });
});
