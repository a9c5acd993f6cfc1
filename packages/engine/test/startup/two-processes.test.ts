/**
 * Two real engine processes (`skyflo serve`, spawned) behind no sticky session, sharing Postgres, Redis, the MCP
 * server (kube-sim as the cluster) and the JWT secret: chat on one, approve on the other, and a stop posted to
 * the second ends the stream the first is serving.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startMcpHttpServer, type McpHttpServer } from '@skyflo/mcp-server';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { kubectlPath } from '@skyflo/testkit/tools';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { iterateSse, readSse, type SseFrame } from '../../src/testing/read-sse.ts';
import { testDatabaseName, testPostgresAdminUrl, testPostgresUrl, testRedisUrl, skyfloEntry } from '@skyflo/testkit/services';

const run = promisify(execFile);
const database = testDatabaseName('two_processes');
const adminUrl = testPostgresAdminUrl();
let directory: string;
let kubeconfig: string;
let kube: KubeSim;
let mcp: McpHttpServer;
let sim: LlmSim;
const engines: Array<{ child: ChildProcess; url: string }> = [];
let token: string;

const mcpToken = 'two-process-mcp-token-0123456789';

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run(kubectlPath, ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, KUBECACHEDIR: path.join(directory, 'cache') } });
  return stdout.trim();
}

async function startEngineProcess(name: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [skyfloEntry(), 'serve', '--port', '0'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: directory,
      SKYFLO_DATA_DIR: path.join(directory, name),
      POSTGRES_DATABASE_URL: testPostgresUrl(database),
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: `${database}:`,
      MCP_SERVER_URL: mcp.url,
      // the engines' connection is the gated path only with the server's token (without it, a direct client's)
      MCP_AUTH_TOKEN: mcpToken,
      JWT_SECRET: 'two-process-test-secret-0123456789abcdef',
      // Replicas share the key that seals calls awaiting approval, or one could not execute what the other recorded.
      SKYFLO_ENCRYPTION_KEY: '5f1d3c0b9a8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a392817060504',
      ALLOW_REGISTRATION: 'true',
      LLM_MODEL: 'openai-compatible/sim-model',
      LLM_HOST: sim.url,
      TITLE_GENERATION_ENABLED: 'false',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    // a start takes seconds idle and tens of seconds on a loaded two-core machine: the limit is far from both
    const url = await vi.waitFor(
      () => {
        if (child.exitCode !== null) return new Error(`engine ${name} exited:\n${output}`);
        const found = /listening on (http:\/\/[^"\s]+)/.exec(output)?.[1];
        if (!found) throw new Error(`engine ${name} did not start:\n${output}`);
        return found;
      },
      { timeout: 150_000, interval: 50 },
    );
    if (url instanceof Error) throw url;
    return { child, url: `${url}/api/v1` };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

function post(engine: { url: string }, pathname: string, body: unknown): Promise<Response> {
  return fetch(`${engine.url}${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
}

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'skyflo-two-'));
  kubeconfig = path.join(directory, 'kubeconfig');
  kube = await startKubeSim({ port: 0, kubeconfigPath: kubeconfig });
  const manifest = path.join(directory, 'web.yaml');
  await writeFile(
    manifest,
    'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx:1.27}]}\n',
  );
  await kubectl('apply', '-f', manifest);
  mcp = await startMcpHttpServer({ port: 0, authToken: mcpToken, settings: { kubeconfigPath: kubeconfig, kubectlPath } });
  sim = await startLlmSim({ port: 0 });
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  // one at a time: both would run the migrations (they take an advisory lock, but start-up is faster this way)
  engines.push(await startEngineProcess('a'));
  engines.push(await startEngineProcess('b'));
  const [a, b] = engines;
  const registered = await fetch(`${a!.url}/auth/register/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ops@example.test', password: 'correct horse battery' }) });
  expect(registered.status).toBe(201);
  // log in on the other process: same database, same secret
  const login = await fetch(`${b!.url}/auth/jwt/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username: 'ops@example.test', password: 'correct horse battery' }) });
  expect(login.status).toBe(200);
  token = ((await login.json()) as { access_token: string }).access_token;
}, 300_000);

afterAll(async () => {
  for (const engine of engines) {
    const exited = new Promise((resolve) => engine.child.once('exit', resolve));
    engine.child.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    if (engine.child.exitCode === null) engine.child.kill('SIGKILL');
  }
  await mcp?.close();
  await kube?.close();
  await sim?.close();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
  await rm(directory, { recursive: true, force: true });
});

describe('two engine processes on Postgres + Redis', () => {
  it('chat on A, approve on B: the call runs once and the cluster changes', async () => {
    const [a, b] = engines;
    sim.reset({
      rules: [
        { match: { lastRole: 'user', userContains: 'scale' }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_scale', name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: 5, namespace: 'default' } }] } },
        { match: { toolName: 'k8s_scale' }, reply: 'web has 5 replicas now.' },
        { match: { userContains: 'slow' }, reply: { mode: 'stream', tokens: 3000, tokensPerSecond: 100 } },
        { match: { userContains: 'count' }, reply: { text: 'one two three four five six seven eight', tokenDelayMs: 20 } },
      ],
    });
    const chat = await readSse(await post(a!, '/agent/chat', { messages: [{ role: 'user', content: 'scale web to 5' }] }));
    const conversationId = String(chat[0]!.data['conversation_id']);
    expect(chat.find((frame) => frame.event === 'tool.awaiting_approval')?.data).toMatchObject({ call_id: 'call_scale' });

    const argsHash = chat.find((frame) => frame.event === 'tool.awaiting_approval')!.data['args_hash'];
    const approval = await readSse(await post(b!, '/agent/approvals/call_scale', { approve: true, conversation_id: conversationId, args_hash: argsHash }));
    expect(approval.map((frame) => frame.event).filter((event) => event !== 'token')).toEqual([
      'ready',
      'tool.approved',
      'tool.executing',
      'tool.result',
      // the engine verifies the approved change before the model hears the result (issue 21)
      'tool.verification',
      'tool.verification',
      'generation.start',
      'ttft',
      'token.usage',
      'generation.complete',
      'completed',
    ]);
    expect(approval.filter((frame) => frame.event === 'tool.verification').map((frame) => frame.data['outcome'])).toEqual(['verifying', 'verified']);
    expect(await kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}')).toBe('5');
    // a second approval, on the first process, executes nothing
    const again = await post(a!, '/agent/approvals/call_scale', { approve: true, conversation_id: conversationId, args_hash: argsHash });
    expect(again.status).toBe(409);
    // both processes serve the same timeline
    for (const engine of [a!, b!]) {
      const conversation = await fetch(`${engine.url}/conversations/${conversationId}`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await conversation.json()) as { messages: Array<{ type: string; content: string }> };
      expect(body.messages.at(-1)).toMatchObject({ type: 'assistant', content: 'web has 5 replicas now.' });
    }

    // a client dropped by A re-attaches on B with Last-Event-ID and misses nothing
    const dropped = new AbortController();
    const first = await fetch(`${a!.url}/agent/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'count for me' }], conversation_id: conversationId }),
      signal: dropped.signal,
    });
    const seen: SseFrame[] = [];
    try {
      for await (const frame of iterateSse(first)) {
        seen.push(frame);
        if (seen.filter((item) => item.event === 'token').length === 2) dropped.abort();
      }
    } catch {
      // dropped on purpose
    }
    const resumed = await fetch(`${b!.url}/agent/runs/${String(seen[0]!.data['run_id'])}/events?conversation_id=${conversationId}`, {
      headers: { authorization: `Bearer ${token}`, 'last-event-id': String(seen.at(-1)!.id) },
    });
    const rest = await readSse(resumed);
    const tokensSeen = [...seen, ...rest].filter((frame) => frame.event === 'token').map((frame) => frame.data['text']).join('');
    expect(tokensSeen).toBe('one two three four five six seven eight');
    expect(rest.at(-1)).toMatchObject({ event: 'completed', data: { status: 'completed' } });

    // a stop posted to B ends the stream A is serving
    const response = await post(a!, '/agent/chat', { messages: [{ role: 'user', content: 'slow answer please' }], conversation_id: conversationId });
    let ready: Record<string, unknown> = {};
    let tokens = 0;
    let stopResponse: Promise<Response> | undefined;
    const frames: SseFrame[] = [];
    for await (const frame of iterateSse(response)) {
      frames.push(frame);
      if (frame.event === 'ready') ready = frame.data;
      if (frame.event === 'token' && ++tokens === 2) stopResponse = post(b!, '/agent/stop', { conversation_id: conversationId, run_id: ready['run_id'] });
    }
    expect((await stopResponse!).status).toBe(200);
    expect(frames.at(-1)).toMatchObject({ event: 'completed', data: { status: 'stopped' } });
    // through Redis: B sets the flag and publishes, A aborts its model request and publishes completed. The 3,000-token
    // answer was cut short by the stop (not ended by itself), and A's request to the model was cancelled.
    expect(tokens).toBeLessThan(3000);
    const slowCall = () => sim.calls.findLast((call) => call.messages.some((message) => JSON.stringify(message.content).includes('slow answer please')));
    await vi.waitFor(() => expect(slowCall()).toMatchObject({ aborted: true }));
  });
});
