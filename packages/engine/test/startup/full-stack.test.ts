/**
 * The all-in-one engine as `skyflo serve` builds it: createEngine from environment variables (PGlite data dir,
 * embedded MCP server against the current kubeconfig — here kube-sim's —, LLM_MODEL=openai-compatible with
 * LLM_HOST at llm-sim), real accounts (register, form login, bearer token) and the agent routes over HTTP.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { kubectlPath } from '@skyflo/testkit/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPasswordHasher } from '../../src/app/accounts/password-hasher.ts';
import { loadConfig } from '../../src/platform/config/index.ts';
import { createEngine, type Engine } from '../../src/create-engine.ts';
import { readSse, type SseFrame } from '../../src/testing/read-sse.ts';

const run = promisify(execFile);
let directory: string;
let kubeconfig: string;
let kube: KubeSim;
let sim: LlmSim;
let engine: Engine;
let base: string;
let token: string;

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run(kubectlPath, ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, KUBECACHEDIR: path.join(directory, 'cache') } });
  return stdout.trim();
}

async function post(pathname: string, body: unknown): Promise<SseFrame[]> {
  const response = await fetch(`${base}/api/v1${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  expect(response.status).toBe(200);
  return readSse(response);
}

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'skyflo-full-'));
  kubeconfig = path.join(directory, 'kubeconfig');
  kube = await startKubeSim({ port: 0, kubeconfigPath: kubeconfig });
  const manifest = path.join(directory, 'api.yaml');
  await writeFile(
    manifest,
    'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: default}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: [{name: api, image: nginx:1.27}]}\n',
  );
  await kubectl('apply', '-f', manifest);
  sim = await startLlmSim({ port: 0 });
  const config = loadConfig({
    PORT: '0',
    SKYFLO_DATA_DIR: path.join(directory, 'data'),
    KUBECONFIG: kubeconfig,
    LLM_MODEL: 'openai-compatible/sim-model',
    LLM_HOST: sim.url,
    LLM_RETRY_BASE_DELAY_MS: '1',
    LOG_LEVEL: 'silent',
  });
  engine = await createEngine(config, { logger: false, passwordHasher: createPasswordHasher({ memoryCost: 1024, timeCost: 1 }) });
  base = await engine.listen();
  const registered = await fetch(`${base}/api/v1/auth/register/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ops@example.test', password: 'correct horse battery' }) });
  expect(registered.status).toBe(201);
  const login = await fetch(`${base}/api/v1/auth/jwt/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username: 'ops@example.test', password: 'correct horse battery' }) });
  token = ((await login.json()) as { access_token: string }).access_token;
});

afterAll(async () => {
  await engine?.close();
  await kube?.close();
  await sim?.close();
  await rm(directory, { recursive: true, force: true });
});

describe('all-in-one engine (embedded MCP, PGlite, accounts)', () => {
  it('lists the embedded catalogue, then chats, asks approval with a diff, scales the real (simulated) cluster and names the conversation', async () => {
    const tools = await fetch(`${base}/api/v1/agent/tools`, { headers: { authorization: `Bearer ${token}` } });
    const catalogue = (await tools.json()) as Array<{ name: string; annotations: { readOnlyHint?: boolean } }>;
    expect(catalogue.find((tool) => tool.name === 'k8s_scale')?.annotations.readOnlyHint).toBe(false);
    expect(catalogue.length).toBeGreaterThanOrEqual(60);
    expect((await fetch(`${base}/api/v1/agent/tools`)).status).toBe(401);

    sim.reset({
      rules: [
        { match: { userContains: 'Assistant:' }, reply: '{"title": "Scale API Deployment"}' },
        { match: { lastRole: 'user' }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_scale', name: 'k8s_scale', arguments: { name: 'api', resource_type: 'deployment', replicas: 3, namespace: 'default' } }] } },
        { match: { toolName: 'k8s_scale' }, reply: 'api now has 3 replicas.' },
      ],
    });
    const first = await post('/agent/chat', { messages: [{ role: 'user', content: 'scale api to 3' }] });
    const conversationId = String(first[0]!.data['conversation_id']);
    const awaiting = first.find((frame) => frame.event === 'tool.awaiting_approval')!.data;
    expect(String(awaiting['diff'])).toMatch(/^\+\s+replicas: 3$/m);
    expect(first.find((frame) => frame.event === 'conversation.title.generated')?.data['title']).toBe('Scale API Deployment');

    const second = await post('/agent/approvals/call_scale', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] });
    expect(second.at(-1)).toMatchObject({ event: 'completed', data: { status: 'completed' } });
    expect(await kubectl('get', 'deployment', 'api', '-o', 'jsonpath={.spec.replicas}')).toBe('3');

    // the conversation API shows the persisted timeline and the approval audit row names the approver
    const conversation = await fetch(`${base}/api/v1/conversations/${conversationId}`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await conversation.json()) as { messages: Array<{ type: string; content: string }> };
    expect(body.messages.map((entry) => entry.type)).toEqual(['user', 'assistant']);
    expect(body.messages[1]!.content).toBe('api now has 3 replicas.');
    const record = await engine.storage.approvals.get(conversationId, 'call_scale');
    expect(record).toMatchObject({ status: 'executed', tool: 'k8s_scale', diff: awaiting['diff'] });
    expect(record?.decidedBy).toEqual(expect.any(String));
  });
});
