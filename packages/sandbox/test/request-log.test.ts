import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim } from '../src/kube-sim/index.ts';
import { startHarness, type KubectlHarness } from './support/kubectl-harness.ts';

describe('kube-sim request log (sim.calls)', () => {
  let harness: KubectlHarness;
  const viewerToken = 'viewer-token-0f9e8d7c6b5a';

  beforeAll(async () => {
    harness = await startHarness({ workloads: false, users: [{ name: 'viewer', token: viewerToken }] });
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('records what the real kubectl sent: method, path, query, verb, the user it acted as and the status', async () => {
    const before = harness.sim.calls.length;
    await harness.ok(['create', 'configmap', 'settings', '--from-literal=mode=fast']);
    await harness.ok(['get', 'configmap', 'settings', '-o', 'name']);
    expect((await harness.kubectl(['get', 'configmap', 'missing'])).code).not.toBe(0);
    const viewerConfig = `${harness.kubeconfig}-viewer`;
    harness.sim.writeKubeconfig(viewerConfig, { user: 'viewer' });
    expect((await harness.kubectl(['--kubeconfig', viewerConfig, 'delete', 'configmap', 'settings'])).stderr).toMatch(/forbidden/);

    const resourceCalls = harness.sim.calls.slice(before).filter((call) => call.path.includes('/configmaps'));
    expect(resourceCalls.map(({ method, path, verb, user, status }) => ({ method, path, verb, user, status }))).toEqual([
      { method: 'POST', path: '/api/v1/namespaces/default/configmaps', verb: 'create', user: 'kube-sim-admin', status: 201 },
      { method: 'GET', path: '/api/v1/namespaces/default/configmaps/settings', verb: 'get', user: 'kube-sim-admin', status: 200 },
      { method: 'GET', path: '/api/v1/namespaces/default/configmaps/missing', verb: 'get', user: 'kube-sim-admin', status: 404 },
      { method: 'DELETE', path: '/api/v1/namespaces/default/configmaps/settings', verb: 'delete', user: 'viewer', status: 403 },
    ]);
    expect(resourceCalls[0]!.query).toMatchObject({ fieldManager: 'kubectl-create' });
    // in arrival order, numbered
    const sequences = harness.sim.calls.map((call) => call.sequence);
    expect(sequences).toEqual([...sequences].sort((left, right) => left - right));
    // still there: the viewer's delete did nothing
    expect(await harness.ok(['get', 'configmap', 'settings', '-o', 'name'])).toContain('configmap/settings');
  });

  it('never keeps a credential: no token, no header, no body (a Secret\'s data), credential-like query values masked', async () => {
    const before = harness.sim.calls.length;
    await harness.ok(['create', 'secret', 'generic', 'db', '--from-literal=password=hunter2-s3cret']);
    const response = await fetch(`${harness.sim.url}/api/v1/namespaces/default/secrets?access_token=leaked-query-token&limit=5`, {
      headers: { authorization: `Bearer ${harness.sim.adminToken}` },
    });
    expect(response.status).toBe(200);
    const refused = await fetch(`${harness.sim.url}/api/v1/namespaces/default/secrets`, { headers: { authorization: `Bearer ${viewerToken}`, 'impersonate-user': 'viewer' } });
    expect(refused.status).toBe(403);

    const recorded = harness.sim.calls.slice(before);
    expect(recorded.find((call) => call.method === 'POST' && call.path.endsWith('/secrets'))).toMatchObject({ verb: 'create', status: 201 });
    expect(recorded.find((call) => call.query['limit'] === '5')).toMatchObject({ verb: 'list', status: 200, query: { access_token: '[redacted]', limit: '5' } });
    const text = JSON.stringify(harness.sim.calls);
    for (const secret of ['hunter2-s3cret', Buffer.from('hunter2-s3cret').toString('base64'), harness.sim.adminToken, viewerToken, 'leaked-query-token']) {
      expect(text).not.toContain(secret);
    }
  });

  it('is bounded: the oldest entries go first, the numbering keeps counting', async () => {
    const sim = await startKubeSim({ workloads: false, callLogLimit: 3 });
    try {
      for (const name of ['a', 'b', 'c', 'd', 'e']) await fetch(`${sim.url}/api/v1/namespaces/default/configmaps/${name}`);
      expect(sim.calls.map((call) => [call.sequence, call.path.split('/').pop(), call.status])).toEqual([
        [3, 'c', 404],
        [4, 'd', 404],
        [5, 'e', 404],
      ]);
    } finally {
      await sim.close();
    }
  });
});
