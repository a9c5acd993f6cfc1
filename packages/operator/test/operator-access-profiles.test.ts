/**
 * The MCP server's access profiles on kube-sim, read back through the real kubectl as the cluster's RBAC sees them:
 * `kubectl auth can-i --as` the MCP ServiceAccount, and the RBAC objects bound to it.
 * - read-only (the default): get/list/watch only, no Secrets, no pods/exec;
 * - namespaced: a Role and RoleBinding in each listed namespace and nothing cluster-wide (no ClusterRoleBinding names
 *   the ServiceAccount), so it changes things in its namespaces only; a namespace dropped from the list loses its Role;
 * - cluster-admin-like: every tool's verbs everywhere, still without escalate/bind/impersonate or cluster RBAC writes.
 * The write profiles here run with approvals.enforcement=engine (the MCP server holds the profile's rules); with the
 * default, cluster, it is read-only in every profile: operator-approvals.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { condition, eventually, startOperatorHarness, type OperatorHarness } from './support/operator-harness.ts';

let harness: OperatorHarness;
const serviceAccount = 'system:serviceaccount:skyflo:sky-mcp';
const rbacName = 'skyflo:skyflo:sky:mcp';

async function canI(...args: string[]): Promise<'yes' | 'no'> {
  const output = await harness.kubectl(['auth', 'can-i', ...args, '--as', serviceAccount]).catch((error: Error) => error.message);
  if (/\byes\b/.test(output)) return 'yes';
  if (/\bno\b/.test(output)) return 'no';
  throw new Error(`kubectl auth can-i ${args.join(' ')}: ${output}`);
}

/** Every binding (cluster-wide and in every namespace) whose subjects include the MCP ServiceAccount. */
async function bindingsOfMcp(): Promise<{ cluster: any[]; namespaced: any[] }> {
  const names = (list: any) => list.items.filter((binding: any) => binding.subjects?.some((subject: any) => subject.kind === 'ServiceAccount' && subject.name === 'sky-mcp' && subject.namespace === 'skyflo'));
  return { cluster: names(await harness.getJson(['get', 'clusterrolebindings'])), namespaced: names(await harness.getJson(['get', 'rolebindings', '-A'])) };
}

async function applied(spec: object): Promise<any> {
  await harness.apply(`apiVersion: skyflo.ai/v1\nkind: SkyfloAI\nmetadata: {name: sky, namespace: skyflo}\nspec: ${JSON.stringify(spec)}\n`);
  return eventually(async () => {
    const sky = await harness.tryGet('skyfloai', 'sky', 'skyflo');
    return condition(sky, 'Ready')?.status === 'True' && sky.status.observedGeneration === sky.metadata.generation ? sky : undefined;
  }, { what: 'the SkyfloAI to be Ready on its current spec' });
}

beforeAll(async () => {
  harness = await startOperatorHarness();
  await harness.startInProcess();
  for (const namespace of ['skyflo', 'payments', 'checkout', 'other']) await harness.kubectl(['create', 'namespace', namespace]);
});

afterAll(async () => {
  await harness?.close();
});

describe('access profiles of the MCP server', () => {
  it('read-only (no profile given): reads everywhere, no write, no Secrets, no exec', async () => {
    await applied({});
    expect((await harness.getJson(['get', 'clusterrole', rbacName])).metadata.labels['skyflo.ai/rbac-profile']).toBe('read-only');
    expect(await canI('list', 'pods', '-A')).toBe('yes');
    expect(await canI('get', 'deployments', '-n', 'payments')).toBe('yes');
    for (const verb of ['create', 'patch', 'delete']) expect(await canI(verb, 'deployments', '-n', 'payments'), verb).toBe('no');
    expect(await canI('get', 'secrets', '-n', 'payments')).toBe('no');
    expect(await canI('list', 'secrets', '-A')).toBe('no');
    expect(await canI('create', 'pods/exec', '-n', 'payments')).toBe('no');
    expect(await canI('patch', 'deployments/scale', '-n', 'payments')).toBe('no');
  });

  it('namespaced: Roles in the listed namespaces only, and nothing cluster-wide', async () => {
    await applied({ rbac: { profile: 'namespaced', namespaces: ['payments', 'checkout'] }, approvals: { enforcement: 'engine' } });
    const bindings = await bindingsOfMcp();
    // the read-only ClusterRole and its binding of the previous profile are gone
    expect(bindings.cluster).toEqual([]);
    expect(await harness.tryGet('clusterrole', rbacName, '')).toBeUndefined();
    expect(bindings.namespaced.map((binding) => `${binding.metadata.namespace}/${binding.roleRef.kind}/${binding.roleRef.name}`).sort()).toEqual([`checkout/Role/${rbacName}`, `payments/Role/${rbacName}`]);

    for (const namespace of ['payments', 'checkout']) {
      expect(await canI('patch', 'deployments/scale', '-n', namespace), namespace).toBe('yes');
      expect(await canI('delete', 'pods', '-n', namespace), namespace).toBe('yes');
    }
    for (const namespace of ['other', 'default', 'skyflo']) {
      expect(await canI('patch', 'deployments/scale', '-n', namespace), namespace).toBe('no');
      expect(await canI('get', 'pods', '-n', namespace), namespace).toBe('no');
    }
    // nothing cluster-wide: no listing across namespaces, no cluster-scoped writes
    expect(await canI('list', 'pods', '-A')).toBe('no');
    expect(await canI('patch', 'nodes')).toBe('no');
    expect(await canI('create', 'namespaces')).toBe('no');
    expect(await canI('create', 'clusterrolebindings')).toBe('no');

    // a namespace taken off the list loses its Role and RoleBinding
    await applied({ rbac: { profile: 'namespaced', namespaces: ['payments'] }, approvals: { enforcement: 'engine' } });
    expect(await harness.tryGet('role', rbacName, 'checkout')).toBeUndefined();
    expect(await harness.tryGet('rolebinding', rbacName, 'checkout')).toBeUndefined();
    expect(await canI('patch', 'deployments/scale', '-n', 'checkout')).toBe('no');
    expect(await canI('patch', 'deployments/scale', '-n', 'payments')).toBe('yes');
  });

  it('cluster-admin-like: every tool everywhere, and the namespaced Roles are removed', async () => {
    await applied({ rbac: { profile: 'cluster-admin-like' }, approvals: { enforcement: 'engine' } });
    const bindings = await bindingsOfMcp();
    expect(bindings.namespaced).toEqual([]);
    expect(bindings.cluster.map((binding) => binding.roleRef.name)).toEqual([rbacName]);
    expect((await harness.getJson(['get', 'clusterrole', rbacName])).metadata.labels['skyflo.ai/rbac-profile']).toBe('cluster-admin-like');
    expect(await canI('patch', 'deployments/scale', '-n', 'other')).toBe('yes');
    expect(await canI('create', 'secrets', '-n', 'other')).toBe('yes');
    expect(await canI('create', 'pods/exec', '-n', 'other')).toBe('yes');
    expect(await canI('create', 'clusterrolebindings')).toBe('no');
    expect(await canI('impersonate', 'users')).toBe('no');
  });

  it('a namespaced profile without namespaces is refused by the operator, changing nothing', async () => {
    const spec = 'apiVersion: skyflo.ai/v1\nkind: SkyfloAI\nmetadata: {name: sky, namespace: skyflo}\nspec: {rbac: {profile: namespaced}}\n';
    // an API server with CEL validation (>= 1.25) refuses it with the CRD's own rule…
    expect(await harness.apply(spec).then(() => 'stored', (error: Error) => error.message)).toMatch(/namespaces/);
    // …an older one stores it, and the operator refuses it
    await harness.withoutCrdValidationRules(() => harness.apply(spec));
    const refused = await eventually(async () => {
      const object = await harness.tryGet('skyfloai', 'sky', 'skyflo');
      return condition(object, 'Degraded')?.reason === 'InvalidSpec' && object.status.observedGeneration === object.metadata.generation ? object : undefined;
    }, { what: 'the InvalidSpec condition' });
    expect(condition(refused, 'Degraded').message).toMatch(/spec\.rbac\.namespaces/);
    expect(await canI('patch', 'deployments/scale', '-n', 'other')).toBe('yes');
    expect((await bindingsOfMcp()).namespaced).toEqual([]);
  });
});
