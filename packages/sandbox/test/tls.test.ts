import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type KubeSimHarness } from './support/kube-sim-harness.ts';

let harness: KubeSimHarness;

beforeAll(async () => {
  harness = await startHarness({ tls: true, workloads: false, users: [{ name: 'dana', token: 'dana-token', groups: ['readers'] }] });
});

afterAll(async () => {
  await harness?.close();
});

describe('kube-sim over TLS with bearer tokens', () => {
  it('serves HTTPS with a self-signed certificate and authenticates kubectl by token', async () => {
    expect(harness.sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const namespaces = await harness.kubectl(['get', 'namespaces', '-o', 'name']);
    expect(namespaces.stdout).toContain('namespace/default');
  });

  it('applies RBAC to a configured user kubeconfig and refuses a wrong token', async () => {
    const dana = harness.file('dana.kubeconfig', '');
    harness.sim.writeKubeconfig(dana, { user: 'dana' });
    const denied = await harness.kubectl(['get', 'pods'], { kubeconfig: dana });
    expect(denied.stderr).toContain('pods is forbidden: User "dana" cannot list resource "pods" in API group "" in the namespace "default"');
    await harness.kubectl(['create', 'clusterrolebinding', 'readers-view', '--clusterrole=view', '--group=readers']);
    const allowed = await harness.kubectl(['get', 'pods'], { kubeconfig: dana });
    expect(allowed.stderr).toContain('No resources found in default namespace.');
    expect((await harness.kubectl(['auth', 'can-i', 'delete', 'pods'], { kubeconfig: dana })).stdout.trim()).toBe('no');
    const wrong = harness.file('wrong.kubeconfig', '');
    harness.sim.writeKubeconfig(wrong);
    const text = (await import('node:fs')).readFileSync(wrong, 'utf8').replace(harness.sim.adminToken, 'not-a-token');
    harness.file('wrong.kubeconfig', text);
    const refused = await harness.kubectl(['get', 'pods'], { kubeconfig: wrong });
    expect(refused.stderr).toContain('You must be logged in to the server');
  });

  it('explains unknown kubeconfig users', () => {
    expect(() => harness.sim.writeKubeconfig(harness.file('x', ''), { user: 'nobody' })).toThrow('kube-sim has no user "nobody"; configured users: admin, dana');
  });
});
