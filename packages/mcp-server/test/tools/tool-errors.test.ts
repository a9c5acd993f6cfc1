/** Failures a user meets, as the model sees them: what happened and what to try, never a stack trace. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';

let harness: KubeHarness;
let viewerKubeconfig: string;
beforeAll(async () => {
  harness = await startKubeHarness({ workloads: false, users: [{ name: 'nobody', token: 'nobody-token' }] });
  viewerKubeconfig = path.join(harness.directory, 'nobody-kubeconfig');
  harness.sim.writeKubeconfig(viewerKubeconfig, { user: 'nobody' });
});
afterAll(() => harness?.close());

const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('tool errors', () => {
  it('RBAC forbidden names the permission problem', async () => {
    const deps = harness.depsWith({ kubeconfigPath: viewerKubeconfig });
    const result = await harness.call('k8s_get', { resource_type: 'secrets', namespace: 'default', output: 'name' }, deps);
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/forbidden[\s\S]*HTTP 403[\s\S]*Try: .*RBAC/i);
    expect(result.structured).toMatchObject({ error: { code: 'FORBIDDEN' } });
    noStack(result.text);
  });

  it('a missing namespace is reported as such', async () => {
    const byName = await harness.call('k8s_get', { resource_type: 'configmap', name: 'anything', namespace: 'no-such-ns' });
    expect(byName.isError).toBe(true);
    expect(byName.text).toMatch(/not found/);
    const describe = await harness.call('k8s_describe', { resource_type: 'configmap', name: 'anything', namespace: 'no-such-ns' });
    expect(describe.isError).toBe(true);
    noStack(describe.text);
  });

  it('a rollout that does not finish in time says so', async () => {
    const { store, registry } = harness.sim.cluster;
    store.create(registry.byResource('apps', 'deployments')!, {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'stuck', namespace: 'default' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'stuck' } }, template: { metadata: { labels: { app: 'stuck' } }, spec: { containers: [{ name: 'main', image: 'nginx' }] } } },
    });
    const result = await harness.call('k8s_rollout_status', { name: 'stuck', timeout_seconds: 1 });
    expect(result.text).toMatch(/Rollout still in progress after 1s\.$/);
    expect(result.structured).toMatchObject({ done: false });
  });

  it('a missing kubectl binary is a clear error', async () => {
    const deps = harness.depsWith({ kubectlPath: '/nonexistent/kubectl' });
    // PodDisruptionBudgets are not rendered natively, so describing one runs the kubectl binary.
    const result = await harness.call('k8s_describe', { resource_type: 'poddisruptionbudgets', name: 'anything' }, deps);
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/The \/nonexistent\/kubectl binary is not available[\s\S]*Try: install it/);
    expect(result.structured).toMatchObject({ error: { code: 'MISSING_BINARY' } });
  });

  it('an unknown tool argument shape is refused before anything runs', async () => {
    const result = await harness.call('k8s_get', { resource_type: 'pods', output: 'table' });
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/Invalid arguments for k8s_get: output/);
  });
});
