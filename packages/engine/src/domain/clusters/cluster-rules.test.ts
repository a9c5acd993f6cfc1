/**
 * Issue 22's rules one by one: which policy applies to a call, what a member's scope allows, the args hash binding
 * the cluster's API server, the directory over list_clusters, and the health line naming the unreachable clusters.
 */
import type { ClusterStatus } from '@skyflo/protocol';
import { describe, expect, it, vi } from 'vitest';
import { hashToolCall } from '../tool-calls/core/hash-tool-call.ts';
import { decisionRefusal } from '../tool-calls/decide/decision-authority.ts';
import { createClusterDirectory } from './cluster-directory.ts';
import { describeClusterHealth } from './cluster-health.ts';
import { createClusterPolicies, decisionPolicyOf, resolveClusterPolicy } from './cluster-policies.ts';
import { targetOf } from './cluster-target.ts';
import { scopeRefusal } from './member-scope.ts';
import type { ToolGateway } from '../../platform/ports/tool-gateway.ts';

describe('approval policy by scope', () => {
  const policies = [
    { cluster: 'prod-*', mode: 'approver' as const },
    { cluster: 'prod-eu', namespace_pattern: 'payments-*', mode: 'four_eyes' as const },
    { cluster: 'dev', mode: 'read_only' as const },
  ];
  it.each([
    ['prod-eu', 'payments-api', 'four_eyes', 'cluster policy prod-eu, namespace payments-*'],
    ['prod-eu', 'shop', 'approver', 'cluster policy prod-*'],
    ['prod-us', undefined, 'approver', 'cluster policy prod-*'],
    ['dev', 'anything', 'read_only', 'cluster policy dev'],
    ['staging', 'shop', 'self', 'APPROVAL_POLICY=self, no cluster policy for staging'],
  ])('%s / %s → %s', (cluster, namespace, mode, source) => {
    expect(resolveClusterPolicy(policies, { policy: 'self' }, cluster, namespace)).toEqual({ mode, source });
  });

  it('a stored value that no longer parses makes every cluster read-only rather than open', async () => {
    const settings = { get: async () => ({ policies: [{ cluster: 'x', mode: 'yolo' }] }), put: async () => undefined, putIfAbsent: async () => undefined };
    expect(await createClusterPolicies({ settings, defaults: { policy: 'self' } }).resolve('prod', 'shop')).toMatchObject({ mode: 'read_only' });
  });

  it('four_eyes: an approver who asked may not decide; another approver may; a member never', () => {
    const deciding = decisionPolicyOf({ mode: 'four_eyes', source: 'cluster policy prod' }, { policy: 'self', fourEyes: false });
    const input = { ...deciding, reach: { actorScope: undefined, conversationCluster: 'prod' }, conversationOwnerId: 'carol', requestedBy: 'carol', destructive: false, risks: [] };
    expect(decisionRefusal({ ...input, actor: { id: 'carol', role: 'approver' } })?.reason).toMatch(/^Four-eyes \(cluster policy prod\)/);
    expect(decisionRefusal({ ...input, actor: { id: 'bob', role: 'approver' } })).toBeUndefined();
    expect(decisionRefusal({ ...input, actor: { id: 'dave', role: 'member' } })).toMatchObject({ hidden: true });
    // no recorded policy: the environment decides, as before
    expect(decisionPolicyOf(undefined, { policy: 'approver', fourEyes: true })).toEqual({ policy: 'approver', fourEyes: true });
  });
});

describe('member scope', () => {
  const refusal = (args: Record<string, unknown>, tool = 'k8s_get', scope = { clusters: ['alpha'], namespaces: ['shop', 'pay-*'] }, cluster = 'alpha') =>
    scopeRefusal({ scope, tool, args, cluster, target: targetOf(args), defaultNamespace: 'default' });

  it('allows the namespaces it names (globs too) in the clusters it names', () => {
    expect(refusal({ namespace: 'shop' })).toBeUndefined();
    expect(refusal({ namespace: 'pay-eu' })).toBeUndefined();
    expect(refusal({ namespace: 'shop' }, 'k8s_get', { clusters: ['alpha'], namespaces: ['shop', 'pay-*'] }, 'beta')).toMatch(/cluster beta is outside your scope/);
    expect(scopeRefusal({ scope: undefined, tool: 'k8s_delete', args: {}, cluster: 'beta', target: targetOf({}), defaultNamespace: 'kube-system' })).toBeUndefined();
  });

  it('refuses other namespaces, the default one when not allowed, all namespaces, cluster-wide objects and manifests naming others', () => {
    expect(refusal({ namespace: 'payments' })).toMatch(/namespace payments in cluster alpha is outside your scope/);
    expect(refusal({})).toMatch(/namespace default/);
    // a write (or a tool without namespace) across all namespaces cannot be limited: refused; a limitable read is not (limited-listing.ts)
    expect(refusal({ all_namespaces: true })).toMatch(/across all namespaces is outside your scope, and it cannot be limited to your namespaces \(shop, pay-\*\)/);
    expect(scopeRefusal({ scope: { namespaces: ['shop'] }, tool: 'k8s_get', args: { all_namespaces: true }, cluster: 'alpha', target: targetOf({ all_namespaces: true }), defaultNamespace: 'default', limitable: true })).toBeUndefined();
    expect(refusal({ resource_type: 'nodes', namespace: 'shop' })).toMatch(/cluster-scoped objects/);
    expect(refusal({ resource_type: 'nodes', all_namespaces: true })).toMatch(/cluster-scoped objects/);
    expect(refusal({ name: 'n1' }, 'k8s_drain')).toMatch(/cluster-scoped objects/);
    expect(refusal({ namespace: 'shop', content: 'kind: Deployment\nmetadata:\n  name: x\n  namespace: kube-system\n' }, 'k8s_apply')).toMatch(/namespace kube-system/);
    expect(refusal({ namespace: 'shop', content: 'kind: ClusterRoleBinding\nmetadata:\n  name: x\n' }, 'k8s_apply')).toMatch(/cluster-scoped objects/);
  });
});

describe('args hash binds the cluster', () => {
  it('the same arguments for another API server (or another cluster name) are another call; the label is not part of it', () => {
    const args = { name: 'web', replicas: 5, context: 'beta' };
    const bound = hashToolCall('k8s_scale', args, { name: 'beta', server: 'https://b:6443' });
    expect(hashToolCall('k8s_scale', args, { name: 'beta', server: 'https://elsewhere:6443' })).not.toBe(bound);
    expect(hashToolCall('k8s_scale', args, { name: 'alpha', server: 'https://b:6443' })).not.toBe(bound);
    expect(hashToolCall('k8s_scale', args)).not.toBe(bound);
    expect(hashToolCall('k8s_scale', args, { name: 'beta', server: 'https://b:6443', label: 'prod' } as { name: string; server: string })).toBe(bound);
  });
});

describe('cluster directory and health', () => {
  const cluster = (name: string, reachable: boolean, extra: Partial<ClusterStatus> = {}): ClusterStatus => ({ name, server: `https://${name}:6443`, current: name === 'alpha', reachable, ...extra });

  it('asks list_clusters once per cache period (a stale listing answers at once while a fresh one is fetched), and reports none for an MCP server without it', async () => {
    let listed = 0;
    let now = 0;
    const gateway = (withTool: boolean): ToolGateway => ({
      listTools: async () => (withTool ? [{ name: 'list_clusters', title: '', description: '', inputSchema: {}, tags: [] }] : []),
      callTool: async () => {
        listed += 1;
        return { text: '', isError: false, structured: { clusters: [cluster('alpha', true)] } };
      },
      preview: async () => undefined,
      close: async () => undefined,
    });
    const directory = createClusterDirectory({ tools: gateway(true), ttlMs: 1000, now: () => now });
    await Promise.all([directory.list(), directory.list()]);
    await directory.list();
    expect(listed).toBe(1);
    now = 1500;
    expect((await directory.current())?.name).toBe('alpha');
    await vi.waitFor(() => expect(listed).toBe(2));
    // the background listing was asked; let its promise chain store the result (microtasks, no clock) before the clock moves
    await new Promise((resolve) => setImmediate(resolve));
    // past maxStaleMs (60 s by default) a caller waits for the fresh listing; refresh always does
    now = 100_000;
    await directory.list();
    expect(listed).toBe(3);
    await directory.list({ refresh: true });
    expect(listed).toBe(4);
    expect(await createClusterDirectory({ tools: gateway(false) }).list()).toEqual([]);
  });

  it('names every unreachable cluster and why', () => {
    expect(describeClusterHealth([cluster('alpha', true), cluster('beta', true)])).toEqual({ ok: true, detail: 'ok' });
    expect(describeClusterHealth([cluster('alpha', true), cluster('beta', false, { error: 'connect ECONNREFUSED' }), cluster('gamma', false)])).toEqual({
      ok: false,
      detail: 'error: beta unreachable (connect ECONNREFUSED); gamma unreachable',
    });
  });

  it('calls rejected credentials a fault of this replica (readiness takes it out), an unreachable cluster not', () => {
    expect(describeClusterHealth([cluster('alpha', false), cluster('beta', false, { credentials_rejected: true })])).toEqual({
      ok: false,
      detail: 'error: alpha unreachable; beta credentials rejected',
      replicaFault: true,
    });
    expect(describeClusterHealth([cluster('alpha', false)]).replicaFault).toBeUndefined();
  });
});
