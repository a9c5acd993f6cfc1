import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalWebhookConfiguration, type RunningExecutor } from '../../src/executor/index.ts';
import { installNamespace, scaleWeb, startExecutorHarness, type ApprovedCall, type ExecutorHarness } from './executor-harness.ts';

/*
 * One approved scale, end to end against kube-sim and the real kubectl: the executor computes from the approved
 * arguments alone what the call writes (issue 73) and mints an account for exactly deployments/web/scale in staging;
 * the write is made by that account; nothing else is possible with its token, whatever anyone claims the call writes;
 * content other than the executor's own dry-run is refused by the API server through its webhook; the approval mints
 * once; and after the call the account is gone and its token refused.
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

const replicas = async (namespace: string, name: string) => h.kubectl(['get', 'deployment', name, '-n', namespace, '-o', 'jsonpath={.spec.replicas}']);

/** Mirrors the signed decision and mints its credential, as the engine does right before the call. */
async function approve(call: ApprovedCall): Promise<{ name: string; token: string; body: any }> {
  const document = await h.signed(call);
  expect(await h.api(executor, 'POST', '/v1/approvals', document)).toMatchObject({ status: 201 });
  const minted = await h.mint(executor, document, call.args);
  expect(minted.status, JSON.stringify(minted.body)).toBe(200);
  return { name: document.name, token: minted.body.token, body: minted.body };
}

describe('a credential per approval', () => {
  it('lets the approved scale through as skyflo-approval-<name>, nothing else, and is gone after the call', async () => {
    // The executor's own identity writes nothing for real: its write verbs are dry-runs only (its webhook refuses the rest).
    const own = await h.kubectlAs(h.executorToken, ['scale', 'deployment', 'web', '-n', 'staging', '--replicas=3']);
    expect(own.stderr).toContain('writes only dry-runs outside its own approval records and per-approval accounts');
    // no impersonation; it reads Secrets since it renders Helm previews itself (helm reads the release's storage
    // Secrets, which RBAC cannot single out; docs/security.md), and what it answers the MCP server holds no Secret value
    expect((await h.kubectlAs(h.executorToken, ['auth', 'can-i', 'impersonate', 'users', '-n', 'staging'])).stdout.trim()).toBe('no');
    for (const check of [['get', 'secrets'], ['list', 'secrets']]) {
      expect((await h.kubectlAs(h.executorToken, ['auth', 'can-i', ...check, '-n', 'staging'])).stdout.trim(), check.join(' ')).toBe('yes');
    }

    const call = scaleWeb('scale-web-1');
    const { name, token, body } = await approve(call);
    expect(body.username).toBe(account(name));
    expect(Date.parse(body.expiresAt) - Date.now()).toBeLessThanOrEqual(600_000);
    // what the executor computed, and recorded on the approval for the webhook and a reviewer
    expect(body.access).toEqual([{ apiGroup: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'staging', name: 'web', verbs: ['patch'], contentHash: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    expect(JSON.parse(await h.kubectl(['get', 'skyfloapproval', name, '-n', installNamespace, '-o', "jsonpath={.metadata.annotations.skyflo\\.ai/granted-access}"]))).toEqual(body.access);

    // The account and its Role exist, labelled for a reviewer (and the sweep).
    const role = JSON.parse(await h.kubectl(['get', 'role', `skyflo-approval-${name}`, '-n', 'staging', '-o', 'json']));
    expect(role.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'skyflo-executor', 'skyflo.ai/approval': name });
    expect(role.rules).toContainEqual({ apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['get', 'patch'], resourceNames: ['web'] });

    // A different replica count than the approved one: the API server refuses it through the webhook.
    const other = await h.kubectlAs(token, ['scale', 'deployment', 'web', '-n', 'staging', '--replicas=5']);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain('admission webhook "approvals.executor.skyflo.ai" denied the request');
    expect(other.stderr).toContain(`differs from the dry-run approved in SkyfloApproval "${name}"`);
    expect(await replicas('staging', 'web')).toBe('2');

    // The approved change goes through, written by the approval's own account.
    const scaled = await h.kubectlAs(token, ['scale', 'deployment', 'web', '-n', 'staging', '--replicas=3']);
    expect(scaled.stderr).toBe('');
    expect(await replicas('staging', 'web')).toBe('3');
    const writes = h.harness.sim.calls.filter((entry) => entry.method === 'PATCH' && entry.path === '/apis/apps/v1/namespaces/staging/deployments/web/scale' && !entry.query.dryRun && entry.user === account(name));
    expect(writes.map((entry) => entry.status)).toEqual([403, 200]);

    // Another object, another verb, another namespace: RBAC refuses (403).
    const otherDeployment = await h.kubectlAs(token, ['scale', 'deployment', 'api', '-n', 'staging', '--replicas=3']);
    expect(otherDeployment.stderr).toContain(`deployments.apps "api" is forbidden: User "${account(name)}"`);
    const otherVerb = await h.kubectlAs(token, ['delete', 'deployment', 'web', '-n', 'staging']);
    expect(otherVerb.stderr).toContain(`deployments.apps "web" is forbidden: User "${account(name)}" cannot delete resource "deployments"`);
    const mainResource = await h.kubectlAs(token, ['set', 'image', 'deployment/web', 'nginx=nginx:2', '-n', 'staging']);
    expect(mainResource.stderr).toContain('cannot patch resource "deployments"');
    const otherNamespace = await h.kubectlAs(token, ['scale', 'deployment', 'web', '-n', 'prod', '--replicas=3']);
    expect(otherNamespace.stderr).toContain(`deployments.apps "web" is forbidden: User "${account(name)}" cannot get resource "deployments" in API group "apps" in the namespace "prod"`);
    expect(await replicas('staging', 'api')).toBe('2');
    expect(await replicas('prod', 'web')).toBe('2');

    // The call ends: the engine releases the credential.
    expect((await h.api(executor, 'DELETE', `/v1/approvals/${name}/credential`)).status).toBe(204);
    expect(await h.kubectl(['get', 'serviceaccount', `skyflo-approval-${name}`, '-n', installNamespace, '--ignore-not-found', '-o', 'name'])).toBe('');
    expect(await h.kubectl(['get', 'role,rolebinding', '-n', 'staging', '-l', `skyflo.ai/approval=${name}`, '-o', 'name'])).toBe('');
    const after = await h.kubectlAs(token, ['get', 'deployment', 'web', '-n', 'staging']);
    expect(after.stderr).toMatch(/Unauthorized|must be logged in/);

    // One approval, one call: it cannot be minted again.
    const again = await h.mint(executor, await h.signed(call), call.args);
    expect(again).toMatchObject({ status: 403, body: { code: 'NOT_APPROVED' } });
    expect(again.body.message).toContain('already used');
  });

  it('a taken-over MCP server cannot widen an approval: the grant is what the approved arguments write, whatever else is claimed', async () => {
    await h.kubectl(['create', 'secret', 'generic', 'db-creds', '-n', 'prod', '--from-literal=password=hunter2']);
    const call = scaleWeb('scale-widened', 3, 'prod');
    const document = await h.signed(call);
    expect((await h.api(executor, 'POST', '/v1/approvals', document)).status).toBe(201);
    // The old attack: an `access` list naming a delete and a Secret — in the mirrored spec (not part of the contract,
    // so the signature no longer verifies) or in the credential request (not read at all).
    const claimed = [
      { apiGroup: 'apps', resource: 'deployments', namespace: 'prod', name: 'web', verbs: ['delete'] },
      { apiGroup: '', resource: 'secrets', namespace: 'prod', name: 'db-creds', verbs: ['patch'] },
    ];
    expect(await h.api(executor, 'POST', '/v1/approvals', { ...document, name: `${document.name.slice(0, 30)}x`, spec: { ...document.spec, access: claimed } })).toMatchObject({ status: 403 });
    const minted = await h.api(executor, 'POST', `/v1/approvals/${document.name}/credential`, { arguments: call.args, access: claimed });
    expect(minted.status, JSON.stringify(minted.body)).toBe(200);
    expect(minted.body.access.map((entry: { resource: string; subresource?: string; name: string; verbs: string[] }) => `${entry.verbs.join('/')} ${entry.resource}/${entry.subresource} ${entry.name}`)).toEqual(['patch deployments/scale web']);
    const token: string = minted.body.token;
    expect((await h.kubectlAs(token, ['delete', 'deployment', 'web', '-n', 'prod'])).stderr).toContain('cannot delete resource "deployments"');
    expect((await h.kubectlAs(token, ['get', 'secret', 'db-creds', '-n', 'prod'])).stderr).toContain('cannot get resource "secrets"');
    expect((await h.kubectlAs(token, ['patch', 'secret', 'db-creds', '-n', 'prod', '-p', '{"stringData":{"password":"x"}}'])).stderr).toContain('cannot get resource "secrets"');
    expect((await h.kubectl(['get', 'deployment', 'web', '-n', 'prod', '-o', 'name'])).trim()).toBe('deployment.apps/web');
    expect((await h.kubectlAs(token, ['scale', 'deployment', 'web', '-n', 'prod', '--replicas=3'])).stderr).toBe('');
    expect(await replicas('prod', 'web')).toBe('3');
    await h.api(executor, 'DELETE', `/v1/approvals/${document.name}/credential`);
  });

  it('mints nothing for arguments other than the signed ones, an approval under another name, or one for another cluster', async () => {
    const call = scaleWeb('scale-bound', 4);
    const document = await h.signed(call);
    expect((await h.api(executor, 'POST', '/v1/approvals', document)).status).toBe(201);
    // other arguments: a delete smuggled in as the scale's arguments, or another namespace
    const swapped = await h.mint(executor, document, { ...call.args, namespace: 'prod' });
    expect(swapped).toMatchObject({ status: 403, body: { code: 'NOT_APPROVED', message: expect.stringContaining('are not the approved ones') } });
    // a validly signed decision re-signed under another name (a compromised engine's key, spending one approval twice)
    const renamed = await h.signed(call, { name: 'a-renamed-copy' });
    expect((await h.api(executor, 'POST', '/v1/approvals', renamed)).status).toBe(201);
    expect(await h.mint(executor, renamed, call.args)).toMatchObject({ status: 403, body: { code: 'NOT_APPROVED', message: expect.stringContaining('is not named for its own call') } });
    // an approval for another cluster, sent to this cluster's executor
    const elsewhere = await h.signed(scaleWeb('scale-elsewhere'), { spec: { cluster: { name: 'prod-eu', server: 'https://prod-eu:6443' } } });
    expect((await h.api(executor, 'POST', '/v1/approvals', elsewhere)).status).toBe(201);
    expect(await h.mint(executor, elsewhere, scaleWeb('scale-elsewhere').args)).toMatchObject({ status: 403, body: { code: 'NOT_APPROVED', message: expect.stringContaining('this executor guards "kube-sim"') } });
    for (const refused of [renamed.name, elsewhere.name]) expect(await h.kubectl(['get', 'serviceaccount', `skyflo-approval-${refused}`, '-n', installNamespace, '--ignore-not-found', '-o', 'name'])).toBe('');
    // the genuine one still mints, once; a second mint neither succeeds nor ends the first token
    const first = await h.mint(executor, document, call.args);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const second = await h.mint(executor, document, call.args);
    expect(second).toMatchObject({ status: 409, body: { code: 'ALREADY_MINTED' } });
    expect((await h.kubectlAs(first.body.token, ['scale', 'deployment', 'web', '-n', 'staging', '--replicas=4'])).stderr).toBe('');
    expect(await replicas('staging', 'web')).toBe('4');
    await h.api(executor, 'DELETE', `/v1/approvals/${document.name}/credential`);
  });

  it('checks the name of a created object in admission, which RBAC cannot restrict', async () => {
    const manifest = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'feature-flags', namespace: 'staging' }, data: { mode: 'safe' } };
    const call: ApprovedCall = { tool: 'k8s_apply', args: { content: JSON.stringify(manifest) }, callId: 'create-cm-1' };
    const { name, token } = await approve(call);

    const renamed = await h.kubectlAs(token, ['create', '-f', '-'], JSON.stringify({ ...manifest, metadata: { ...manifest.metadata, name: 'something-else' } }));
    expect(renamed.stderr).toContain(`SkyfloApproval "${name}" does not cover CREATE of configmaps staging/something-else`);
    const changed = await h.kubectlAs(token, ['apply', '--server-side', '--field-manager=skyflo', '-f', '-'], JSON.stringify({ ...manifest, data: { mode: 'unsafe' } }));
    expect(changed.stderr).toContain('differs from the dry-run approved');
    const created = await h.kubectlAs(token, ['apply', '--server-side', '--field-manager=skyflo', '-f', '-'], JSON.stringify(manifest));
    expect(created.stderr).toBe('');
    expect(await h.kubectl(['get', 'configmap', '-n', 'staging', '-o', 'name'])).not.toContain('something-else');
    expect(await h.kubectl(['get', 'configmap', 'feature-flags', '-n', 'staging', '-o', 'jsonpath={.data.mode}'])).toBe('safe');
    expect((await h.api(executor, 'DELETE', `/v1/approvals/${name}/credential`)).status).toBe(204);
  });

  it("the executor's own write verbs are dry-run power only: its real writes outside its bookkeeping are refused by its webhook", async () => {
    const dryRun = await h.kubectlAs(h.executorToken, ['create', 'configmap', 'preview-only', '-n', 'staging', '--from-literal=mode=on', '--dry-run=server']);
    expect(dryRun.stderr).toBe('');
    const real = await h.kubectlAs(h.executorToken, ['create', 'configmap', 'preview-only', '-n', 'staging', '--from-literal=mode=on']);
    expect(real.stderr).toContain('writes only dry-runs outside its own approval records and per-approval accounts');
    const secret = await h.kubectlAs(h.executorToken, ['create', 'secret', 'generic', 'planted', '-n', 'staging', '--from-literal=k=v']);
    expect(secret.stderr).toContain('writes only dry-runs');
    expect(await h.kubectl(['get', 'configmaps,secrets', '-n', 'staging', '-o', 'name'])).not.toMatch(/preview-only|planted/);
    // nor its bookkeeping outside what it does: an account elsewhere, or removing an approval record
    const kept = (await h.kubectl(['get', 'skyfloapprovals', '-n', installNamespace, '-o', 'name'])).split('\n')[0]!.trim();
    expect((await h.kubectlAs(h.executorToken, ['create', 'serviceaccount', 'planted', '-n', 'staging'])).stderr).toContain('writes only dry-runs');
    expect((await h.kubectlAs(h.executorToken, ['delete', kept, '-n', installNamespace])).stderr).toContain('writes only dry-runs');
    expect((await h.kubectl(['get', kept, '-n', installNamespace, '-o', 'name'])).trim()).toBe(kept);
  });
});
