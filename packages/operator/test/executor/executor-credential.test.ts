import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalWebhookConfiguration, contentHash, type RunningExecutor } from '../../src/executor/index.ts';
import { executorDryRunRules } from '../../src/executor/executor-rbac.ts';
import { installNamespace, startExecutorHarness, type ExecutorHarness } from './executor-harness.ts';

/*
 * One approved scale, end to end against kube-sim and the real kubectl: the executor (holding only an install's
 * rules) mints an account for exactly deployments/web/scale in staging; the write is made by that account; nothing
 * else is possible with its token; content other than the approved dry-run is refused by the API server through the
 * executor's webhook; and after the call the account is gone and its token refused.
 */

let h: ExecutorHarness;
let executor: RunningExecutor;
const account = (name: string) => `system:serviceaccount:${installNamespace}:skyflo-approval-${name}`;

beforeAll(async () => {
  h = await startExecutorHarness();
  // Over HTTPS, as the API server calls admission webhooks.
  executor = await h.startExecutor({ tls: h.tls() });
  expect(executor.webhookUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/v1\/admission$/);
  await h.kubectl(['apply', '-f', '-'], JSON.stringify(approvalWebhookConfiguration({ namespace: installNamespace, url: executor.webhookUrl })));
});

afterAll(async () => {
  await h?.close();
});

/** What the engine's preview does: a server-side dry-run of the change, hashed as admission will hash the write. */
async function dryRunScaleHash(namespace: string, name: string, replicas: number): Promise<string> {
  const scale = JSON.parse(await h.kubectl(['patch', 'deployment', name, '-n', namespace, '--subresource=scale', '--type=merge', '-p', JSON.stringify({ spec: { replicas } }), '--dry-run=server', '-o', 'json']));
  expect(scale.kind).toBe('Scale');
  return contentHash(scale);
}

const replicas = async (namespace: string, name: string) => h.kubectl(['get', 'deployment', name, '-n', namespace, '-o', 'jsonpath={.spec.replicas}']);

describe('a credential per approval', () => {
  it('lets the approved scale through as skyflo-approval-<name>, nothing else, and is gone after the call', async () => {
    // The executor's own identity can write nothing itself.
    const own = await h.kubectlAs(h.executorToken, ['scale', 'deployment', 'web', '-n', 'staging', '--replicas=3']);
    expect(own.stderr).toContain('is forbidden: User "system:serviceaccount:skyflo:skyflo-executor"');
    for (const check of [['create', 'deployments'], ['patch', 'deployments/web'], ['delete', 'pods'], ['get', 'secrets'], ['create', 'configmaps'], ['impersonate', 'users']]) {
      expect((await h.kubectlAs(h.executorToken, ['auth', 'can-i', ...check, '-n', 'staging'])).stdout.trim(), check.join(' ')).toBe('no');
    }

    const hash = await dryRunScaleHash('staging', 'web', 3);
    const document = await h.signed('scale-web-1', [{ apiGroup: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'staging', name: 'web', verbs: ['patch'], contentHash: hash }]);
    expect(await h.api(executor, 'POST', '/v1/approvals', document)).toMatchObject({ status: 201 });
    const minted = await h.api(executor, 'POST', '/v1/approvals/scale-web-1/credential');
    expect(minted.status).toBe(200);
    expect(minted.body.username).toBe(account('scale-web-1'));
    expect(Date.parse(minted.body.expiresAt) - Date.now()).toBeLessThanOrEqual(600_000);
    const token: string = minted.body.token;

    // The account and its Role exist, labelled for a reviewer (and the sweep).
    const role = JSON.parse(await h.kubectl(['get', 'role', 'skyflo-approval-scale-web-1', '-n', 'staging', '-o', 'json']));
    expect(role.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'skyflo-executor', 'skyflo.ai/approval': 'scale-web-1' });
    expect(role.rules).toContainEqual({ apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['get', 'patch'], resourceNames: ['web'] });

    // A different replica count than the approved dry-run: the API server refuses it through the webhook.
    const other = await h.kubectlAs(token, ['scale', 'deployment', 'web', '-n', 'staging', '--replicas=5']);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain('admission webhook "approvals.executor.skyflo.ai" denied the request');
    expect(other.stderr).toContain('differs from the dry-run approved in SkyfloApproval "scale-web-1"');
    expect(await replicas('staging', 'web')).toBe('2');

    // The approved change goes through, written by the approval's own account.
    const scaled = await h.kubectlAs(token, ['scale', 'deployment', 'web', '-n', 'staging', '--replicas=3']);
    expect(scaled.stderr).toBe('');
    expect(await replicas('staging', 'web')).toBe('3');
    const writes = h.harness.sim.calls.filter((call) => call.method === 'PATCH' && call.path === '/apis/apps/v1/namespaces/staging/deployments/web/scale' && !call.query.dryRun);
    expect(writes.map((call) => [call.user, call.status])).toEqual([
      [account('scale-web-1'), 403],
      [account('scale-web-1'), 200],
    ]);

    // Another object, another verb, another namespace: RBAC refuses (403).
    const otherDeployment = await h.kubectlAs(token, ['scale', 'deployment', 'api', '-n', 'staging', '--replicas=3']);
    expect(otherDeployment.stderr).toContain(`deployments.apps "api" is forbidden: User "${account('scale-web-1')}"`);
    const otherVerb = await h.kubectlAs(token, ['delete', 'deployment', 'web', '-n', 'staging']);
    expect(otherVerb.stderr).toContain(`deployments.apps "web" is forbidden: User "${account('scale-web-1')}" cannot delete resource "deployments"`);
    const mainResource = await h.kubectlAs(token, ['set', 'image', 'deployment/web', 'nginx=nginx:2', '-n', 'staging']);
    expect(mainResource.stderr).toContain('cannot patch resource "deployments"');
    const otherNamespace = await h.kubectlAs(token, ['scale', 'deployment', 'web', '-n', 'prod', '--replicas=3']);
    expect(otherNamespace.stderr).toContain(`deployments.apps "web" is forbidden: User "${account('scale-web-1')}" cannot get resource "deployments" in API group "apps" in the namespace "prod"`);
    expect(await replicas('staging', 'api')).toBe('2');
    expect(await replicas('prod', 'web')).toBe('2');
    const statuses = h.harness.sim.calls.filter((call) => call.user === account('scale-web-1') && call.method !== 'GET').map((call) => call.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);

    // The call ends: the engine releases the credential.
    expect((await h.api(executor, 'DELETE', '/v1/approvals/scale-web-1/credential')).status).toBe(204);
    expect(await h.kubectl(['get', 'serviceaccount', 'skyflo-approval-scale-web-1', '-n', installNamespace, '--ignore-not-found', '-o', 'name'])).toBe('');
    expect(await h.kubectl(['get', 'role,rolebinding', '-n', 'staging', '-l', 'skyflo.ai/approval=scale-web-1', '-o', 'name'])).toBe('');
    const after = await h.kubectlAs(token, ['get', 'deployment', 'web', '-n', 'staging']);
    expect(after.stderr).toMatch(/Unauthorized|must be logged in/);
    expect(h.harness.sim.calls.filter((call) => call.status === 401).length).toBeGreaterThan(0);

    // One approval, one call: it cannot be minted again.
    const again = await h.api(executor, 'POST', '/v1/approvals/scale-web-1/credential');
    expect(again).toMatchObject({ status: 403, body: { code: 'NOT_APPROVED' } });
    expect(again.body.message).toContain('already used');
  });

  it('checks the name of a created object in admission, which RBAC cannot restrict', async () => {
    const manifest = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'feature-flags', namespace: 'staging' }, data: { mode: 'safe' } };
    const dryRun = JSON.parse(await h.kubectl(['create', '-f', '-', '--dry-run=server', '-o', 'json'], JSON.stringify(manifest)));
    const document = await h.signed('create-cm-1', [{ apiGroup: '', resource: 'configmaps', namespace: 'staging', name: 'feature-flags', verbs: ['create'], contentHash: contentHash(dryRun) }]);
    expect((await h.api(executor, 'POST', '/v1/approvals', document)).status).toBe(201);
    const { body } = await h.api(executor, 'POST', '/v1/approvals/create-cm-1/credential');

    const renamed = await h.kubectlAs(body.token, ['create', '-f', '-'], JSON.stringify({ ...manifest, metadata: { ...manifest.metadata, name: 'something-else' } }));
    expect(renamed.stderr).toContain('SkyfloApproval "create-cm-1" does not cover CREATE of configmaps staging/something-else');
    const changed = await h.kubectlAs(body.token, ['create', '-f', '-'], JSON.stringify({ ...manifest, data: { mode: 'unsafe' } }));
    expect(changed.stderr).toContain('differs from the dry-run approved');
    const created = await h.kubectlAs(body.token, ['create', '-f', '-'], JSON.stringify(manifest));
    expect(created.stderr).toBe('');
    expect(await h.kubectl(['get', 'configmap', '-n', 'staging', '-o', 'name'])).not.toContain('something-else');
    expect(await h.kubectl(['get', 'configmap', 'feature-flags', '-n', 'staging', '-o', 'jsonpath={.data.mode}'])).toBe('safe');
    expect((await h.api(executor, 'DELETE', '/v1/approvals/create-cm-1/credential')).status).toBe(204);
  });

  it("the executor's own write verbs are dry-run power only: its real writes outside its bookkeeping are refused by its webhook", async () => {
    // what the chart binds for previews' dry-runs (executorDryRunRules)
    const binding = [
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'skyflo-executor-dry-run' }, rules: executorDryRunRules },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'skyflo-executor-dry-run' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'skyflo-executor-dry-run' }, subjects: [{ kind: 'ServiceAccount', name: 'skyflo-executor', namespace: installNamespace }] },
    ];
    for (const object of binding) await h.kubectl(['apply', '-f', '-'], JSON.stringify(object));
    try {
      const dryRun = await h.kubectlAs(h.executorToken, ['create', 'configmap', 'preview-only', '-n', 'staging', '--from-literal=mode=on', '--dry-run=server']);
      expect(dryRun.stderr).toBe('');
      const real = await h.kubectlAs(h.executorToken, ['create', 'configmap', 'preview-only', '-n', 'staging', '--from-literal=mode=on']);
      expect(real.stderr).toContain('writes only dry-runs outside its own approval records and per-approval accounts');
      const secret = await h.kubectlAs(h.executorToken, ['create', 'secret', 'generic', 'planted', '-n', 'staging', '--from-literal=k=v']);
      expect(secret.stderr).toContain('writes only dry-runs');
      expect(await h.kubectl(['get', 'configmaps,secrets', '-n', 'staging', '-o', 'name'])).not.toMatch(/preview-only|planted/);
      // nor its bookkeeping outside what it does: an account elsewhere, or removing an approval record
      expect((await h.kubectlAs(h.executorToken, ['create', 'serviceaccount', 'planted', '-n', 'staging'])).stderr).toContain('writes only dry-runs');
      expect((await h.kubectlAs(h.executorToken, ['delete', 'skyfloapprovals', 'create-cm-1', '-n', installNamespace])).stderr).toContain('writes only dry-runs');
      expect(await h.kubectl(['get', 'skyfloapprovals', 'create-cm-1', '-n', installNamespace, '-o', 'name'])).toContain('create-cm-1');
    } finally {
      await h.kubectl(['delete', 'clusterrolebinding,clusterrole', 'skyflo-executor-dry-run']);
    }
  });
});
