import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovedAccess } from '@skyflo/protocol';
import { installNamespace, startExecutorHarness, type ExecutorHarness } from './executor-harness.ts';

/*
 * The round-3 attack at the executor: a Helm chart, installed for a member scoped to `staging`, whose rendered
 * manifest also holds objects in `prod`. An executor installed for `staging` grants nothing in `prod` — not when the
 * engine signs such an approval, and not even if the executor's own scope check were gone, because its identity
 * holds RBAC power in `staging` only and the API server refuses the Role in `prod`.
 */

let h: ExecutorHarness;

beforeAll(async () => {
  h = await startExecutorHarness();
});

afterAll(async () => {
  await h?.close();
});

// What the preview of `helm install tricky ./chart -n staging` computes: every object of the rendered manifest.
const chartAccess: ApprovedAccess[] = [
  { apiGroup: '', resource: 'secrets', namespace: 'staging', name: 'sh.helm.release.v1.tricky.v1', verbs: ['create'] },
  { apiGroup: '', resource: 'configmaps', namespace: 'staging', name: 'tricky-config', verbs: ['create'] },
  { apiGroup: 'apps', resource: 'deployments', namespace: 'prod', name: 'web', verbs: ['patch', 'update'] },
];

const leftovers = async () => {
  const prod = await h.kubectl(['get', 'role,rolebinding', '-n', 'prod', '-l', 'app.kubernetes.io/managed-by=skyflo-executor', '-o', 'name']);
  const staging = await h.kubectl(['get', 'role,rolebinding', '-n', 'staging', '-l', 'app.kubernetes.io/managed-by=skyflo-executor', '-o', 'name']);
  const accounts = await h.kubectl(['get', 'serviceaccounts', '-n', installNamespace, '-l', 'app.kubernetes.io/managed-by=skyflo-executor', '-o', 'name']);
  return `${prod}${staging}${accounts}`;
};

describe('an executor limited to staging', () => {
  it('refuses to mint access for objects in prod, even for a signed approval', async () => {
    const executor = await h.startExecutor({ allowedNamespaces: ['staging'] });
    const document = await h.signed('helm-tricky-1', chartAccess);
    expect((await h.api(executor, 'POST', '/v1/approvals', document)).status).toBe(201);
    const minted = await h.api(executor, 'POST', '/v1/approvals/helm-tricky-1/credential');
    expect(minted).toMatchObject({ status: 403, body: { code: 'NOT_APPROVED' } });
    expect(minted.body.message).toBe(
      'this executor may grant access only in namespace(s) staging; SkyfloApproval "helm-tricky-1" names deployments prod/web outside them, so nothing is minted',
    );
    // Nothing at all is granted, not even the staging part of the chart.
    expect(await leftovers()).toBe('');

    const clusterScoped = await h.signed('cluster-scoped-1', [{ apiGroup: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings', name: 'root', verbs: ['create'] }]);
    await h.api(executor, 'POST', '/v1/approvals', clusterScoped);
    const refused = await h.api(executor, 'POST', '/v1/approvals/cluster-scoped-1/credential');
    expect(refused).toMatchObject({ status: 403, body: { code: 'NOT_APPROVED' } });
    expect(refused.body.message).toContain('(cluster-scoped) root');
    await executor.close();
  });

  it('gets nothing in prod even with its own scope check gone: the API server refuses its Role there', async () => {
    // The same identity (grant rules bound in staging only), but an executor that believes it is cluster-wide.
    const unchecked = await h.startExecutor({ rbacNamespaces: ['staging'] });
    const document = await h.signed('helm-tricky-2', chartAccess);
    expect((await h.api(unchecked, 'POST', '/v1/approvals', document)).status).toBe(201);
    const minted = await h.api(unchecked, 'POST', '/v1/approvals/helm-tricky-2/credential');
    expect(minted).toMatchObject({ status: 502, body: { code: 'MINT_FAILED' } });
    expect(minted.body.message).toContain('roles.rbac.authorization.k8s.io is forbidden: User "system:serviceaccount:skyflo:skyflo-executor" cannot create resource "roles"');
    expect(minted.body.message).toContain('in the namespace "prod"');
    // What it created on the way (the account, the staging Role) was removed again; prod was never touched.
    expect(await leftovers()).toBe('');
    expect(await h.kubectl(['get', 'deployment', 'web', '-n', 'prod', '-o', 'jsonpath={.spec.replicas}'])).toBe('2');
    await unchecked.close();
  });

  it('still mints for the staging objects it may grant', async () => {
    const executor = await h.startExecutor({ allowedNamespaces: ['staging'] });
    const document = await h.signed('staging-only-1', [{ apiGroup: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'staging', name: 'web', verbs: ['patch'] }]);
    await h.api(executor, 'POST', '/v1/approvals', document);
    const minted = await h.api(executor, 'POST', '/v1/approvals/staging-only-1/credential');
    expect(minted.status).toBe(200);
    const scaled = await h.kubectlAs(minted.body.token, ['scale', 'deployment', 'web', '-n', 'staging', '--replicas=4']);
    expect(scaled.stderr).toBe('');
    expect(await h.kubectl(['get', 'deployment', 'web', '-n', 'staging', '-o', 'jsonpath={.spec.replicas}'])).toBe('4');
    expect((await h.api(executor, 'DELETE', '/v1/approvals/staging-only-1/credential')).status).toBe(204);
    expect(await leftovers()).toBe('');
    await executor.close();
  });
});
