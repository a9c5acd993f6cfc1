/**
 * Issue 22, scope per team member, rule by rule: which kinds are cluster-scoped (a definite table, not a pattern),
 * what a manifest targets, how a listing across all namespaces is limited to the member's namespaces, and what the
 * model is offered (tools, the `context`/`namespace` arguments, the prompt) for a scoped member.
 */
import type { ClusterStatus } from '@skyflo/protocol';
import { describe, expect, it } from 'vitest';
import { isClusterScopedKind, isClusterScopedResource, manifestObjects } from './cluster-scoped-kinds.ts';
import { actsOutsideNamespaces, targetOf } from './cluster-target.ts';
import { limitedToNamespaces } from './limited-listing.ts';
import type { ToolGateway, ToolInfo } from '../../platform/ports/tool-gateway.ts';
import { clusterPrompt } from './cluster-prompt.ts';
import { exposeTools, scopedSchema, toolScopeFor } from '../../app/graph/tool-exposure.ts';
import type { ClusterDirectory } from './cluster-directory.ts';
import { createClusterGate } from './cluster-gate.ts';
import type { ClusterPolicies } from './cluster-policies.ts';
import type { ApprovalRecord } from '../../platform/ports/index.ts';

describe('cluster-scoped kinds', () => {
  it.each([
    ['nodes', true],
    ['no', true],
    ['Namespace', true],
    ['ns', true],
    ['pv', true],
    ['persistentvolumes', true],
    ['clusterroles.rbac.authorization.k8s.io', true],
    ['crd', true],
    ['storageclasses', true],
    ['nodes.metrics.k8s.io', true],
    ['pods', false],
    ['pvc', false],
    ['persistentvolumeclaims', false],
    ['pods.metrics.k8s.io', false],
    ['roles', false],
    ['rolebindings.rbac.authorization.k8s.io', false],
    ['deployments.apps', false],
    ['nodesx', false],
    ['events', false],
  ])('resource type %s → cluster-scoped %s', (type, expected) => {
    expect(isClusterScopedResource(type)).toBe(expected);
  });

  it.each([
    ['ClusterRole', 'rbac.authorization.k8s.io/v1', true],
    ['Namespace', 'v1', true],
    ['PersistentVolume', 'v1', true],
    ['IngressClass', 'networking.k8s.io/v1', true],
    ['Role', 'rbac.authorization.k8s.io/v1', false],
    ['Deployment', 'apps/v1', false],
    // the same kind name in another group is not the built-in one (a custom resource's scope is its CRD's)
    ['Namespace', 'example.com/v1', false],
  ])('kind %s (%s) → cluster-scoped %s', (kind, apiVersion, expected) => {
    expect(isClusterScopedKind(kind, apiVersion)).toBe(expected);
  });

  it('reads each document of a manifest: kind, apiVersion and metadata.namespace (block and flow style), not a namespace field elsewhere', () => {
    const manifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    metadata:
      namespace: not-this-one
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: payments}
---
# only a comment
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: reader
`;
    expect(manifestObjects(manifest)).toEqual([
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop' },
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'payments' },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' },
    ]);
    expect(targetOf({ content: manifest }).manifestNamespaces).toEqual(['shop', 'payments']);
    expect(actsOutsideNamespaces('k8s_apply', { content: manifest })).toBe(true);
    expect(actsOutsideNamespaces('k8s_apply', { content: manifest.split('---')[0]! })).toBe(false);
    expect(manifestObjects('{"kind":"List","items":[{"apiVersion":"v1","kind":"Node","metadata":{"name":"n"}}]}')).toEqual([{ apiVersion: 'v1', kind: 'Node' }]);
    // a document whose kind cannot be read cannot be placed in a namespace
    expect(actsOutsideNamespaces('k8s_apply', { content: 'metadata:\n  name: x\n' })).toBe(true);
  });
});

describe('a listing across all namespaces, limited to the scope', () => {
  function fakeCluster(pods: Record<string, string[]>) {
    const calls: Array<Record<string, unknown>> = [];
    const tools: Pick<ToolGateway, 'callTool'> = {
      async callTool({ name, args }) {
        calls.push({ name, ...args });
        if (args['resource_type'] === 'namespaces') return { text: Object.keys(pods).map((namespace) => `namespace/${namespace}`).join('\n'), isError: false };
        const namespace = String(args['namespace']);
        if (!(namespace in pods)) return { text: `No resources found in namespace "${namespace}".`, isError: false };
        return { text: `NAME\n${pods[namespace]!.join('\n')}`, isError: false };
      },
    };
    return { tools, calls };
  }

  it.each([
    { patterns: ['shop'], listed: ['shop'], shown: ['web-1'], hidden: ['api-1', 'dns-1'], listsNamespaces: false },
    { patterns: ['shop', 'pay-*'], listed: ['pay-eu', 'pay-us', 'shop'], shown: ['web-1', 'eu-1', 'us-1'], hidden: ['api-1', 'dns-1'], listsNamespaces: true },
    { patterns: ['nothing-*'], listed: [], shown: [], hidden: ['web-1', 'api-1', 'dns-1', 'eu-1'], listsNamespaces: true },
  ])('scope $patterns: lists $listed only', async ({ patterns, listed, shown, hidden, listsNamespaces }) => {
    const { tools, calls } = fakeCluster({ shop: ['web-1'], payments: ['api-1'], 'kube-system': ['dns-1'], 'pay-eu': ['eu-1'], 'pay-us': ['us-1'] });
    const outcome = await limitedToNamespaces(tools, { patterns, cluster: 'alpha' }).callTool({ name: 'k8s_get', args: { resource_type: 'pods', all_namespaces: true, context: 'alpha' } });
    expect(outcome.isError).toBe(false);
    expect(outcome.text.split('\n')[0]).toMatch(new RegExp(`^Listing limited to the namespaces ${listed.length ? listed.join(', ') : 'none'}\\b.* by your scope`));
    for (const name of shown) expect(outcome.text).toContain(name);
    for (const name of hidden) expect(outcome.text).not.toContain(name);
    // the listing never asked for all namespaces, and asked each allowed namespace in the named cluster
    const listings = calls.filter((call) => call['resource_type'] === 'pods');
    expect(listings.map((call) => call['namespace'])).toEqual(listed);
    expect(listings.every((call) => call['all_namespaces'] === undefined && call['context'] === 'alpha')).toBe(true);
    expect(calls.some((call) => call['resource_type'] === 'namespaces')).toBe(listsNamespaces);
  });

  it('an error in one namespace is shown in its section; the answer is an error only when every namespace failed', async () => {
    const tools: Pick<ToolGateway, 'callTool'> = {
      async callTool({ args }) {
        return args['namespace'] === 'shop' ? { text: 'NAME\nweb-1', isError: false } : { text: 'forbidden', isError: true };
      },
    };
    const partly = await limitedToNamespaces(tools, { patterns: ['shop', 'web'], cluster: 'alpha' }).callTool({ name: 'k8s_get', args: { resource_type: 'pods', all_namespaces: true } });
    expect(partly.isError).toBe(false);
    expect(partly.text).toMatch(/Namespace web:\nError: forbidden/);
    const failed = await limitedToNamespaces(tools, { patterns: ['web'], cluster: 'alpha' }).callTool({ name: 'k8s_get', args: { resource_type: 'pods', all_namespaces: true } });
    expect(failed.isError).toBe(true);
  });
});

describe('what a scoped member is offered', () => {
  const tool = (name: string, properties: Record<string, unknown>, readOnly = true): ToolInfo => ({
    name,
    title: name,
    description: name,
    inputSchema: { type: 'object', properties },
    annotations: { readOnlyHint: readOnly },
    tags: [],
    toolset: 'k8s',
  });
  const catalogue = [
    tool('k8s_get', { context: { type: 'string', description: 'cluster' }, namespace: { type: 'string', description: 'Namespace to list in' }, all_namespaces: { type: 'boolean' } }),
    tool('k8s_top_nodes', { context: { type: 'string' } }),
    tool('k8s_cluster_info', { context: { type: 'string' } }),
    tool('k8s_cordon', { context: { type: 'string' }, name: { type: 'string' } }, false),
    tool('k8s_scale', { context: { type: 'string' }, namespace: { type: 'string' } }, false),
  ];
  const clusters: ClusterStatus[] = [
    { name: 'alpha', server: 'https://a', current: true, reachable: true },
    { name: 'beta', server: 'https://b', current: false, reachable: true, label: 'prod' },
  ];
  const directory: ClusterDirectory = { list: async () => clusters, find: async () => undefined, current: async () => clusters[0] };

  it.each([
    { scope: undefined, offered: ['k8s_get', 'k8s_top_nodes', 'k8s_cluster_info', 'k8s_cordon', 'k8s_scale'] },
    { scope: { clusters: ['alpha'] }, offered: ['k8s_get', 'k8s_top_nodes', 'k8s_cluster_info', 'k8s_cordon', 'k8s_scale'] },
    { scope: { namespaces: ['shop'] }, offered: ['k8s_get', 'k8s_scale'] },
  ])('scope $scope: offered $offered (write tools loaded)', ({ scope, offered }) => {
    expect(exposeTools(catalogue, { k8s: true }, { jenkinsAvailable: false, scope }).map((entry) => entry.name)).toEqual(offered);
  });

  it('context lists only the clusters in scope; namespace and all_namespaces name the allowed namespaces', async () => {
    const scope = await toolScopeFor(directory, { clusters: ['al*'], namespaces: ['shop', 'pay-*'] });
    expect(scope).toEqual({ clusters: ['alpha'], namespaces: ['shop', 'pay-*'] });
    const schema = scopedSchema(catalogue[0]!.inputSchema, scope) as { properties: Record<string, { enum?: string[]; description?: string }> };
    expect(schema.properties['context']).toMatchObject({ enum: ['alpha'], description: expect.stringMatching(/allows only alpha\./) });
    expect(schema.properties['context']!.description).not.toMatch(/beta/);
    expect(schema.properties['namespace']!.description).toMatch(/^Namespace to list in\. Your scope allows only the namespaces shop, pay-\*/);
    expect(schema.properties['all_namespaces']!.description).toMatch(/limited to your namespaces \(shop, pay-\*\)/);
    // an unlimited member's schema is the server's, untouched
    expect(await toolScopeFor(directory, undefined)).toBeUndefined();
    expect(scopedSchema(catalogue[0]!.inputSchema, undefined)).toBe(catalogue[0]!.inputSchema);
  });

  it('the prompt names only the clusters in scope and the allowed namespaces', () => {
    const prompt = clusterPrompt({ clusters, pinned: 'alpha', scope: { clusters: ['alpha'], namespaces: ['shop'] } })!;
    expect(prompt).toMatch(/- alpha/);
    expect(prompt).not.toMatch(/beta/);
    expect(prompt).toMatch(/scope allows only the namespaces shop: pass one of them as namespace. A listing across all namespaces is limited to these/);
    // a scope narrowed after the conversation was pinned says so
    expect(clusterPrompt({ clusters, pinned: 'beta', scope: { clusters: ['alpha'] } })).toMatch(/pinned to cluster beta \(now outside your scope/);
  });
});

describe("custom resources, placed by the cluster's CRDs", () => {
  const clusters: ClusterStatus[] = [{ name: 'alpha', server: 'https://a', current: true, reachable: true, default_namespace: 'default' }];
  const directory: ClusterDirectory = { list: async () => clusters, find: async () => clusters[0], current: async () => clusters[0] };
  const info: ToolInfo = { name: 'k8s_get', title: 'Get', description: '', inputSchema: { type: 'object', properties: { context: {}, resource_type: {}, namespace: {}, all_namespaces: {} } }, annotations: { readOnlyHint: true }, tags: [], toolset: 'k8s' };
  const crdList = JSON.stringify({ kind: 'List', items: [{ spec: { group: 'cert-manager.io', scope: 'Cluster', names: { kind: 'ClusterIssuer', plural: 'clusterissuers', singular: 'clusterissuer' } } }, { spec: { group: 'cert-manager.io', scope: 'Namespaced', names: { kind: 'Certificate', plural: 'certificates', singular: 'certificate', shortNames: ['cert'] } } }] });

  it.each([
    { what: 'a cluster-scoped custom resource, namespace named', args: { resource_type: 'clusterissuers', namespace: 'shop' }, crds: { text: crdList, isError: false }, scope: { namespaces: ['shop'] }, refused: /acts on cluster-scoped objects/, asked: 1 },
    { what: 'its group-qualified name', args: { resource_type: 'clusterissuers.cert-manager.io', namespace: 'shop' }, crds: { text: crdList, isError: false }, scope: { namespaces: ['shop'] }, refused: /acts on cluster-scoped objects/, asked: 1 },
    { what: 'a namespaced custom resource by short name', args: { resource_type: 'cert', namespace: 'shop' }, crds: { text: crdList, isError: false }, scope: { namespaces: ['shop'] }, refused: undefined, asked: 1 },
    { what: 'a manifest of a cluster-scoped custom kind', args: { content: 'apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: x\n', namespace: 'shop' }, crds: { text: crdList, isError: false }, scope: { namespaces: ['shop'] }, refused: /acts on cluster-scoped objects/, asked: 1 },
    { what: 'CRDs unreadable: fail closed', args: { resource_type: 'clusterissuers', namespace: 'shop' }, crds: { text: 'forbidden', isError: true }, scope: { namespaces: ['shop'] }, refused: /CustomResourceDefinitions of cluster alpha could not be read/, asked: 1 },
    { what: 'a built-in type never asks', args: { resource_type: 'deployments.apps', namespace: 'shop' }, crds: { text: 'forbidden', isError: true }, scope: { namespaces: ['shop'] }, refused: undefined, asked: 0 },
    { what: 'an unlimited member never asks', args: { resource_type: 'clusterissuers' }, crds: { text: crdList, isError: false }, scope: undefined, refused: undefined, asked: 0 },
  ])('$what', async ({ args, crds, scope, refused, asked }) => {
    let calls = 0;
    const tools: Pick<ToolGateway, 'callTool'> = {
      async callTool() {
        calls += 1;
        return crds;
      },
    };
    const gate = createClusterGate({ directory, tools });
    const resolved = await gate.resolve({ tool: info.name, info, args, write: false, ...(scope ? { scope } : {}) });
    if (refused) expect(resolved).toMatchObject({ ok: false, code: 'OUT_OF_SCOPE', text: expect.stringMatching(refused) });
    else expect(resolved.ok).toBe(true);
    expect(calls).toBe(asked);
  });
});

describe('the check right before an approved call runs', () => {
  const clusters: ClusterStatus[] = [{ name: 'alpha', server: 'https://a', current: true, reachable: true, default_namespace: 'default' }];
  const directory: ClusterDirectory = { list: async () => clusters, find: async () => clusters[0], current: async () => clusters[0] };
  const record = {
    conversationId: 'c1', callId: 'call_1', runId: 'r1', tool: 'k8s_scale', args: {}, argsHash: 'h', resolution: [], risks: [], destructive: false,
    cluster: { name: 'alpha', server: 'https://a' }, namespace: 'shop',
  } as unknown as ApprovalRecord;
  const args = { context: 'alpha', name: 'web', namespace: 'shop', resource_type: 'deployment', replicas: 3 };

  it('passes when the cluster is the approved one and writable', async () => {
    const policies = { resolve: async () => ({ mode: 'self', source: 'test' }) } as unknown as ClusterPolicies;
    expect(await createClusterGate({ directory, policies }).checkAtExecution(record, args, {})).toBeUndefined();
  });

  it('fails closed: a policy store that throws is a refusal to record (CLUSTER_CHANGED), not an exception', async () => {
    const policies = { resolve: async () => { throw new Error('settings table unavailable'); } } as unknown as ClusterPolicies;
    expect(await createClusterGate({ directory, policies }).checkAtExecution(record, args, {})).toEqual({
      code: 'CLUSTER_CHANGED',
      text: 'Not executed: whether k8s_scale still runs on the cluster it was approved for could not be checked (settings table unavailable).\nNothing was changed.',
    });
  });
});
