import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { executorServiceAccountName } from '../../src/executor/index.ts';
import type { RunningExecutor } from '../../src/executor/index.ts';
import { callerToken, dryRunToken, installNamespace, startExecutorHarness, type ExecutorHarness } from './executor-harness.ts';

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
  await h.kubectl(['create', 'secret', 'generic', 'db', '-n', 'prod', '--from-literal=password=prod-hunter3']);
  executor = await h.startExecutor({ allowedNamespaces: ['staging'] });
});

afterAll(async () => {
  await h?.close();
});

/** POST /v1/dry-run with the MCP server's dry-run token (or `token`). */
const dryRun = (body: unknown, token = dryRunToken) => h.api(executor, 'POST', '/v1/dry-run', body, token);
const replicas = (namespace: string) => h.kubectl(['get', 'deployment', 'web', '-n', namespace, '-o', 'jsonpath={.spec.replicas}']);
const patchesOfWeb = () => h.harness.sim.calls.filter((call) => call.method === 'PATCH' && call.path === '/apis/apps/v1/namespaces/staging/deployments/web');

describe('the executor dry-run proxy', () => {
  it('returns the patched object and changes nothing, even when the caller asks for a real write', async () => {
    const before = patchesOfWeb().length;
    const answer = await dryRun(patchWeb());
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ kind: 'Deployment', metadata: { name: 'web', namespace: 'staging' }, spec: { replicas: 7 } });
    expect(await replicas('staging')).toBe('2');

    // A caller trying to switch the dry-run off still gets a dry-run.
    const sneaky = await dryRun(patchWeb(undefined, { dryRun: '' }));
    expect(sneaky.status).toBe(200);
    expect(await replicas('staging')).toBe('2');
    const sent = patchesOfWeb().slice(before);
    expect(sent).toHaveLength(2);
    for (const call of sent) expect(call).toMatchObject({ query: { dryRun: 'All' }, user: `system:serviceaccount:${installNamespace}:${executorServiceAccountName}`, status: 200 });
  });

  it('passes the API server errors back as its Status object', async () => {
    const missing = await dryRun(patchWeb('/apis/apps/v1/namespaces/staging/deployments/nope'));
    expect(missing).toMatchObject({ status: 404, body: { kind: 'Status', reason: 'NotFound', code: 404 } });
  });

  it('never handles Secrets: a dry-run would return their data', async () => {
    const before = h.harness.sim.calls.length;
    const answer = await dryRun({ method: 'PATCH', path: '/api/v1/namespaces/staging/secrets/db', contentType: 'application/merge-patch+json', body: { metadata: { labels: { a: 'b' } } } });
    expect(answer).toMatchObject({ status: 403, body: { kind: 'Status', reason: 'Forbidden' } });
    expect(JSON.stringify(answer.body)).not.toContain('aHVudGVyMg');
    expect(h.harness.sim.calls.slice(before).filter((call) => call.path.includes('/secrets'))).toEqual([]);
  });

  it('refuses namespaces outside the executor\'s and cluster-scoped objects', async () => {
    const prod = await dryRun(patchWeb('/apis/apps/v1/namespaces/prod/deployments/web'));
    expect(prod).toMatchObject({ status: 403, body: { kind: 'Status', reason: 'Forbidden' } });
    expect(prod.body.message).toBe('this executor handles dry-runs only in namespace(s) staging; namespace "prod" is outside them');
    const clusterScoped = await dryRun({ method: 'POST', path: '/apis/rbac.authorization.k8s.io/v1/clusterroles', body: { metadata: { name: 'x' }, rules: [] } });
    expect(clusterScoped.status).toBe(403);
    expect(clusterScoped.body.message).toContain('clusterroles is cluster-scoped');
  });

  it('refuses paths that are not resource paths, and connect subresources', async () => {
    for (const path of ['/version', '/api/v1/namespaces/staging/pods/web/exec', '/apis/apps/v1/namespaces/staging/deployments/../../../../api/v1/namespaces/staging/secrets/db', '/api/v1/namespaces/staging/services/web/proxy/admin', '/api/v1/namespaces/staging/serviceaccounts/default/token']) {
      const answer = await dryRun({ method: 'POST', path, body: {} });
      expect([400, 403], path).toContain(answer.status);
      expect(answer.body.kind, path).toBe('Status');
    }
  });

  it("needs the MCP server's dry-run token: no token, an unknown one and the engine's are refused", async () => {
    const before = patchesOfWeb().length;
    expect(await dryRun(patchWeb(), 'not-the-token')).toMatchObject({ status: 401, body: { code: 'UNAUTHORIZED' } });
    // least privilege: the engine never previews, so its token does not open the dry-run proxy
    expect(await dryRun(patchWeb(), callerToken)).toMatchObject({ status: 403, body: { code: 'UNAUTHORIZED', message: 'the engine token does not open this endpoint; it needs SKYFLO_DRY_RUN_TOKEN' } });
    expect(patchesOfWeb().length).toBe(before);
  });
});

/*
 * Issue 73: the path was checked as a string and then handed to URL parsing, which reads a backslash as a slash and
 * resolves dot segments: `configmaps/x\\..\\..\\secrets\\db` passed the checks as a configmap name and was sent as
 * `.../secrets/db`, answering the whole Secret (and the same trick passed the subresource and namespace checks).
 * Every spelling below must be refused before anything reaches the API server.
 */
const pathTricks: Array<[string, string]> = [
  ['backslashes and dot segments into a Secret', '/api/v1/namespaces/staging/configmaps/x\\..\\..\\secrets\\db'],
  ['backslashes and slashes mixed', '/api/v1/namespaces/staging/configmaps/x\\..\\../secrets/db'],
  ['backslashes in the resource segment', '/api/v1/namespaces/staging/configmaps\\..\\secrets\\db'],
  ['plain dot-dot segments', '/api/v1/namespaces/staging/configmaps/x/../../secrets/db'],
  ['a dot-dot name', '/api/v1/namespaces/staging/configmaps/..'],
  ['a single-dot segment', '/api/v1/namespaces/staging/./secrets/db'],
  ['percent-encoded dots', '/api/v1/namespaces/staging/configmaps/%2e%2e/secrets/db'],
  ['percent-encoded dots, mixed case', '/api/v1/namespaces/staging/configmaps/.%2E/%2e./secrets/db'],
  ['percent-encoded slashes', '/api/v1/namespaces/staging/configmaps/x%2f..%2f..%2fsecrets%2fdb'],
  ['percent-encoded backslashes', '/api/v1/namespaces/staging/configmaps/x%5c..%5c..%5csecrets%5cdb'],
  ['double percent-encoding', '/api/v1/namespaces/staging/configmaps/%252e%252e/secrets/db'],
  ['an empty segment', '/api/v1/namespaces/staging//secrets/db'],
  ['a protocol-relative path (another host)', '//127.0.0.1:1/api/v1/namespaces/staging/configmaps/x'],
  ['fullwidth unicode dots', '/api/v1/namespaces/staging/configmaps/x\\\uff0e\uff0e\\\uff0e\uff0e\\secrets\\db'],
  ['one-dot-leader unicode dots', '/api/v1/namespaces/staging/configmaps/\u2024\u2024/secrets/db'],
  ['a trailing slash on a Secret', '/api/v1/namespaces/staging/secrets/db/'],
  ['a trailing slash on a name', '/api/v1/namespaces/staging/configmaps/x/'],
  ['a query in the path', '/api/v1/namespaces/staging/configmaps/x?dryRun=None'],
  ['a fragment hiding dot segments', '/api/v1/namespaces/staging/configmaps/x#/../../secrets/db'],
  ['a tab the URL parser drops', '/api/v1/namespaces/staging/configmaps/x\t\\..\\..\\secrets\\db'],
  ['the Secret directly', '/api/v1/namespaces/staging/secrets/db'],
  ['a Secret subresource', '/api/v1/namespaces/staging/secrets/db/status'],
  ['a ServiceAccount token through a backslash trick', '/api/v1/namespaces/staging/configmaps/x\\..\\..\\serviceaccounts\\default\\token'],
  ['pods/exec through a backslash trick', '/api/v1/namespaces/staging/configmaps/x\\..\\..\\pods\\web\\exec'],
  ['another namespace through a backslash trick', '/apis/apps/v1/namespaces/staging/deployments/x\\..\\..\\..\\prod\\deployments\\web'],
  ["another namespace's Secret through a backslash trick", '/api/v1/namespaces/staging/configmaps/x\\..\\..\\..\\..\\..\\api\\v1\\namespaces\\prod\\secrets\\db'],
  ['upper case', '/API/v1/namespaces/staging/Secrets/db'],
];

describe('the dry-run proxy path router (issue 73)', () => {
  it.each(pathTricks)('refuses %s, and nothing reaches the API server', async (_name, path) => {
    const before = h.harness.sim.calls.length;
    const answer = await dryRun({ method: 'PATCH', path, contentType: 'application/merge-patch+json', body: { metadata: { labels: { a: 'b' } } } });
    expect([400, 403], JSON.stringify(answer.body)).toContain(answer.status);
    expect(answer.body).toMatchObject({ kind: 'Status', status: 'Failure' });
    const text = JSON.stringify(answer.body);
    for (const secret of ['hunter2', 'aHVudGVyMg', 'prod-hunter3', Buffer.from('prod-hunter3').toString('base64')]) expect(text).not.toContain(secret);
    expect(h.harness.sim.calls.slice(before).filter((call) => call.user?.endsWith(`:${executorServiceAccountName}`) && call.method !== 'GET')).toEqual([]);
  });

  it('has a table of at least 20 spellings', () => {
    expect(pathTricks.length).toBeGreaterThanOrEqual(20);
  });

  it('refuses query parameters a write does not take, and forwards only the parsed path', async () => {
    const before = patchesOfWeb().length;
    const sneaky = await dryRun(patchWeb(undefined, { fieldManager: 'skyflo&dryRun=None' }));
    expect(sneaky).toMatchObject({ status: 400, body: { kind: 'Status', reason: 'BadRequest' } });
    const unknown = await dryRun(patchWeb(undefined, { watch: 'true' }));
    expect(unknown.status).toBe(400);
    expect(patchesOfWeb().length).toBe(before);
  });

  it('never returns data of anything Secret-shaped, even from a resource the router lets through', async () => {
    // A custom resource of kind Secret in another group: not the core Secret the router refuses, and still stripped.
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'secrets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'secrets', singular: 'secret', kind: 'Secret', listKind: 'SecretList' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    };
    await h.harness.apply(toYaml(crd));
    await h.harness.apply(toYaml({ apiVersion: 'example.com/v1', kind: 'Secret', metadata: { name: 'lookalike', namespace: 'staging' }, data: { password: 'aHVudGVyMg==' }, stringData: { password: 'hunter2' } }));
    const answer = await dryRun({ method: 'PATCH', path: '/apis/example.com/v1/namespaces/staging/secrets/lookalike', contentType: 'application/merge-patch+json', body: { metadata: { labels: { a: 'b' } } } });
    expect(answer).toMatchObject({ status: 200, body: { kind: 'Secret', apiVersion: 'example.com/v1', metadata: { name: 'lookalike', labels: { a: 'b' } } } });
    expect(answer.body).not.toHaveProperty('data');
    expect(answer.body).not.toHaveProperty('stringData');
    expect(JSON.stringify(answer.body)).not.toMatch(/hunter2|aHVudGVyMg/);
  });
});
