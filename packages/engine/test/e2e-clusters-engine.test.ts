/**
 * Issue 22 end to end: the all-in-one engine (createEngine, PGlite data dir, embedded real MCP server, accounts) on
 * two kube-sims behind one kubeconfig with the contexts `alpha` (current) and `beta`, llm-sim as the model. Cluster
 * state is read back with the real kubectl, per context.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { kubectlPath } from '@skyflo/testkit/tools';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPasswordHasher } from '../src/accounts/password-hasher.ts';
import { loadConfig } from '../src/config/index.ts';
import { createEngine, type Engine } from '../src/create-engine.ts';
import { readSse, type SseFrame } from '../src/testing/read-sse.ts';

const run = promisify(execFile);
let directory: string;
let kubeconfig: string;
let alpha: KubeSim;
let beta: KubeSim;
let sim: LlmSim;
let engine: Engine;
let base: string;
let adminToken: string;
let memberToken: string;
let memberId: string;

async function kubectl(context: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(kubectlPath, ['--kubeconfig', kubeconfig, '--context', context, ...args], { env: { ...process.env, KUBECACHEDIR: path.join(directory, 'cache') } });
  return stdout.trim();
}
const replicas = (context: string, namespace: string, name: string) => kubectl(context, 'get', 'deployment', name, '-n', namespace, '-o', 'jsonpath={.spec.replicas}');

async function api(method: string, pathname: string, token: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${base}/api/v1${pathname}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function stream(pathname: string, body: unknown, token = adminToken): Promise<SseFrame[]> {
  const response = await fetch(`${base}/api/v1${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  expect(response.status, await response.clone().text().catch(() => '')).toBe(200);
  return readSse(response);
}
const find = (frames: SseFrame[], event: string) => frames.filter((frame) => frame.event === event).map((frame) => frame.data);
const conversationOf = (frames: SseFrame[]) => String(frames[0]!.data['conversation_id']);

async function login(email: string, password: string): Promise<string> {
  const response = await fetch(`${base}/api/v1/auth/jwt/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username: email, password }) });
  return ((await response.json()) as { access_token: string }).access_token;
}

const workloads = `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Namespace
metadata: {name: payments}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx:1.27}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: payments}
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: nginx:1.27}]}
`;

const loadWrite = (id: string) => ({ match: { sequence: 1 }, reply: { toolCalls: [{ id, name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } });
const thenScale = (id: string, args: Record<string, unknown>) => ({ match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id, name: 'k8s_scale', arguments: { resource_type: 'deployment', ...args } }] } });
const done = { match: { toolName: 'k8s_scale' }, reply: 'Done.' };

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'skyflo-clusters-'));
  alpha = await startKubeSim({ port: 0 });
  beta = await startKubeSim({ port: 0 });
  kubeconfig = path.join(directory, 'kubeconfig');
  // One kubeconfig, two contexts (JSON is YAML): alpha is the current context.
  await writeFile(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'alpha',
      clusters: [
        { name: 'alpha', cluster: { server: alpha.url, 'insecure-skip-tls-verify': true } },
        { name: 'beta', cluster: { server: beta.url, 'insecure-skip-tls-verify': true } },
      ],
      users: [
        { name: 'alpha-admin', user: { token: alpha.adminToken } },
        { name: 'beta-admin', user: { token: beta.adminToken } },
      ],
      contexts: [
        { name: 'alpha', context: { cluster: 'alpha', user: 'alpha-admin', namespace: 'default' } },
        { name: 'beta', context: { cluster: 'beta', user: 'beta-admin', namespace: 'default' } },
      ],
    }),
    { mode: 0o600 },
  );
  const manifest = path.join(directory, 'workloads.yaml');
  await writeFile(manifest, workloads);
  await kubectl('alpha', 'apply', '-f', manifest);
  await kubectl('beta', 'apply', '-f', manifest);
  sim = await startLlmSim({ port: 0 });
  engine = await createEngine(
    loadConfig({ PORT: '0', SKYFLO_DATA_DIR: path.join(directory, 'data'), KUBECONFIG: kubeconfig, LLM_MODEL: 'openai-compatible/sim-model', LLM_HOST: sim.url, LLM_RETRY_BASE_DELAY_MS: '1', LOG_LEVEL: 'silent' }),
    { logger: false, passwordHasher: createPasswordHasher({ memoryCost: 1024, timeCost: 1 }) },
  );
  base = await engine.listen();
  const registered = await fetch(`${base}/api/v1/auth/register/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@example.test', password: 'correct horse battery' }) });
  expect(registered.status).toBe(201);
  adminToken = await login('admin@example.test', 'correct horse battery');
  const member = await api('POST', '/team/members', adminToken, { email: 'shop@example.test', role: 'member', password: 'correct horse battery' });
  expect(member.status).toBe(201);
  memberId = String(member.json['id']);
  memberToken = await login('shop@example.test', 'correct horse battery');
});

afterAll(async () => {
  await engine?.close();
  await alpha?.close();
  await beta?.close();
  await sim?.close();
  await rm(directory, { recursive: true, force: true });
});

describe('two clusters behind one engine', () => {
  it('GET /clusters lists both, alpha current, with their API servers and the default policy', async () => {
    const listed = await api('GET', '/clusters', adminToken);
    expect(listed.status).toBe(200);
    expect(listed.json['clusters']).toEqual([
      expect.objectContaining({ name: 'alpha', server: alpha.url, current: true, reachable: true, policy: 'self' }),
      expect.objectContaining({ name: 'beta', server: beta.url, current: false, reachable: true, policy: 'self' }),
    ]);
  });

  it('a conversation pinned to beta scales only in beta, and its approval names beta (name and server)', async () => {
    sim.reset({ rules: [loadWrite('call_load_b'), thenScale('call_scale_b', { name: 'web', namespace: 'shop', replicas: 5 }), done] });
    const first = await stream('/agent/chat', { messages: [{ role: 'user', content: 'scale web to 5' }], context: 'beta' });
    const conversationId = conversationOf(first);
    const awaiting = find(first, 'tool.awaiting_approval')[0]!;
    expect(awaiting).toMatchObject({ cluster: { name: 'beta', server: beta.url }, namespace: 'shop', args: expect.objectContaining({ context: 'beta' }) });
    expect(String(awaiting['diff'])).toMatch(/replicas: 5/);
    expect((await api('GET', `/conversations/${conversationId}`, adminToken)).json['cluster']).toBe('beta');

    const second = await stream('/agent/approvals/call_scale_b', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] });
    expect(find(second, 'tool.result')[0]).toMatchObject({ call_id: 'call_scale_b' });
    expect(await replicas('beta', 'shop', 'web')).toBe('5');
    expect(await replicas('alpha', 'shop', 'web')).toBe('2');
    // the audit trail says where the change was proposed
    await vi.waitFor(async () => {
      const audit = await api('GET', `/audit?conversation_id=${conversationId}&limit=50`, adminToken);
      const records = audit.json['data'] as Array<{ action: string; details: Record<string, unknown> }>;
      expect(records.find((record) => record.action === 'tool.proposed')?.details['cluster']).toEqual({ name: 'beta', server: beta.url });
      expect(records.find((record) => record.action === 'approval.approved')?.details).toMatchObject({ cluster: { name: 'beta', server: beta.url }, namespace: 'shop', policy: { mode: 'self' } });
    });
  });

  it('the same call approved for alpha cannot be replayed on beta', async () => {
    const args = { name: 'web', namespace: 'shop', replicas: 7 };
    sim.reset({ rules: [loadWrite('call_load_a1'), thenScale('call_a1', args)] });
    const inAlpha = await stream('/agent/chat', { messages: [{ role: 'user', content: 'scale web to 7' }], context: 'alpha' });
    const alphaHash = find(inAlpha, 'tool.awaiting_approval')[0]!['args_hash'];
    sim.reset({ rules: [loadWrite('call_load_b1'), thenScale('call_b1', args)] });
    const inBeta = await stream('/agent/chat', { messages: [{ role: 'user', content: 'scale web to 7' }], context: 'beta' });
    const replay = await api('POST', '/agent/approvals/call_b1', adminToken, { approve: true, conversation_id: conversationOf(inBeta), args_hash: alphaHash });
    expect(replay.status).toBe(409);
    expect(String(replay.json['detail'])).toMatch(/arguments hash differs/);
    expect(await replicas('beta', 'shop', 'web')).toBe('5');
    expect(await replicas('alpha', 'shop', 'web')).toBe('2');
    // close both: the next tests start from clean conversations
    await api('POST', '/agent/approvals/call_a1', adminToken, { approve: false, conversation_id: conversationOf(inAlpha) }).catch(() => undefined);
    await api('POST', '/agent/approvals/call_b1', adminToken, { approve: false, conversation_id: conversationOf(inBeta) }).catch(() => undefined);
  });

  it('a read-only cluster refuses writes before any approval is asked', async () => {
    expect((await api('PUT', '/clusters/policies', memberToken, { policies: [{ cluster: 'beta', mode: 'read_only' }] })).status).toBe(403);
    const set = await api('PUT', '/clusters/policies', adminToken, { policies: [{ cluster: 'beta', mode: 'read_only' }] });
    expect(set.json).toEqual({ policies: [{ cluster: 'beta', mode: 'read_only' }] });
    expect(((await api('GET', '/clusters', adminToken)).json['clusters'] as Array<{ name: string; policy: string }>).map((cluster) => [cluster.name, cluster.policy])).toEqual([
      ['alpha', 'self'],
      ['beta', 'read_only'],
    ]);
    try {
      sim.reset({ rules: [loadWrite('call_load_ro'), thenScale('call_ro', { name: 'web', namespace: 'shop', replicas: 1 }), { match: { toolName: 'k8s_scale' }, reply: 'Beta is read-only.' }] });
      const chat = await stream('/agent/chat', { messages: [{ role: 'user', content: 'scale web to 1' }], context: 'beta' });
      expect(find(chat, 'tool.error')[0]).toMatchObject({ call_id: 'call_ro', code: 'READ_ONLY_CLUSTER', error: expect.stringMatching(/cluster beta \(namespace shop\) is read-only/) });
      expect(find(chat, 'tool.awaiting_approval')).toHaveLength(0);
      const pending = await api('GET', '/approvals/pending', adminToken);
      expect((pending.json['data'] as Array<{ call_id: string }>).map((call) => call.call_id)).not.toContain('call_ro');
      expect(await replicas('beta', 'shop', 'web')).toBe('5');
    } finally {
      await api('PUT', '/clusters/policies', adminToken, { policies: [] });
    }
  });

  it('a namespace-scoped member sees and changes only their namespaces', async () => {
    expect((await api('PATCH', `/team/members/${memberId}/scope`, memberToken, { namespaces: ['shop'] })).status).toBe(403);
    const scoped = await api('PATCH', `/team/members/${memberId}/scope`, adminToken, { namespaces: ['shop'] });
    expect(scoped.json).toMatchObject({ id: memberId, scope: { namespaces: ['shop'] } });
    expect((await api('GET', '/auth/me', memberToken)).json['scope']).toEqual({ namespaces: ['shop'] });
    sim.reset({
      rules: [
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_all', name: 'k8s_get', arguments: { resource_type: 'deployments', all_namespaces: true } }] } },
        { match: { sequence: 2 }, reply: { toolCalls: [{ id: 'call_pay', name: 'k8s_get', arguments: { resource_type: 'deployments', namespace: 'payments' } }] } },
        { match: { sequence: 3 }, reply: { toolCalls: [{ id: 'call_shop', name: 'k8s_get', arguments: { resource_type: 'deployments', namespace: 'shop' } }] } },
        { match: { sequence: 4 }, reply: { toolCalls: [{ id: 'call_load_m', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { sequence: 5 }, reply: { toolCalls: [{ id: 'call_scale_pay', name: 'k8s_scale', arguments: { resource_type: 'deployment', name: 'api', namespace: 'payments', replicas: 3 } }] } },
        { match: { sequence: 6 }, reply: { toolCalls: [{ id: 'call_scale_shop', name: 'k8s_scale', arguments: { resource_type: 'deployment', name: 'web', namespace: 'shop', replicas: 3 } }] } },
        { match: { sequence: 7 }, reply: 'Scaled shop/web.' },
      ],
    });
    const chat = await stream('/agent/chat', { messages: [{ role: 'user', content: 'look and scale' }] }, memberToken);
    const conversationId = conversationOf(chat);
    expect(find(chat, 'tool.error').map((error) => [error['call_id'], error['code']])).toEqual([
      ['call_pay', 'OUT_OF_SCOPE'],
      ['call_scale_pay', 'OUT_OF_SCOPE'],
    ]);
    // the listing across all namespaces is limited to shop (e2e-clusters-scope.test.ts covers pods, events and Helm)
    const all = (find(chat, 'tool.result').find((result) => result['call_id'] === 'call_all')!['result'] as Array<{ text: string }>)[0]!.text;
    expect(all).toMatch(/^Listing limited to the namespaces shop by your scope[\s\S]*\bweb\b/);
    expect(all).not.toMatch(/\bapi\b/);
    const read = find(chat, 'tool.result').find((result) => result['call_id'] === 'call_shop')!;
    expect((read['result'] as Array<{ text: string }>)[0]!.text).toMatch(/web/);
    expect((read['result'] as Array<{ text: string }>)[0]!.text).not.toMatch(/\bapi\b/);
    const awaiting = find(chat, 'tool.awaiting_approval');
    expect(awaiting.map((call) => call['call_id'])).toEqual(['call_scale_shop']);
    expect(awaiting[0]).toMatchObject({ cluster: { name: 'alpha', server: alpha.url }, namespace: 'shop' });
    const approved = await stream('/agent/approvals/call_scale_shop', { approve: true, conversation_id: conversationId, args_hash: awaiting[0]!['args_hash'] }, memberToken);
    expect(find(approved, 'tool.result')[0]).toMatchObject({ call_id: 'call_scale_shop' });
    expect(await replicas('alpha', 'shop', 'web')).toBe('3');
    expect(await replicas('alpha', 'payments', 'api')).toBe('1');
    await api('PATCH', `/team/members/${memberId}/scope`, adminToken, {});
  });

  it('stopping one cluster shows it unreachable in GET /clusters and /health degraded, while the other keeps working', async () => {
    expect((await api('GET', '/health', adminToken)).json).toMatchObject({ status: 'ok', components: { clusters: 'ok' } });
    await beta.close();
    await vi.waitFor(
      async () => {
        const listed = (await api('GET', '/clusters?refresh=true', adminToken)).json['clusters'] as Array<{ name: string; reachable: boolean; error?: string }>;
        expect(listed.find((cluster) => cluster.name === 'beta')).toMatchObject({ reachable: false, error: expect.any(String) });
        expect(listed.find((cluster) => cluster.name === 'alpha')).toMatchObject({ reachable: true });
      },
      { timeout: 30_000, interval: 200 },
    );
    await vi.waitFor(
      async () => {
        const health = (await api('GET', '/health', adminToken)).json;
        expect(health['status']).toBe('degraded');
        expect(String((health['components'] as Record<string, string>)['clusters'])).toMatch(/beta unreachable/);
        expect(String((health['components'] as Record<string, string>)['clusters'])).not.toMatch(/alpha/);
      },
      { timeout: 30_000, interval: 200 },
    );
    sim.reset({ rules: [{ match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_alpha_get', name: 'k8s_get', arguments: { resource_type: 'deployments', namespace: 'shop' } }] } }, { match: { toolName: 'k8s_get' }, reply: 'alpha answers.' }] });
    const chat = await stream('/agent/chat', { messages: [{ role: 'user', content: 'list shop' }], context: 'alpha' });
    expect((find(chat, 'tool.result')[0]!['result'] as Array<{ text: string }>)[0]!.text).toMatch(/web/);
  });
});
