/**
 * Safe by default for any MCP client (issue 10): a direct client's call of a tool that is not read-only runs only
 * after a human accepts it through MCP elicitation, which shows the tool, the exact arguments and the server-side
 * dry-run diff. A client that declines, or that cannot elicit, changes nothing (checked on kube-sim); --confirm=deny
 * refuses, --confirm=allow runs (and warns on stderr); the engine's trusted connection is never asked.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, type ElicitRequest, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { kubectlPath } from '@skyflo/testkit/tools';
import { createMcpServer } from '../../src/create-mcp-server.ts';
import { connectInProcess } from '../../src/connect-in-process.ts';
import { startMcpHttpServer } from '../../src/start-mcp-http-server.ts';
import type { ConfirmMode } from '../../src/confirm/confirm-mode.ts';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';
import { skyfloEntry } from '@skyflo/testkit/services';

let harness: KubeHarness;

beforeAll(async () => {
  harness = await startKubeHarness({ workloads: false });
  const created = await harness.call('k8s_apply', {
    content:
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: main, image: "nginx:1.27"}]}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: keep-me, namespace: default}\ndata: {a: "1"}\n',
  });
  expect(created.isError, created.text).toBeFalsy();
}, 30_000);
afterAll(() => harness?.close());

/** Replicas as the real kubectl reads them from kube-sim (async: kube-sim serves from this process). */
async function replicas(): Promise<number> {
  const { stdout } = await promisify(execFile)(kubectlPath, ['--kubeconfig', harness.kubeconfigPath, 'get', 'deployment', 'web', '-n', 'default', '-o', 'jsonpath={.spec.replicas}'], { encoding: 'utf8' });
  return Number(stdout);
}
function configMapExists(): boolean {
  return harness.sim.cluster.store.get(harness.sim.cluster.registry.byResource('', 'configmaps')!, 'default', 'keep-me') !== undefined;
}

interface Connected {
  client: Client;
  asked: ElicitRequest['params'][];
  close(): Promise<void>;
}

/** A direct MCP client over the in-memory transport; `answer` set means it declares elicitation and answers so. */
async function connectDirect(options: { confirm?: ConfirmMode; answer?: ElicitResult['action'] }): Promise<Connected> {
  const server = createMcpServer({ deps: harness.deps, ...(options.confirm ? { confirm: options.confirm } : {}) });
  const client = new Client({ name: 'direct-client', version: '1' }, options.answer ? { capabilities: { elicitation: {} } } : {});
  const asked: ElicitRequest['params'][] = [];
  if (options.answer) {
    const action = options.answer;
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params);
      return action === 'accept' ? { action, content: {} } : { action };
    });
  }
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  await client.connect(clientTransport);
  return { client, asked, close: async () => { await client.close(); await server.close(); } };
}

const textOf = (result: object) => ((result as { content: unknown }).content as Array<{ type: string; text: string }>)[0]!.text;
const scaleTo = (count: number) => ({ name: 'scale', arguments: { name: 'web', resource_type: 'deployment', replicas: count, namespace: 'default' } });

describe('--confirm=elicit (the default)', () => {
  it('asks with the tool, the exact arguments and the dry-run diff, and runs on accept', async () => {
    const before = await replicas();
    const { client, asked, close } = await connectDirect({ answer: 'accept' });
    try {
      const result = await client.callTool({ ...scaleTo(before + 3), name: 'k8s_scale' });
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(asked).toHaveLength(1);
      const message = asked[0]!.message;
      expect(message).toMatch(/^Run k8s_scale/);
      expect(message).toContain(`"replicas": ${before + 3}`);
      expect(message).toMatch(new RegExp(`^-\\s+replicas: ${before}\\n\\+\\s+replicas: ${before + 3}$`, 'm'));
      expect(await replicas()).toBe(before + 3);
    } finally {
      await close();
    }
  });

  it('marks a destructive call as such and masks secret values in the question', async () => {
    const { client, asked, close } = await connectDirect({ answer: 'decline' });
    try {
      await client.callTool({ name: 'k8s_apply', arguments: { content: 'apiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: default}\nstringData: {password: hunter2-very-secret}\n' } });
      await client.callTool({ name: 'k8s_delete', arguments: { name: 'keep-me', resource_type: 'configmap', namespace: 'default' } });
      expect(asked).toHaveLength(2);
      expect(asked[0]!.message).not.toContain('hunter2-very-secret');
      expect(asked[1]!.message).toMatch(/DESTRUCTIVE/);
    } finally {
      await close();
    }
  });

  it('runs nothing when the human declines or dismisses', async () => {
    const before = await replicas();
    for (const answer of ['decline', 'cancel'] as const) {
      const { client, asked, close } = await connectDirect({ answer });
      try {
        const scaled = await client.callTool({ ...scaleTo(before + 5), name: 'k8s_scale' });
        expect(scaled.isError).toBe(true);
        expect(textOf(scaled)).toMatch(/nothing was run/);
        const deleted = await client.callTool({ name: 'k8s_delete', arguments: { name: 'keep-me', resource_type: 'configmap', namespace: 'default' } });
        expect(deleted.isError).toBe(true);
        expect(asked).toHaveLength(2);
      } finally {
        await close();
      }
    }
    expect(await replicas()).toBe(before);
    expect(configMapExists()).toBe(true);
  });

  it('refuses a client without the elicitation capability, saying why and how to change it', async () => {
    const before = await replicas();
    const { client, close } = await connectDirect({});
    try {
      const result = await client.callTool({ ...scaleTo(before + 7), name: 'k8s_scale' });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/did not declare the elicitation capability/);
      expect(textOf(result)).toMatch(/--confirm=allow/);
      // read-only tools are not gated
      const read = await client.callTool({ name: 'k8s_get', arguments: { resource_type: 'deployment', name: 'web', namespace: 'default' } });
      expect(read.isError).toBeFalsy();
    } finally {
      await close();
    }
    expect(await replicas()).toBe(before);
  });

  it('asks over Streamable HTTP too, for a client-token caller (the question travels on the call\'s own stream)', async () => {
    const before = await replicas();
    const http = await startMcpHttpServer({ deps: harness.deps, clientToken: 'ide-client-token' });
    const client = new Client({ name: 'http-client', version: '1' }, { capabilities: { elicitation: {} } });
    let asked = 0;
    client.setRequestHandler(ElicitRequestSchema, async () => {
      asked += 1;
      return { action: 'accept', content: {} };
    });
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(http.url), { requestInit: { headers: { Authorization: 'Bearer ide-client-token' } } }));
      const result = await client.callTool({ ...scaleTo(before + 1), name: 'k8s_scale' });
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(asked).toBe(1);
      expect(await replicas()).toBe(before + 1);
    } finally {
      await client.close();
      await http.close();
    }
  });
});

describe('other modes and the engine', () => {
  it('--confirm=deny refuses even a client that could be asked', async () => {
    const before = await replicas();
    const { client, asked, close } = await connectDirect({ confirm: 'deny', answer: 'accept' });
    try {
      const result = await client.callTool({ ...scaleTo(before + 2), name: 'k8s_scale' });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/--confirm=deny/);
      expect(asked).toHaveLength(0);
    } finally {
      await close();
    }
    expect(await replicas()).toBe(before);
  });

  it('--confirm=allow runs without asking', async () => {
    const before = await replicas();
    const { client, asked, close } = await connectDirect({ confirm: 'allow', answer: 'decline' });
    try {
      const result = await client.callTool({ ...scaleTo(before + 1), name: 'k8s_scale' });
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(asked).toHaveLength(0);
    } finally {
      await close();
    }
    expect(await replicas()).toBe(before + 1);
  });

  it('never asks the engine\'s own connection (in-process, or HTTP with the auth token)', async () => {
    const before = await replicas();
    const embedded = await connectInProcess({ deps: harness.deps });
    try {
      const result = await embedded.client.callTool({ ...scaleTo(before + 1), name: 'k8s_scale' });
      expect(result.isError, textOf(result)).toBeFalsy();
    } finally {
      await embedded.close();
    }
    expect(await replicas()).toBe(before + 1);
    const http = await startMcpHttpServer({ deps: harness.deps, authToken: 'engine-token' });
    const client = new Client({ name: 'skyflo-engine', version: '1' });
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(http.url), { requestInit: { headers: { Authorization: 'Bearer engine-token' } } }));
      const result = await client.callTool({ ...scaleTo(before + 2), name: 'k8s_scale' });
      expect(result.isError, textOf(result)).toBeFalsy();
    } finally {
      await client.close();
      await http.close();
    }
    expect(await replicas()).toBe(before + 2);
  });
});

describe('skyflo mcp --stdio --confirm', () => {

  async function stdioClient(confirm: string): Promise<{ client: Client; stderr: () => string }> {
    const transport = new StdioClientTransport({ command: process.execPath, args: [skyfloEntry(), 'mcp', '--stdio', `--confirm=${confirm}`, '--kubeconfig', harness.kubeconfigPath], stderr: 'pipe', env: { ...(process.env as Record<string, string>), KUBECTL_PATH: kubectlPath } });
    let stderr = '';
    transport.stderr?.on('data', (chunk) => (stderr += String(chunk)));
    const client = new Client({ name: 'stdio-client', version: '1' });
    await client.connect(transport);
    return { client, stderr: () => stderr };
  }

  it('allow warns on stderr at start and runs; deny refuses', async () => {
    const before = await replicas();
    const allow = await stdioClient('allow');
    try {
      expect(allow.stderr()).toMatch(/WARNING: --confirm=allow/);
      const result = await allow.client.callTool({ ...scaleTo(before + 1), name: 'k8s_scale' });
      expect(result.isError, textOf(result)).toBeFalsy();
    } finally {
      await allow.client.close();
    }
    expect(await replicas()).toBe(before + 1);
    const deny = await stdioClient('deny');
    try {
      expect(deny.stderr()).not.toMatch(/WARNING/);
      const result = await deny.client.callTool({ ...scaleTo(before + 4), name: 'k8s_scale' });
      expect(result.isError).toBe(true);
    } finally {
      await deny.client.close();
    }
    expect(await replicas()).toBe(before + 1);
  }, 60_000);

  it('refuses an unknown mode before starting', () => {
    const child = spawn(process.execPath, [skyfloEntry(), 'mcp', '--stdio', '--confirm=sometimes'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    return new Promise<void>((resolve) => {
      child.on('exit', (code) => {
        expect(code).toBe(2);
        expect(stderr).toMatch(/--confirm must be one of elicit, deny, allow, skyflo/);
        resolve();
      });
    });
  }, 30_000);
});
