/**
 * Issue 77 item 1: one /mcp endpoint serves every protocol generation a client may speak, each through the MCP SDK's
 * own client of that generation: the current revision (2026-07-28: no initialize, no session, each request carries
 * its version and capabilities; the SDK v2 client) and the 2025 ones still in the field (2025-11-25 from the SDK v1
 * client that IDEs ship today, 2025-06-18 from the v2 client pinned to it). Each lists the catalogue and calls a tool
 * against the simulated cluster; the engine's trusted token changes the cluster on the current revision too, and a
 * direct client's change is never run there without a human asked (item 2 will ask through input_required).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { startMcpHttpServer, type McpHttpServer } from '../../src/start-mcp-http-server.ts';
import { kubectlPath } from '@skyflo/testkit/tools';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';
import { skyfloEntry } from '@skyflo/testkit/services';

const clientToken = 'generations-client-token';
const engineToken = 'generations-engine-token';

let harness: KubeHarness;
let server: McpHttpServer;
const closers: Array<() => Promise<void>> = [];

const headers = (token: string) => ({ requestInit: { headers: { Authorization: `Bearer ${token}` } } });
const textOf = (result: object) => ((result as { content: unknown }).content as Array<{ type: string; text: string }>).map((part) => part.text).join('\n');

/** The SDK v2 client: `modern` negotiates 2026-07-28 (and nothing else), `pinned` offers only that 2025 version. */
async function connectV2(options: { modern: true } | { pinned: string }, token = clientToken): Promise<Client> {
  const client = new Client(
    { name: 'generations-v2', version: '1.0.0' },
    'modern' in options ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : { supportedProtocolVersions: [options.pinned] },
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(server.url), headers(token)));
  closers.push(() => client.close());
  return client;
}

async function connectV1(): Promise<ClientV1> {
  const transport = new TransportV1(new URL(server.url), headers(clientToken));
  const client = new ClientV1({ name: 'generations-v1', version: '1.0.0' });
  await client.connect(transport);
  closers.push(() => client.close());
  return client;
}

async function replicasOf(name: string): Promise<number> {
  const deployments = harness.sim.cluster.registry.byResource('apps', 'deployments')!;
  return Number((harness.sim.cluster.store.get(deployments, 'default', name) as { spec?: { replicas?: number } } | undefined)?.spec?.replicas);
}

beforeAll(async () => {
  harness = await startKubeHarness();
  await harness.call('k8s_apply', {
    content: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: generations, namespace: default}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: generations}}\n  template:\n    metadata: {labels: {app: generations}}\n    spec: {containers: [{name: web, image: nginx}]}\n',
  });
  server = await startMcpHttpServer({ deps: harness.deps, clientToken, authToken: engineToken });
}, 60_000);

afterAll(async () => {
  await Promise.all(closers.map((close) => close().catch(() => undefined)));
  await server?.close();
  await harness?.close();
});

describe('every client generation on one endpoint', () => {
  it('2026-07-28 (SDK v2 client): no session, lists the tools and calls one', async () => {
    const client = await connectV2({ modern: true });
    expect(client.getProtocolEra()).toBe('modern');
    expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    expect(client.getServerVersion()?.name).toBe('skyflo-mcp');
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['k8s_get', 'k8s_scale', 'preview_tool_call']));
    expect(tools.find((tool) => tool.name === 'k8s_scale')?.annotations?.readOnlyHint).toBe(false);
    const result = await client.callTool({ name: 'k8s_get', arguments: { resource_type: 'nodes', output: 'name' } });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(textOf(result)).toContain('node/sim-worker-1');
  });

  it('2025-11-25 (SDK v1 client): initialize, a session, lists the tools and calls one', async () => {
    const client = await connectV1();
    expect(client.getServerVersion()?.name).toBe('skyflo-mcp');
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['k8s_get', 'k8s_scale']));
    const result = await client.callTool({ name: 'k8s_get', arguments: { resource_type: 'nodes', output: 'name' } });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(textOf(result)).toContain('node/sim-worker-1');
  });

  it('2025-06-18 (SDK v2 client pinned to it): the server answers in that version, lists the tools and calls one', async () => {
    const client = await connectV2({ pinned: '2025-06-18' });
    expect(client.getProtocolEra()).toBe('legacy');
    expect(client.getNegotiatedProtocolVersion()).toBe('2025-06-18');
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['k8s_get', 'k8s_scale']));
    const result = await client.callTool({ name: 'k8s_get', arguments: { resource_type: 'deployments', namespace: 'default', output: 'name' } });
    expect(textOf(result)).toContain('deployment.apps/generations');
  });

  it('2026-07-28 over stdio (skyflo mcp --stdio, SDK v2 client): lists the tools and calls one', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [skyfloEntry(), 'mcp', '--stdio', '--kubeconfig', harness.kubeconfigPath],
      env: { ...(process.env as Record<string, string>), KUBECTL_PATH: kubectlPath },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'generations-stdio', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(transport);
    closers.push(() => client.close());
    expect(client.getProtocolEra()).toBe('modern');
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('k8s_get');
    const result = await client.callTool({ name: 'k8s_get', arguments: { resource_type: 'nodes', output: 'name' } });
    expect(textOf(result)).toContain('node/sim-worker-1');
  }, 60_000);

  it('2026-07-28: the engine\'s token changes the cluster; a direct client that cannot elicit is refused, with nothing run', async () => {
    const before = await replicasOf('generations');
    const engine = await connectV2({ modern: true }, engineToken);
    const scaled = await engine.callTool({ name: 'k8s_scale', arguments: { name: 'generations', resource_type: 'deployment', replicas: before + 1, namespace: 'default' } });
    expect(scaled.isError, textOf(scaled)).toBeFalsy();
    expect(await replicasOf('generations')).toBe(before + 1);

    const direct = await connectV2({ modern: true });
    const refused = await direct.callTool({ name: 'k8s_scale', arguments: { name: 'generations', resource_type: 'deployment', replicas: before + 5, namespace: 'default' } });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/did not declare the elicitation capability/);
    expect(await replicasOf('generations')).toBe(before + 1);
  });

  it.each([
    ['accept', true],
    ['decline', false],
  ] as const)('2026-07-28 in band (input_required): a direct client that can elicit is asked with the dry-run diff; %s', async (action, runs) => {
    const before = await replicasOf('generations');
    const client = new Client({ name: 'generations-eliciting', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: { pin: '2026-07-28' } } });
    const asked: string[] = [];
    client.setRequestHandler('elicitation/create', async (request) => {
      asked.push(String((request.params as { message?: string }).message));
      return { action };
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url), headers(clientToken)));
    closers.push(() => client.close());
    const result = await client.callTool({ name: 'k8s_scale', arguments: { name: 'generations', resource_type: 'deployment', replicas: before + 2, namespace: 'default' } });
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain('Run k8s_scale');
    expect(asked[0]).toContain(`replicas: ${before + 2}`);
    expect(result.isError === true, textOf(result)).toBe(!runs);
    if (!runs) expect(textOf(result)).toMatch(/declined k8s_scale; nothing was run/);
    expect(await replicasOf('generations')).toBe(runs ? before + 2 : before);
  });

  /**
   * An attacker's client: it can elicit and accepts, but its retry (the request carrying `requestState`) is rewritten on
   * the wire by `tamper` before the server reads it.
   */
  async function tamperingClient(tamper: (params: Record<string, unknown>) => void): Promise<Client> {
    const client = new Client({ name: 'generations-tampering', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: { pin: '2026-07-28' } } });
    client.setRequestHandler('elicitation/create', async () => ({ action: 'accept' }));
    const rewrite: typeof fetch = async (input, init) => {
      if (typeof init?.body === 'string') {
        const message = JSON.parse(init.body) as { params?: Record<string, unknown> };
        if (message.params?.['requestState'] !== undefined) {
          tamper(message.params);
          return fetch(input, { ...init, body: JSON.stringify(message) });
        }
      }
      return fetch(input, init);
    };
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { ...headers(clientToken), fetch: rewrite }));
    closers.push(() => client.close());
    return client;
  }

  it('2026-07-28 in band, attacked: a forged requestState with an accept runs nothing (possession of a state is not a decision)', async () => {
    const before = await replicasOf('generations');
    const client = await tamperingClient((params) => {
      params['requestState'] = Buffer.from(JSON.stringify({ tool: 'k8s_scale', argsHash: 'x', diffHash: 'y' })).toString('base64url');
    });
    const outcome = await client.callTool({ name: 'k8s_scale', arguments: { name: 'generations', resource_type: 'deployment', replicas: before + 4, namespace: 'default' } }).then(
      (result) => ({ refused: result.isError === true, text: textOf(result) }),
      (error: Error & { code?: number }) => ({ refused: true, text: `${error.code}: ${error.message}` }),
    );
    expect(outcome.refused, outcome.text).toBe(true);
    expect(outcome.text).toMatch(/^-32602: Invalid or expired requestState/);
    expect(await replicasOf('generations')).toBe(before);
  });

  it('2026-07-28 in band, attacked: the state and accept given for one call, sent with other arguments, run nothing', async () => {
    const before = await replicasOf('generations');
    // the human was asked about before + 1; the retry asks for before + 9 with that state and that accept
    const client = await tamperingClient((params) => {
      (params['arguments'] as Record<string, unknown>)['replicas'] = before + 9;
    });
    const result = await client.callTool({ name: 'k8s_scale', arguments: { name: 'generations', resource_type: 'deployment', replicas: before + 1, namespace: 'default' } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('was given for another call (other arguments); nothing was run');
    expect(await replicasOf('generations')).toBe(before);
  });

  it('2026-07-28 in band: an accept given while the target changed runs nothing (the retry\'s dry run differs from the one shown)', async () => {
    const before = await replicasOf('generations');
    const client = new Client({ name: 'generations-eliciting', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: { pin: '2026-07-28' } } });
    client.setRequestHandler('elicitation/create', async () => {
      // while the human reads the question, someone else scales the deployment: what was shown is no longer the change
      await harness.call('k8s_scale', { name: 'generations', resource_type: 'deployment', replicas: before + 7, namespace: 'default' });
      return { action: 'accept' };
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url), headers(clientToken)));
    closers.push(() => client.close());
    const result = await client.callTool({ name: 'k8s_scale', arguments: { name: 'generations', resource_type: 'deployment', replicas: before + 3, namespace: 'default' } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^TARGET_CHANGED/);
    expect(await replicasOf('generations')).toBe(before + 7);
  });
});
