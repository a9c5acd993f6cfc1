import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { executorServiceAccountName } from '../../src/executor/index.ts';
import type { RunningExecutor } from '../../src/executor/index.ts';
import { installNamespace, startExecutorHarness, type ExecutorHarness } from './executor-harness.ts';

/*
 * The executor's dry-run proxy (POST /v1/dry-run): the MCP server's read-only identity cannot run the server-side
 * dry-runs its previews need (RBAC authorizes a dry-run like the write), so the executor runs them — only as
 * dry-runs, never on Secrets, never outside its namespaces, never on arbitrary API paths.
 */

let h: ExecutorHarness;
let executor: RunningExecutor;

const patchWeb = (path = '/apis/apps/v1/namespaces/staging/deployments/web', query: Record<string, string> = {}) => ({
  method: 'PATCH',
  path,
  query,
  contentType: 'application/merge-patch+json',
  body: { spec: { replicas: 7 } },
});

beforeAll(async () => {
  h = await startExecutorHarness();
  // The writes a dry-run simulates must be authorized for the executor's identity (RBAC has no dry-run-only verb).
  await h.harness.apply(
    [
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'skyflo-executor-dry-run' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['create', 'update', 'patch', 'delete'] }] },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'skyflo-executor-dry-run' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'skyflo-executor-dry-run' },
        subjects: [{ kind: 'ServiceAccount', name: executorServiceAccountName, namespace: installNamespace }],
      },
    ]
      .map((object) => toYaml(object))
      .join('---\n'),
  );
  await h.kubectl(['create', 'secret', 'generic', 'db', '-n', 'staging', '--from-literal=password=hunter2']);
  executor = await h.startExecutor({ allowedNamespaces: ['staging'] });
});

afterAll(async () => {
  await h?.close();
});

const replicas = (namespace: string) => h.kubectl(['get', 'deployment', 'web', '-n', namespace, '-o', 'jsonpath={.spec.replicas}']);
const patchesOfWeb = () => h.harness.sim.calls.filter((call) => call.method === 'PATCH' && call.path === '/apis/apps/v1/namespaces/staging/deployments/web');

describe('the executor dry-run proxy', () => {
  it('returns the patched object and changes nothing, even when the caller asks for a real write', async () => {
    const before = patchesOfWeb().length;
    const answer = await h.api(executor, 'POST', '/v1/dry-run', patchWeb());
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ kind: 'Deployment', metadata: { name: 'web', namespace: 'staging' }, spec: { replicas: 7 } });
    expect(await replicas('staging')).toBe('2');

    // A caller trying to switch the dry-run off still gets a dry-run.
    const sneaky = await h.api(executor, 'POST', '/v1/dry-run', patchWeb(undefined, { dryRun: '' }));
    expect(sneaky.status).toBe(200);
    expect(await replicas('staging')).toBe('2');
    const sent = patchesOfWeb().slice(before);
    expect(sent).toHaveLength(2);
    for (const call of sent) expect(call).toMatchObject({ query: { dryRun: 'All' }, user: `system:serviceaccount:${installNamespace}:${executorServiceAccountName}`, status: 200 });
  });

  it('passes the API server errors back as its Status object', async () => {
    const missing = await h.api(executor, 'POST', '/v1/dry-run', patchWeb('/apis/apps/v1/namespaces/staging/deployments/nope'));
    expect(missing).toMatchObject({ status: 404, body: { kind: 'Status', reason: 'NotFound', code: 404 } });
  });

  it('never handles Secrets: a dry-run would return their data', async () => {
    const before = h.harness.sim.calls.length;
    const answer = await h.api(executor, 'POST', '/v1/dry-run', { method: 'PATCH', path: '/api/v1/namespaces/staging/secrets/db', contentType: 'application/merge-patch+json', body: { metadata: { labels: { a: 'b' } } } });
    expect(answer).toMatchObject({ status: 403, body: { kind: 'Status', reason: 'Forbidden' } });
    expect(JSON.stringify(answer.body)).not.toContain('aHVudGVyMg');
    expect(h.harness.sim.calls.slice(before).filter((call) => call.path.includes('/secrets'))).toEqual([]);
  });

  it('refuses namespaces outside the executor\'s and cluster-scoped objects', async () => {
    const prod = await h.api(executor, 'POST', '/v1/dry-run', patchWeb('/apis/apps/v1/namespaces/prod/deployments/web'));
    expect(prod).toMatchObject({ status: 403, body: { kind: 'Status', reason: 'Forbidden' } });
    expect(prod.body.message).toBe('this executor handles dry-runs only in namespace(s) staging; namespace "prod" is outside them');
    const clusterScoped = await h.api(executor, 'POST', '/v1/dry-run', { method: 'POST', path: '/apis/rbac.authorization.k8s.io/v1/clusterroles', body: { metadata: { name: 'x' }, rules: [] } });
    expect(clusterScoped.status).toBe(403);
    expect(clusterScoped.body.message).toContain('clusterroles is cluster-scoped');
  });

  it('refuses paths that are not resource paths, and connect subresources', async () => {
    for (const path of ['/version', '/api/v1/namespaces/staging/pods/web/exec', '/apis/apps/v1/namespaces/staging/deployments/../../../../api/v1/namespaces/staging/secrets/db', '/api/v1/namespaces/staging/services/web/proxy/admin', '/api/v1/namespaces/staging/serviceaccounts/default/token']) {
      const answer = await h.api(executor, 'POST', '/v1/dry-run', { method: 'POST', path, body: {} });
      expect([400, 403], path).toContain(answer.status);
      expect(answer.body.kind, path).toBe('Status');
    }
  });

  it('needs the caller token', async () => {
    const before = patchesOfWeb().length;
    const answer = await h.api(executor, 'POST', '/v1/dry-run', patchWeb(), 'not-the-token');
    expect(answer).toMatchObject({ status: 401, body: { code: 'UNAUTHORIZED' } });
    expect(patchesOfWeb().length).toBe(before);
  });
});
