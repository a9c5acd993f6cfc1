/**
 * Issue 22 item 6 end to end: a member limited to namespace `shop` of cluster `alpha` (two kube-sims behind one
 * kubeconfig, the all-in-one engine with its embedded MCP server and PGlite, llm-sim as the model). Their listings
 * across all namespaces (pods, events, Helm releases, with the real kubectl/helm state behind them) are limited to
 * `shop`: the objects of `payments` (all named "ledger…") never reach the tool result, the stream, the model or the
 * database. The model is offered only alpha and only shop; node tools are not offered, and nodes are refused. A scope
 * narrowed after a change was proposed refuses it at execution, and the cluster is left as it was.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { repoRoot } from '@skyflo/testkit/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SseFrame } from '../../src/testing/read-sse.ts';
import { find, shopAndPaymentsNamespaces, startTwoClusterEngine, type TwoClusterEngine } from './harness.ts';

const demoChart = path.join(repoRoot, 'packages/mcp-server/test/fixtures/charts/demo-app');
let fx: TwoClusterEngine;
const kubectl = (context: string, ...args: string[]) => fx.kubectl(context, ...args);
const helm = (context: string, ...args: string[]) => fx.helm(context, ...args);
const api = (method: string, pathname: string, token: string, body?: unknown) => fx.api(method, pathname, token, body);
const stream = (pathname: string, body: unknown, token: string) => fx.stream(pathname, body, token);
const resultText = (frames: SseFrame[], callId: string) => {
  const result = find(frames, 'tool.result').find((event) => event['call_id'] === callId);
  return result ? (result['result'] as Array<{ text: string }>)[0]!.text : undefined;
};

const deployment = (name: string, namespace: string) => `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: ${name}, image: nginx:1.27}]}
`;
const workloads = `${shopAndPaymentsNamespaces}${deployment('storefront', 'shop')}${deployment('ledger', 'payments')}`;

const crd = (plural: string, kind: string, scope: 'Namespaced' | 'Cluster', shortNames: string[]) => `---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: ${plural}.example.com}
spec:
  group: example.com
  scope: ${scope}
  names: {plural: ${plural}, singular: ${kind.toLowerCase()}, kind: ${kind}, shortNames: [${shortNames.join(', ')}]}
  versions:
    - name: v1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`;
const crds = crd('widgets', 'Widget', 'Namespaced', ['wg']) + crd('clusterwidgets', 'ClusterWidget', 'Cluster', ['cwg']);
const widgets = `apiVersion: example.com/v1
kind: Widget
metadata: {name: shop-widget, namespace: shop}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: ledger-widget, namespace: payments}
---
apiVersion: example.com/v1
kind: ClusterWidget
metadata: {name: ledger-global}
`;

beforeAll(async () => {
  fx = await startTwoClusterEngine({
    prefix: 'skyflo-clusters-scope-',
    async seed({ directory, kubectl, helm }) {
      const manifest = path.join(directory, 'workloads.yaml');
      await writeFile(manifest, workloads);
      await kubectl('alpha', 'apply', '-f', manifest);
      await helm('alpha', 'install', 'shop-site', demoChart, '--namespace', 'shop');
      await helm('alpha', 'install', 'ledger-site', demoChart, '--namespace', 'payments');
    },
  });
  expect((await api('PATCH', `/team/members/${fx.memberId}/scope`, fx.adminToken, { clusters: ['alpha'], namespaces: ['shop'] })).status).toBe(200);
}, 120_000);

afterAll(async () => {
  await fx?.close();
});

describe('a member limited to namespace shop of cluster alpha', () => {
  let conversationId: string;

  it('asking for pods, events and Helm releases in all namespaces gets only shop, and says the listing was limited', async () => {
    // the premise: payments has pods and a release, which an unlimited listing shows
    expect(await kubectl('alpha', 'get', 'pods', '-A', '-o', 'name')).toMatch(/pod\/ledger-/);
    expect(await helm('alpha', 'list', '--all-namespaces', '--short')).toMatch(/ledger-site/);
    fx.sim.reset({
      rules: [
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_pods', name: 'k8s_get', arguments: { resource_type: 'pods', all_namespaces: true } }] } },
        { match: { sequence: 2 }, reply: { toolCalls: [{ id: 'call_events', name: 'k8s_get', arguments: { resource_type: 'events', all_namespaces: true } }] } },
        { match: { sequence: 3 }, reply: { toolCalls: [{ id: 'call_load_helm', name: 'load_toolset', arguments: { toolset: 'helm', include_write_tools: false } }] } },
        { match: { sequence: 4 }, reply: { toolCalls: [{ id: 'call_releases', name: 'helm_list_releases', arguments: { all_namespaces: true } }] } },
        { match: { sequence: 5 }, reply: { toolCalls: [{ id: 'call_nodes', name: 'k8s_get', arguments: { resource_type: 'nodes' } }] } },
        { match: { sequence: 6 }, reply: 'Only shop is yours.' },
      ],
    });
    const { frames, raw } = await stream('/agent/chat', { messages: [{ role: 'user', content: 'what runs everywhere?' }] }, fx.memberToken);
    conversationId = String(frames[0]!.data['conversation_id']);

    const pods = resultText(frames, 'call_pods')!;
    expect(pods.split('\n')[0]).toBe('Listing limited to the namespaces shop by your scope: all namespaces were asked for, and namespaces outside your scope were not listed.');
    expect(pods).toMatch(/Namespace shop:\n[\s\S]*storefront-/);
    const releases = resultText(frames, 'call_releases')!;
    expect(releases).toMatch(/^Listing limited to the namespaces shop by your scope/);
    expect(releases).toMatch(/shop-site/);
    expect(resultText(frames, 'call_events')).toMatch(/^Listing limited to the namespaces shop by your scope/);
    // nodes are cluster-scoped: refused, with the reason
    expect(find(frames, 'tool.error').map((error) => [error['call_id'], error['code']])).toEqual([['call_nodes', 'OUT_OF_SCOPE']]);
    expect(String(find(frames, 'tool.error')[0]!['error'])).toMatch(/acts on cluster-scoped objects .* your scope is limited to the namespaces shop/);
    // nothing of payments anywhere in the stream, nor in what the model was sent
    expect(raw).not.toMatch(/ledger/);
    expect(JSON.stringify(fx.sim.calls.map((call) => call.messages))).not.toMatch(/ledger/);
  });

  it('the model is offered only cluster alpha and namespace shop, and no node tools', () => {
    const first = fx.sim.calls[0]!;
    const system = String(first.messages.find((message) => message.role === 'system')?.content);
    expect(system).toMatch(/Clusters:\n- alpha\n/);
    expect(system).not.toMatch(/beta/);
    expect(system).toMatch(/scope allows only the namespaces shop/);
    expect(first.toolNames).toContain('k8s_get');
    expect(first.toolNames).not.toContain('k8s_top_nodes');
    expect(first.toolNames).not.toContain('k8s_cluster_info');
    const tools = first.body['tools'] as Array<{ function: { name: string; parameters: { properties: Record<string, { enum?: string[]; description?: string }> } } }>;
    const get = tools.find((tool) => tool.function.name === 'k8s_get')!.function.parameters.properties;
    expect(get['context']!.enum).toEqual(['alpha']);
    expect(get['context']!.description).not.toMatch(/beta/);
    expect(get['namespace']!.description).toMatch(/Your scope allows only the namespaces shop/);
  });

  it("custom resources are placed by the cluster's own CRDs: a cluster-scoped one is refused, a namespaced one is limited", async () => {
    await writeFile(path.join(fx.directory, 'crds.yaml'), crds);
    await kubectl('alpha', 'apply', '-f', path.join(fx.directory, 'crds.yaml'));
    await writeFile(path.join(fx.directory, 'widgets.yaml'), widgets);
    await kubectl('alpha', 'apply', '-f', path.join(fx.directory, 'widgets.yaml'));
    expect(await kubectl('alpha', 'get', 'widgets', '-A', '-o', 'name')).toMatch(/ledger-widget/);
    fx.sim.reset({
      rules: [
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_cw', name: 'k8s_get', arguments: { resource_type: 'clusterwidgets' } }] } },
        { match: { sequence: 2 }, reply: { toolCalls: [{ id: 'call_cw_group', name: 'k8s_get', arguments: { resource_type: 'cwg.example.com', namespace: 'shop' } }] } },
        { match: { sequence: 3 }, reply: { toolCalls: [{ id: 'call_widgets', name: 'k8s_get', arguments: { resource_type: 'widgets.example.com', all_namespaces: true } }] } },
        { match: { sequence: 4 }, reply: 'Done.' },
      ],
    });
    const { frames, raw } = await stream('/agent/chat', { messages: [{ role: 'user', content: 'widgets?' }], conversation_id: conversationId }, fx.memberToken);
    expect(find(frames, 'tool.error').map((error) => [error['call_id'], error['code']])).toEqual([
      ['call_cw', 'OUT_OF_SCOPE'],
      ['call_cw_group', 'OUT_OF_SCOPE'],
    ]);
    expect(String(find(frames, 'tool.error')[0]!['error'])).toMatch(/cluster-scoped objects/);
    expect(resultText(frames, 'call_widgets')).toMatch(/^Listing limited to the namespaces shop by your scope[\s\S]*shop-widget/);
    expect(raw).not.toMatch(/ledger/);
  });

  it("narrowed between the approval request and the admin's approval: refused at execution, the cluster unchanged", async () => {
    expect((await api('PUT', '/clusters/policies', fx.adminToken, { policies: [{ cluster: 'alpha', mode: 'approver' }] })).status).toBe(200);
    try {
      fx.sim.reset({
        rules: [
          { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load_w', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
          { match: { sequence: 2 }, reply: { toolCalls: [{ id: 'call_scale_front', name: 'k8s_scale', arguments: { resource_type: 'deployment', name: 'storefront', namespace: 'shop', replicas: 3 } }] } },
          { match: { toolName: 'k8s_scale' }, reply: 'Not scaled.' },
        ],
      });
      const { frames } = await stream('/agent/chat', { messages: [{ role: 'user', content: 'scale storefront to 3' }] }, fx.memberToken);
      const awaiting = find(frames, 'tool.awaiting_approval')[0]!;
      expect(awaiting).toMatchObject({ call_id: 'call_scale_front', cluster: { name: 'alpha' }, namespace: 'shop' });
      expect((await api('PATCH', `/team/members/${fx.memberId}/scope`, fx.adminToken, { clusters: ['alpha'], namespaces: ['web'] })).status).toBe(200);
      const decided = await stream('/agent/approvals/call_scale_front', { approve: true, conversation_id: String(frames[0]!.data['conversation_id']), args_hash: awaiting['args_hash'] }, fx.adminToken);
      expect(find(decided.frames, 'tool.error').map((error) => [error['call_id'], error['code']])).toEqual([['call_scale_front', 'OUT_OF_SCOPE']]);
      expect(String(find(decided.frames, 'tool.error')[0]!['error'])).toMatch(/^Not executed: k8s_scale is no longer inside the requester's scope .* namespace shop in cluster alpha is outside your scope \(you may use web\)/);
      expect(await kubectl('alpha', 'get', 'deployment', 'storefront', '-n', 'shop', '-o', 'jsonpath={.spec.replicas}')).toBe('1');
    } finally {
      await api('PUT', '/clusters/policies', fx.adminToken, { policies: [] });
      await api('PATCH', `/team/members/${fx.memberId}/scope`, fx.adminToken, { clusters: ['alpha'], namespaces: ['shop'] });
    }
  });

  it('the database holds nothing of payments either (timeline, checkpoints, audit, every table)', async () => {
    const timeline = await api('GET', `/conversations/${conversationId}`, fx.adminToken);
    expect(timeline.status).toBe(200);
    expect(JSON.stringify(timeline.json)).toMatch(/storefront-/);
    expect(JSON.stringify(timeline.json)).not.toMatch(/ledger/);
    const dataDir = path.join(fx.directory, 'data', 'pglite');
    await fx.closeEngine();
    const db = await PGlite.create(dataDir);
    try {
      const tables = await db.query<{ table_schema: string; table_name: string }>(`SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`);
      expect(tables.rows.length).toBeGreaterThan(3);
      let everything = '';
      let decoded = '';
      for (const table of tables.rows) {
        const rows = await db.query<{ row: string }>(`SELECT t::text AS row FROM "${table.table_schema}"."${table.table_name}" t`);
        for (const { row } of rows.rows) {
          // bytea columns (the checkpoints' message blobs) print as \x<hex>: decode them so their content is searched too
          everything += row.replace(/\\{1,2}x([0-9a-f]+)/g, (_match, hex: string) => {
            const text = Buffer.from(hex, 'hex').toString('utf8');
            decoded += text;
            return text;
          }) + '\n';
        }
      }
      // the pods listing is in the checkpointed messages (decoded) as well as the timeline
      expect(decoded).toMatch(/storefront-/);
      expect(everything).toMatch(/storefront-/);
      expect(everything).not.toMatch(/ledger/);
    } finally {
      await db.close();
    }
  });
});
