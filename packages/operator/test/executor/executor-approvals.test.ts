import { stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningExecutor } from '../../src/executor/index.ts';
import { eventually } from '../support/operator-harness.ts';
import { installNamespace, scaleWeb, spec, startExecutorHarness, type ExecutorHarness } from './executor-harness.ts';

/*
 * SkyfloApprovals as Kubernetes objects: only the engine's signature makes one worth a credential, a decided one
 * cannot be changed (the CRD's transition rules, enforced by the API server), an expired one mints nothing, and the
 * sweep removes what a crash left behind.
 */

let h: ExecutorHarness;
let executor: RunningExecutor;
const accountExists = async (approval: string) => (await h.kubectl(['get', 'serviceaccount', `skyflo-approval-${approval}`, '-n', installNamespace, '--ignore-not-found', '-o', 'name'])) !== '';

beforeAll(async () => {
  h = await startExecutorHarness();
  executor = await h.startExecutor();
});

afterAll(async () => {
  await h?.close();
});

describe('signed approvals', () => {
  it('refuses callers without the engine bearer token', async () => {
    const call = scaleWeb('no-bearer');
    const document = await h.signed(call);
    expect(await h.api(executor, 'POST', '/v1/approvals', document, 'wrong-token')).toMatchObject({ status: 401, body: { code: 'UNAUTHORIZED' } });
    expect(await h.mint(executor, document, call.args, undefined, '')).toMatchObject({ status: 401 });
    expect(await h.kubectl(['get', 'skyfloapprovals', '-n', installNamespace, '-o', 'name'])).not.toContain(document.name);
  });

  it('mints nothing for a SkyfloApproval written by hand, nor for one signed by another key', async () => {
    // kubectl apply of an "approved" object: spec, then a status with a made-up signature.
    const byHand = scaleWeb('by-hand');
    await h.kubectl(['apply', '-n', installNamespace, '-f', '-'], JSON.stringify({ apiVersion: 'skyflo.ai/v1alpha1', kind: 'SkyfloApproval', metadata: { name: 'by-hand' }, spec: spec(byHand) }));
    const now = new Date();
    const forgedStatus = { decision: 'approved', decidedBy: { id: 'mallory' }, decidedAt: now.toISOString(), expiresAt: new Date(now.getTime() + 600_000).toISOString(), signature: 'eyJhbGciOiJFZERTQSJ9..Zm9yZ2Vk' };
    await h.kubectl(['patch', 'skyfloapproval', 'by-hand', '-n', installNamespace, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: forgedStatus })]);
    const handWritten = await h.api(executor, 'POST', '/v1/approvals/by-hand/credential', { arguments: byHand.args });
    expect(handWritten).toMatchObject({ status: 403, body: { code: 'BAD_SIGNATURE' } });
    expect(handWritten.body.message).toContain('SkyfloApproval "by-hand" is not signed by the engine');

    await h.kubectl(['apply', '-n', installNamespace, '-f', '-'], JSON.stringify({ apiVersion: 'skyflo.ai/v1alpha1', kind: 'SkyfloApproval', metadata: { name: 'no-status' }, spec: spec(scaleWeb('no-status')) }));
    expect(await h.api(executor, 'POST', '/v1/approvals/no-status/credential', { arguments: scaleWeb('no-status').args })).toMatchObject({ status: 403, body: { code: 'BAD_SIGNATURE' } });

    const otherKey = await h.signed(scaleWeb('other-key'), { signingKeyPem: h.otherPrivateKeyPem });
    expect(await h.api(executor, 'POST', '/v1/approvals', otherKey)).toMatchObject({ status: 403, body: { code: 'BAD_SIGNATURE' } });
    expect(await h.kubectl(['get', 'skyfloapproval', otherKey.name, '-n', installNamespace, '--ignore-not-found', '-o', 'name'])).toBe('');

    // A real signature moved to another name (or another spec) does not verify: it covers name, spec and status.
    const genuine = await h.signed(scaleWeb('genuine'));
    expect(await h.api(executor, 'POST', '/v1/approvals', { ...genuine, name: 'copied' })).toMatchObject({ status: 403, body: { code: 'BAD_SIGNATURE' } });
    const otherArguments = { ...genuine, spec: { ...genuine.spec, argsHash: spec(scaleWeb('genuine', 3, 'prod')).argsHash } };
    expect(await h.api(executor, 'POST', '/v1/approvals', otherArguments)).toMatchObject({ status: 403, body: { code: 'BAD_SIGNATURE' } });

    for (const name of ['by-hand', 'no-status', otherKey.name, 'copied']) expect(await accountExists(name)).toBe(false);
    expect(await h.kubectl(['get', 'roles', '-n', 'staging', '-l', 'app.kubernetes.io/managed-by=skyflo-executor', '-o', 'name'])).toBe('');
  });

  it('keeps a decided approval as decided: the API server refuses flipping it, the executor refuses a different one', async () => {
    const call = scaleWeb('denied-1');
    const denied = await h.signed(call, { decision: 'denied' });
    const name = denied.name;
    expect(await h.api(executor, 'POST', '/v1/approvals', denied)).toMatchObject({ status: 201 });
    expect(await h.api(executor, 'POST', '/v1/approvals', denied)).toMatchObject({ status: 200 }); // the same again: idempotent
    const minted = await h.mint(executor, denied, call.args);
    expect(minted).toMatchObject({ status: 403, body: { code: 'NOT_APPROVED' } });
    expect(minted.body.message).toContain('was denied');

    const flip = (patch: object) => h.kubectl(['patch', 'skyfloapproval', name, '-n', installNamespace, '--subresource=status', '--type=merge', '-p', JSON.stringify(patch)]).then(() => 'accepted', (error: Error) => error.message);
    expect(await flip({ status: { decision: 'approved' } })).toContain('a decided SkyfloApproval is immutable');
    const removed = await h.kubectl(['patch', 'skyfloapproval', name, '-n', installNamespace, '--subresource=status', '--type=json', '-p', '[{"op":"remove","path":"/status"}]']).then(() => 'accepted', (error: Error) => error.message);
    expect(removed).toContain('keeps its status');
    const respec = await h.kubectl(['patch', 'skyfloapproval', name, '-n', installNamespace, '--type=merge', '-p', '{"spec":{"tool":"k8s_delete"}}']).then(() => 'accepted', (error: Error) => error.message);
    expect(respec).toContain('spec is immutable');
    expect(await h.kubectl(['get', 'skyfloapproval', name, '-n', installNamespace, '-o', 'jsonpath={.status.decision} {.spec.tool}'])).toBe('denied k8s_scale');

    // Even a validly signed approval cannot replace the recorded denial.
    const approved = await h.signed(call);
    expect(await h.api(executor, 'POST', '/v1/approvals', approved)).toMatchObject({ status: 409, body: { code: 'IMMUTABLE' } });
    expect(await h.mint(executor, approved, call.args)).toMatchObject({ status: 403, body: { code: 'NOT_APPROVED' } });
    expect(await accountExists(name)).toBe(false);
  });

  it('shows every decision to kubectl with TOOL, TARGET, DECISION, BY and AGE', async () => {
    const document = await h.signed(scaleWeb('listed-1'));
    await h.api(executor, 'POST', '/v1/approvals', document);
    const table = await h.kubectl(['get', 'skyfloapprovals', '-n', installNamespace]);
    const [header, ...rows] = table.trim().split('\n');
    expect(header!.split(/\s+/)).toEqual(['NAME', 'TOOL', 'TARGET', 'DECISION', 'BY', 'AGE']);
    expect(rows.find((row) => row.startsWith(document.name))?.split(/\s+/).slice(0, 5)).toEqual([document.name, 'k8s_scale', 'kube-sim', 'approved', 'bob@example.com']);
  });
});

describe('expiry and the sweep', () => {
  it('mints nothing for an expired approval', async () => {
    const call = scaleWeb('expired-1');
    const expired = await h.signed(call, { expiresAt: new Date(Date.now() - 1000).toISOString() });
    expect(await h.api(executor, 'POST', '/v1/approvals', expired)).toMatchObject({ status: 201 });
    const minted = await h.mint(executor, expired, call.args);
    expect(minted).toMatchObject({ status: 403, body: { code: 'EXPIRED' } });
    expect(minted.body.message).toContain('expired at');
    expect(await accountExists(expired.name)).toBe(false);
  });

  it('ends a credential at its approval\'s expiry even when nobody releases it', async () => {
    const call = scaleWeb('short-1');
    const shortLived = await h.signed(call, { expiresAt: new Date(Date.now() + 3000).toISOString() });
    const name = shortLived.name;
    await h.api(executor, 'POST', '/v1/approvals', shortLived);
    const minted = await h.mint(executor, shortLived, call.args);
    expect(minted.status, JSON.stringify(minted.body)).toBe(200);
    // The credential never outlives the approval (the token itself is 10 minutes, the least TokenRequest issues).
    expect(minted.body.expiresAt).toBe(shortLived.status.expiresAt);
    expect((await h.kubectlAs(minted.body.token, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'])).stdout).toBe(`system:serviceaccount:skyflo:skyflo-approval-${name}`);
    await eventually(async () => /Unauthorized|must be logged in/.test((await h.kubectlAs(minted.body.token, ['auth', 'whoami'])).stderr), { timeoutMs: 20_000, what: 'the token to stop authenticating at the approval expiry' });
    expect(await accountExists(name)).toBe(false);
    expect(await h.kubectl(['get', 'role,rolebinding', '-n', 'staging', '-l', `skyflo.ai/approval=${name}`, '-o', 'name'])).toBe('');
  });

  it('removes an approval account and its roles left behind past their expiry, and keeps a live one', async () => {
    const leftover = (name: string, expiresAt: string) => {
      const metadata = { name: `skyflo-approval-${name}`, labels: { 'app.kubernetes.io/managed-by': 'skyflo-executor', 'skyflo.ai/approval': name }, annotations: { 'skyflo.ai/expires-at': expiresAt } };
      return [
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { ...metadata, namespace: installNamespace, annotations: { ...metadata.annotations, 'skyflo.ai/namespaces': 'staging', 'skyflo.ai/cluster-scoped': 'false' } } },
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { ...metadata, namespace: 'staging' }, rules: [{ apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['patch'], resourceNames: ['web'] }] },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { ...metadata, namespace: 'staging' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: metadata.name },
          subjects: [{ kind: 'ServiceAccount', name: metadata.name, namespace: installNamespace }],
        },
      ];
    };
    // What a crash between mint and release leaves: the account, its Role and RoleBinding.
    const objects = [...leftover('crashed-1', new Date(Date.now() - 60_000).toISOString()), ...leftover('live-1', new Date(Date.now() + 600_000).toISOString())];
    await h.harness.apply(objects.map((object) => toYaml(object)).join('---\n'));
    const token = (await h.kubectl(['create', 'token', 'skyflo-approval-crashed-1', '-n', installNamespace])).trim();
    expect((await h.kubectlAs(token, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'])).stdout).toBe('system:serviceaccount:skyflo:skyflo-approval-crashed-1');

    const sweeper = await h.startExecutor({ sweepIntervalMs: 100 });
    await eventually(async () => !(await accountExists('crashed-1')), { what: 'the sweep to delete skyflo-approval-crashed-1' });
    expect(await h.kubectl(['get', 'role,rolebinding', '-n', 'staging', '-l', 'skyflo.ai/approval=crashed-1', '-o', 'name'])).toBe('');
    expect((await h.kubectlAs(token, ['auth', 'whoami'])).stderr).toMatch(/Unauthorized|must be logged in/);
    expect(await accountExists('live-1')).toBe(true);
    expect(await h.kubectl(['get', 'role', '-n', 'staging', '-l', 'skyflo.ai/approval=live-1', '-o', 'name'])).toBe('role.rbac.authorization.k8s.io/skyflo-approval-live-1\n');
    await sweeper.close();
  });
});
