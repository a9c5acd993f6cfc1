/**
 * Issue 19 item 13: `kill -9` while an approved call executes. A real `skyflo serve` process (data-dir PGlite, llm-sim,
 * the real MCP server and kubectl against kube-sim) is killed while kubectl's scale request is held at a proxy in
 * front of kube-sim; the request then reaches the cluster anyway. Restarted, the engine shows the call as "outcome
 * unknown" at once — no message sent, no "executing" left — with what the cluster shows now, and the approval row
 * agrees.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startMcpHttpServer, type McpHttpServer } from '@skyflo/mcp-server';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { deploymentYaml } from '@skyflo/testkit/manifests';
import type { ServeProcess } from '@skyflo/testkit/services';
import { kubectlPath } from '@skyflo/testkit/tools';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { iterateSse } from '../../src/testing/read-sse.ts';
import { toolInConversation } from './harness.ts';
import { chatUntilApproval, readUntilEngineDies, registerOperator, signIn, startServeEngine, withStoppedEngineStorage } from './support/restarted-engine.ts';

const run = promisify(execFile);
const mcpToken = 'restart-reconcile-mcp-token-0123456789';
let directory: string;
let kube: KubeSim;
let mcp: McpHttpServer;
let sim: LlmSim;
let proxy: HoldingProxy;
let engine: ServeProcess | undefined;

interface HeldRequest {
  method: string;
  url: string;
  /** forwards the held request to kube-sim (the change reaches the cluster late) */
  release(): Promise<void>;
}

interface HoldingProxy {
  url: string;
  held: HeldRequest[];
  close(): Promise<void>;
}

/**
 * A proxy in front of kube-sim that holds every real (not dry-run) write to deployment `web` until released: the
 * tool is "executing" for as long as the test wants, deterministically.
 */
async function startHoldingProxy(target: string): Promise<HoldingProxy> {
  const held: HeldRequest[] = [];
  const forward = (request: http.IncomingMessage, body: Buffer, response: http.ServerResponse) =>
    new Promise<void>((resolve) => {
      const upstream = http.request(`${target}${request.url}`, { method: request.method, headers: request.headers }, (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
        answer.on('end', () => resolve());
      });
      upstream.on('error', () => {
        response.destroy();
        resolve();
      });
      upstream.end(body);
    });
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const isRealWrite = request.method !== 'GET' && /\/deployments\/web(\/|\?|$)/.test(request.url ?? '') && !/[?&]dryRun=/.test(request.url ?? '');
      let released: Promise<void> | undefined;
      if (isRealWrite) held.push({ method: request.method!, url: request.url!, release: () => (released ??= forward(request, body, response)) });
      else void forward(request, body, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function kubectlDirect(...args: string[]): Promise<string> {
  const { stdout } = await run(kubectlPath, ['--kubeconfig', path.join(directory, 'kubeconfig-direct'), ...args], { env: { ...process.env, KUBECACHEDIR: path.join(directory, 'cache-direct') } });
  return stdout.trim();
}

function startEngineProcess(): Promise<ServeProcess> {
  return startServeEngine(directory, sim.url, { MCP_SERVER_URL: mcp.url, MCP_AUTH_TOKEN: mcpToken });
}

async function stopEngine(signal: NodeJS.Signals): Promise<void> {
  await engine?.kill(signal);
}

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'skyflo-kill9-'));
  kube = await startKubeSim({ port: 0, kubeconfigPath: path.join(directory, 'kubeconfig-direct') });
  proxy = await startHoldingProxy(kube.url);
  // The MCP server's kubectl goes through the proxy; the test's own kubectl does not.
  const direct = await readFile(path.join(directory, 'kubeconfig-direct'), 'utf8');
  await writeFile(path.join(directory, 'kubeconfig'), direct.replace(kube.url, proxy.url), { mode: 0o600 });
  const manifest = path.join(directory, 'web.yaml');
  await writeFile(manifest, deploymentYaml('web'));
  await kubectlDirect('apply', '-f', manifest);
  mcp = await startMcpHttpServer({ port: 0, authToken: mcpToken, settings: { kubeconfigPath: path.join(directory, 'kubeconfig'), kubectlPath } });
  sim = await startLlmSim({ port: 0 });
}, 60_000);

afterAll(async () => {
  await stopEngine('SIGKILL');
  // A request still held would keep kubectl (and the MCP server's call) waiting.
  for (const request of proxy?.held ?? []) await request.release().catch(() => undefined);
  await mcp?.close();
  await proxy?.close();
  await kube?.close();
  await sim?.close();
  await rm(directory, { recursive: true, force: true });
});

type ToolView = { status: string; error?: string; error_code?: string };


describe('kill -9 during an approved execution', () => {
  it('after restart, without a new message, the call shows "outcome unknown" with the cluster state, and the approval row agrees', async () => {
    sim.reset({
      rules: [
        { match: { lastRole: 'user', userContains: 'scale' }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_scale', name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: 6, namespace: 'default' } }] } },
        { match: { toolName: 'k8s_scale' }, reply: 'web has 6 replicas now.' },
      ],
    });
    engine = await startEngineProcess();
    await registerOperator(engine.url);
    const { token, post } = await signIn(() => engine!.url);

    // Chat until the call awaits approval.
    const { conversationId, argsHash } = await chatUntilApproval(post, 'scale web to 6');
    expect(argsHash).not.toBe('');

    // Approve; the engine executes, and kubectl's write is held at the proxy: the call is executing.
    const approval = await post('/agent/approvals/call_scale', { approve: true, conversation_id: conversationId, args_hash: argsHash });
    const events: string[] = [];
    const reading = readUntilEngineDies(approval, (frame) => events.push(frame.event));
    await vi.waitFor(() => expect(proxy.held).toHaveLength(1), { timeout: 30_000, interval: 25 });
    await vi.waitFor(() => expect(events).toContain('tool.executing'), { timeout: 10_000, interval: 25 });
    await vi.waitFor(async () => expect((await toolInConversation<ToolView>(engine!.url, token, conversationId, 'call_scale'))?.status).toBe('executing'), { timeout: 10_000, interval: 50 });

    await stopEngine('SIGKILL');
    await reading;
    expect(events).not.toContain('tool.result');
    // The write reaches the cluster after all (as a request already sent can): the outcome really is unknown.
    await proxy.held[0]!.release();
    expect(await kubectlDirect('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}')).toBe('6');

    engine = await startEngineProcess();
    // Immediately: no message sent, nothing waited for.
    const shown = await toolInConversation<ToolView>(engine.url, token, conversationId, 'call_scale');
    expect(shown).toMatchObject({ status: 'error', error_code: 'UNKNOWN_OUTCOME' });
    expect(shown!.error).toMatch(/^Outcome unknown: the engine stopped while this call was executing/);

    // What the cluster shows now is added as soon as it was read (read-only k8s_get through the MCP server).
    const noted = await vi.waitFor(
      async () => {
        const view = await toolInConversation<ToolView>(engine!.url, token, conversationId, 'call_scale');
        expect(view?.error).toMatch(/The cluster now: deployment\/web in default has 6 replicas \(\d+ ready\); the call asked for 6\./);
        return view!;
      },
      { timeout: 30_000, interval: 50 },
    );
    expect(noted).toMatchObject({ status: 'error', error_code: 'UNKNOWN_OUTCOME' });

    // The conversation is free again (its dead run was ended): a new message is accepted, not "run in progress".
    sim.reset({ rules: [{ match: { lastRole: 'user' }, reply: 'Checked.' }] });
    const next = await post('/agent/chat', { messages: [{ role: 'user', content: 'what happened?' }], conversation_id: conversationId });
    expect(next.status).toBe(200);
    const closing: Array<Record<string, unknown>> = [];
    for await (const frame of iterateSse(next)) if (frame.event === 'tool.error') closing.push(frame.data);
    // The new message closes the call left pending in the checkpoint; its label still agrees with its text.
    expect(closing).toEqual([expect.objectContaining({ call_id: 'call_scale', code: 'UNKNOWN_OUTCOME', error: noted.error })]);
    expect(await toolInConversation<ToolView>(engine.url, token, conversationId, 'call_scale')).toMatchObject({ status: 'error', error_code: 'UNKNOWN_OUTCOME', error: noted.error });

    await stopEngine('SIGTERM');
    await withStoppedEngineStorage(directory, async (storage) => {
      const row = await storage.approvals.get(conversationId, 'call_scale');
      expect(row).toMatchObject({ status: 'unknown' });
      expect(row!.resultSummary).toBe(noted.error);
    });
  }, 180_000);
});
