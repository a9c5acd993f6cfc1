/** Redaction on every output path, against kube-sim and the real kubectl: nothing secret leaves the server. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeHarness, eventually, type KubeHarness } from '../support/kube-harness.ts';

let harness: KubeHarness;
const PASSWORD = 'hunter2-very-secret';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlc2lnbmF0dXJl';
const call = (name: string, input: Record<string, unknown>) => harness.call(name, input);

beforeAll(async () => {
  harness = await startKubeHarness();
  const manifest = `apiVersion: v1
kind: Secret
metadata: {name: db-credentials}
stringData: {password: ${PASSWORD}, username: admin-user}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config}
data: {API_TOKEN: ${PASSWORD}, color: blue, settings.env: "MODE=fast\\nSECRET_KEY=${PASSWORD}"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: nginx:1.27
        env:
        - {name: DB_PASSWORD, value: ${PASSWORD}}
        - {name: UPSTREAM_AUTH, value: "Bearer ${JWT}"}
        - {name: LOG_LEVEL, value: debug}
`;
  const applied = await call('k8s_apply', { content: manifest });
  expect(applied.text).not.toContain(PASSWORD);
});
afterAll(() => harness?.close());

function expectClean(text: string): void {
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain(Buffer.from(PASSWORD).toString('base64'));
  expect(text).not.toContain(JWT);
}

describe('redaction through the tools', () => {
  it('Secret via k8s_get yaml and json keeps keys, hides values', async () => {
    const yaml = await call('k8s_get', { resource_type: 'secret', name: 'db-credentials', output: 'yaml' });
    expectClean(yaml.text);
    expect(yaml.text).toMatch(/password: "?\[REDACTED\]"?/);
    expect(yaml.text).not.toContain(Buffer.from('admin-user').toString('base64'));
    const json = await call('k8s_get', { resource_type: 'secrets', output: 'json' });
    expectClean(json.text);
    const secret = JSON.parse(json.text).items.find((item: any) => item.metadata.name === 'db-credentials');
    expect(secret.data).toEqual({ password: '[REDACTED]', username: '[REDACTED]' });
  });

  it('Secret via k8s_describe (real kubectl)', async () => {
    const result = await call('k8s_describe', { resource_type: 'secret', name: 'db-credentials' });
    expect(result.isError).toBeFalsy();
    expectClean(result.text);
    expect(result.text).toMatch(/^Name:\s+db-credentials$/m);
  });

  it('env values and ConfigMap keys in get, describe and diff', async () => {
    const deployment = await call('k8s_get', { resource_type: 'deployment', name: 'api', output: 'yaml' });
    expectClean(deployment.text);
    expect(deployment.text).toContain('value: debug');
    const described = await call('k8s_describe', { resource_type: 'deployment', name: 'api' });
    expectClean(described.text);
    expect(described.text).toMatch(/LOG_LEVEL:\s+debug/);
    const configMap = await call('k8s_get', { resource_type: 'configmap', name: 'app-config', output: 'json' });
    expectClean(configMap.text);
    expect(JSON.parse(configMap.text).data).toMatchObject({ API_TOKEN: '[REDACTED]', color: 'blue' });
    const diff = await call('k8s_diff', { operation: 'set_image', name: 'api', resource_type: 'deployment', container_images: 'api=nginx:1.28' });
    expectClean(diff.text);
    expect(diff.text).toContain('+          image: nginx:1.28');
  });

  it('pods listed with -o yaml carry redacted env', async () => {
    await eventually(async () => {
      const pods = await call('k8s_get', { resource_type: 'pods', label_selector: 'app=api', output: 'yaml' });
      expect(pods.text).toContain('DB_PASSWORD');
      expectClean(pods.text);
    });
  });

  it('tokens printed in logs and exec output', async () => {
    await call('k8s_run_pod', { name: 'leaky', image: 'busybox:1.36', command: `sh -c 'echo Authorization: Bearer ${JWT}; sleep 3600'` });
    await eventually(async () => {
      const exec = await call('k8s_exec', { pod_name: 'leaky', command: `echo token=${JWT}` });
      expect(exec.isError, exec.text).toBeFalsy();
      expect(exec.text).toBe('token=[REDACTED]');
    });
    const env = await call('k8s_exec', { pod_name: 'leaky', command: 'echo DB_PASSWORD=opensesame' });
    expect(env.text).toBe('DB_PASSWORD=[REDACTED]');
    // A run-to-completion pod: the simulated runtime logs what its command prints.
    await call('k8s_apply', {
      content: `apiVersion: v1\nkind: Pod\nmetadata: {name: leaky-once}\nspec:\n  restartPolicy: Never\n  containers:\n  - {name: main, image: busybox:1.36, command: [echo, "Authorization: Bearer ${JWT}"]}\n`,
    });
    await eventually(async () => {
      const logs = await call('k8s_logs', { pod_name: 'leaky-once' });
      expect(logs.text).toMatch(/^Authorization: (Bearer )?\[REDACTED\]$/m);
      expectClean(logs.text);
    });
  });
});
