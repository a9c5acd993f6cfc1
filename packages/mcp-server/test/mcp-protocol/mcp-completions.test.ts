/**
 * completion/complete (issue 77 item 4) as an MCP client sees it over HTTP with the client token: the prompts' and
 * the workloads resource template's cluster, namespace and workload arguments complete from what the cluster holds
 * (kube-sim), scoped by the arguments already given, names starting with what was typed first. A cluster that
 * cannot be read completes nothing (no error), and a server whose catalogue has no k8s_get reveals no names.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startMcpHttpServer, type McpHttpServer } from '../../src/start-mcp-http-server.ts';
import { allTools } from '../../src/catalogue.ts';
import { clusterRegistryOf } from '../../src/kube/context-deps.ts';
import { workloadsResourceTemplate } from '../../src/resources/cluster-resources.ts';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';

const clientToken = 'completions-client-token';
let harness: KubeHarness;
let server: McpHttpServer;
let noListingServer: McpHttpServer;
let client: Client;
let cluster: string;

const deployment = (name: string, namespace: string) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: ${name}}}\n  template:\n    metadata: {labels: {app: ${name}}}\n    spec: {containers: [{name: main, image: "nginx:1.27"}]}`;

async function connect(url: string): Promise<Client> {
  const connected = new Client({ name: 'completions-test', version: '1.0.0' });
  await connected.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${clientToken}` } } }));
  return connected;
}

beforeAll(async () => {
  harness = await startKubeHarness({ workloads: true });
  const created = await harness.call('k8s_apply', {
    content: [
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}',
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: shipping}',
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: payments-shadow}',
      deployment('checkout', 'shop'),
      deployment('cart', 'shop'),
      deployment('courier', 'shipping'),
      'apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: catalog-db, namespace: shop}\nspec:\n  serviceName: catalog-db\n  replicas: 1\n  selector: {matchLabels: {app: catalog-db}}\n  template:\n    metadata: {labels: {app: catalog-db}}\n    spec: {containers: [{name: db, image: "postgres:17"}]}',
    ].join('\n---\n'),
  });
  expect(created.isError, created.text).toBeFalsy();
  cluster = clusterRegistryOf(harness.deps).clusters()[0].name;
  server = await startMcpHttpServer({ deps: harness.deps, clientToken });
  noListingServer = await startMcpHttpServer({ deps: harness.deps, clientToken, tools: allTools.filter((tool) => tool.name !== 'k8s_get') });
  client = await connect(server.url);
}, 60_000);
afterAll(async () => {
  await client?.close();
  await Promise.all([server?.close(), noListingServer?.close()]);
  await harness?.close();
});

const promptRef = (name: string) => ({ type: 'ref/prompt' as const, name });

describe('completion/complete', () => {
  it('declares the completions capability', () => {
    expect(client.getServerCapabilities()?.completions).toEqual({});
  });

  it('completes the namespaces of the cluster, those starting with what was typed first', async () => {
    const { completion } = await client.complete({ ref: promptRef('diagnose_crashloop_pod'), argument: { name: 'namespace', value: 'sh' } });
    // then those that contain it
    expect(completion.values).toEqual(['shipping', 'shop', 'payments-shadow']);
    const anywhere = await client.complete({ ref: promptRef('diagnose_failed_rollout'), argument: { name: 'namespace', value: 'pa' } });
    // "payments-shadow" starts with it; no other namespace contains it
    expect(anywhere.completion.values).toEqual(['payments-shadow']);
    const contained = await client.complete({ ref: promptRef('diagnose_failed_rollout'), argument: { name: 'namespace', value: 'shad' } });
    expect(contained.completion.values).toEqual(['payments-shadow']);
  });

  it('completes workload names in the namespace already given, with the kinds the prompt is about', async () => {
    const rollout = await client.complete({ ref: promptRef('diagnose_failed_rollout'), argument: { name: 'name', value: 'c' }, context: { arguments: { namespace: 'shop' } } });
    // Deployments only: the StatefulSet catalog-db has no rollout to diagnose here
    expect(rollout.completion.values).toEqual(['cart', 'checkout']);
    const crashing = await client.complete({ ref: promptRef('diagnose_crashloop_pod'), argument: { name: 'name', value: 'ca' }, context: { arguments: { namespace: 'shop', cluster } } });
    expect(crashing.completion.values).toEqual(expect.arrayContaining(['cart', 'catalog-db']));
    // the StatefulSet's pod too (a pod is what crash-loops)
    expect(crashing.completion.values).toEqual(expect.arrayContaining([expect.stringMatching(/^catalog-db-0$/)]));
    expect(crashing.completion.values).not.toContain('courier');
    const alert = await client.complete({ ref: promptRef('investigate_alert'), argument: { name: 'name', value: 'cou' }, context: { arguments: { namespace: 'shipping' } } });
    // the Deployment, then its pod
    expect(alert.completion.values).toEqual(['courier', expect.stringMatching(/^courier-[a-z0-9]+-[a-z0-9]+$/)]);
  });

  it('completes cluster names for the prompts and the resource template, and the template\'s namespaces', async () => {
    const prompt = await client.complete({ ref: promptRef('investigate_alert'), argument: { name: 'cluster', value: '' } });
    expect(prompt.completion.values).toEqual([cluster]);
    const template = await client.complete({ ref: { type: 'ref/resource', uri: workloadsResourceTemplate }, argument: { name: 'cluster', value: cluster.slice(0, 2) } });
    expect(template.completion.values).toEqual([cluster]);
    const namespaces = await client.complete({ ref: { type: 'ref/resource', uri: workloadsResourceTemplate }, argument: { name: 'namespace', value: 'shi' }, context: { arguments: { cluster } } });
    expect(namespaces.completion.values).toEqual(['shipping']);
  });

  it('completes nothing, without an error, for a cluster it does not know', async () => {
    const { completion } = await client.complete({ ref: promptRef('diagnose_crashloop_pod'), argument: { name: 'namespace', value: '' }, context: { arguments: { cluster: 'no-such-cluster' } } });
    expect(completion.values).toEqual([]);
    const names = await client.complete({ ref: promptRef('diagnose_crashloop_pod'), argument: { name: 'name', value: '' }, context: { arguments: { namespace: '../secrets' } } });
    expect(names.completion.values).toEqual([]);
  });

  it('reveals no cluster names to a client of a server whose catalogue has no k8s_get', async () => {
    const limited = await connect(noListingServer.url);
    try {
      // nothing completes there, so it declares no completions and refuses the method
      expect(limited.getServerCapabilities()?.completions).toBeUndefined();
      await expect(limited.complete({ ref: promptRef('diagnose_crashloop_pod'), argument: { name: 'namespace', value: '' } })).rejects.toThrow(/-32601/);
    } finally {
      await limited.close();
    }
  });
});
