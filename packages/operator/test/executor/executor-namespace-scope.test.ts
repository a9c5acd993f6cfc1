import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installNamespace, scaleWeb, startExecutorHarness, type ApprovedCall, type ExecutorHarness } from './executor-harness.ts';

/*
 * The round-3 attack at the executor: a manifest, applied for a member scoped to `staging`, that also holds objects in
 * `prod`. An executor installed for `staging` grants nothing in `prod` — not when the engine signs such an approval,
 * and not even if the executor's own scope check were gone, because its identity holds RBAC power in `staging` only
 * and the API server refuses even its dry-run in `prod`, so no grant can be computed there.
 */

let h: ExecutorHarness;

beforeAll(async () => {
  h = await startExecutorHarness();
});

afterAll(async () => {
  await h?.close();
});

// The round-3 attack's call: an apply whose manifest holds a ConfigMap in staging and also the Deployment in prod.
const tricky = (callId: string): ApprovedCall => ({
  tool: 'k8s_apply',
  args: {
    content: [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'tricky-config', namespace: 'staging' }, data: { mode: 'on' } },
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'prod' }, spec: { replicas: 0, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx' }] } } } },
    ]
      .map((object) => JSON.stringify(object))
      .join('\n---\n'),
  },
  callId,
});

const leftovers = async () => {
  const prod = await h.kubectl(['get', 'role,rolebinding', '-n', 'prod', '-l', 'app.kubernetes.io/managed-by=skyflo-executor', '-o', 'name']);
  const staging = await h.kubectl(['get', 'role,rolebinding', '-n', 'staging', '-l', 'app.kubernetes.io/managed-by=skyflo-executor', '-o', 'name']);
  const accounts = await h.kubectl(['get', 'serviceaccounts', '-n', installNamespace, '-l', 'app.kubernetes.io/managed-by=skyflo-executor', '-o', 'name']);
  return `${prod}${staging}${accounts}`;
};

describe('an executor limited to staging', () => {
  it('refuses to mint access for objects in prod, even for a signed approval', async () => {
    const executor = await h.startExecutor({ allowedNamespaces: ['staging'] });
    const call = tricky('tricky-1');
    const document = await h.signed(call);
    expect((await h.api(executor, 'POST', '/v1/approvals', document)).status).toBe(201);
    const minted = await h.mint(executor, document, call.args);
    expect(minted).toMatchObject({ status: 403, body: { code: 'NOT_APPROVED' } });
    expect(minted.body.message).toBe('this executor may grant access only in namespace(s) staging; the approved call writes in namespace "prod", outside them, so nothing is minted');
    // Nothing at all is granted, not even the staging part of the chart.
    expect(await leftovers()).toBe('');

    const root: ApprovedCall = {
      tool: 'k8s_apply',
      args: { content: JSON.stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'root' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'User', name: 'mallory' }] }) },
      callId: 'cluster-scoped-1',
    };
    const clusterScoped = await h.signed(root);
    await h.api(executor, 'POST', '/v1/approvals', clusterScoped);
    const refused = await h.mint(executor, clusterScoped, root.args);
    expect(refused).toMatchObject({ status: 403, body: { code: 'NOT_APPROVED' } });
    expect(refused.body.message).toContain('the approved call writes cluster-scoped objects, outside them');
    await executor.close();
  });

  it('gets nothing in prod even with its own scope check gone: the API server refuses its Role there', async () => {
    // The same identity (grant rules bound in staging only), but an executor that believes it is cluster-wide.
    const unchecked = await h.startExecutor({ rbacNamespaces: ['staging'] });
    const call = tricky('tricky-2');
    const document = await h.signed(call);
    expect((await h.api(unchecked, 'POST', '/v1/approvals', document)).status).toBe(201);
    const minted = await h.mint(unchecked, document, call.args);
    // its own dry-run of the prod part is refused by the API server: no grant can even be computed there
    expect(minted).toMatchObject({ status: 400, body: { code: 'INVALID' } });
    expect(minted.body.message).toContain('is forbidden: User "system:serviceaccount:skyflo:skyflo-executor"');
    expect(minted.body.message).toContain('in the namespace "prod"');
    // What it created on the way (the account, the staging Role) was removed again; prod was never touched.
    expect(await leftovers()).toBe('');
    expect(await h.kubectl(['get', 'deployment', 'web', '-n', 'prod', '-o', 'jsonpath={.spec.replicas}'])).toBe('2');
    await unchecked.close();
  });

  it('still mints for the staging objects it may grant', async () => {
    const executor = await h.startExecutor({ allowedNamespaces: ['staging'] });
    const call = scaleWeb('staging-only-1', 4);
    const document = await h.signed(call);
    await h.api(executor, 'POST', '/v1/approvals', document);
    const minted = await h.mint(executor, document, call.args);
    expect(minted.status, JSON.stringify(minted.body)).toBe(200);
    const scaled = await h.kubectlAs(minted.body.token, ['scale', 'deployment', 'web', '-n', 'staging', '--replicas=4']);
    expect(scaled.stderr).toBe('');
    expect(await h.kubectl(['get', 'deployment', 'web', '-n', 'staging', '-o', 'jsonpath={.spec.replicas}'])).toBe('4');
    expect((await h.api(executor, 'DELETE', `/v1/approvals/${document.name}/credential`)).status).toBe(204);
    expect(await leftovers()).toBe('');
    await executor.close();
  });
});
