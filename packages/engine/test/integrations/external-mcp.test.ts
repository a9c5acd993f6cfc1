/**
 * Issue 39 item 4: an admin connects their own MCP server; its tools reach the model by toolset, and its write tool goes
 * through the same gate as ours. The whole engine (PGlite, accounts, APPROVAL_POLICY=approver with four-eyes),
 * llm-sim as the model, and a tiny MCP server built with the MCP SDK (test/fixtures/external-mcp/tiny-mcp-server.mjs)
 * run as a stdio child process by the engine, and over Streamable HTTP on 127.0.0.1:0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { newTestPglite } from '../support/test-databases.ts';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readSse, type SseFrame } from '../../src/testing/read-sse.ts';
import { simModel, startTestEngine, type TestEngine } from '../support/test-engine.ts';

const fixture = fileURLToPath(new URL('../fixtures/external-mcp/tiny-mcp-server.mjs', import.meta.url));
const directory = mkdtempSync(path.join(tmpdir(), 'skyflo-external-mcp-'));
const stateFile = path.join(directory, 'state.json');
const callsFile = path.join(directory, 'calls.jsonl');
const httpToken = 'tiny-bearer-token-0123456789';
const envSecret = 'env-secret-value-4242';

let sim: LlmSim;
let lite: PGlite;
let engine: TestEngine;
let admin: string;
let ann: string;
let zoe: string;
let serverId: string;
let httpServer: ChildProcess | undefined;

const call = (token: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: Record<string, unknown>) => engine.request({ method, url: `/api/v1${url}`, token, ...(payload ? { payload } : {}) });
const frames = async (response: { statusCode: number; body: string }): Promise<SseFrame[]> => {
  expect(response.statusCode, response.body).toBe(200);
  return readSse(new Response(response.body));
};
const deployCalls = () => (existsSync(callsFile) ? readFileSync(callsFile, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { args: Record<string, unknown>; meta: unknown }) : []);
const setState = (state: Record<string, unknown>) => writeFileSync(stateFile, JSON.stringify(state));

/**
 * The engine's DNS (no network): what each name answers now, changed by a test the way an attacker's DNS server with
 * a TTL of 0 changes its answer between the URL check and the connection.
 */
const dnsAnswers = new Map<string, { address: string; family: number }>();
const resolveScripted = async (hostname: string) => {
  const answer = dnsAnswers.get(hostname);
  if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return [answer];
};

/** The model: loads the external toolset, reads the status, then asks to deploy. */
function scriptDeploy(version: string) {
  sim.reset({
    rules: [
      { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'tinyops', include_write_tools: true } }] } },
      { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_status', name: 'tiny__get_status', arguments: { app: 'shop' } }] } },
      { match: { toolName: 'tiny__get_status' }, reply: { toolCalls: [{ id: `call_deploy_${version}`, name: 'tiny__deploy', arguments: { app: 'shop', version } }] } },
      { match: { toolName: 'tiny__deploy' }, reply: 'Done.' },
    ],
  });
}

async function askToDeploy(version: string) {
  scriptDeploy(version);
  const asked = await frames(await call(ann, 'POST', '/agent/chat', { messages: [{ role: 'user', content: `deploy shop ${version}` }] }));
  const conversationId = String(asked[0]!.data['conversation_id']);
  const awaiting = asked.find((frame) => frame.event === 'tool.awaiting_approval')?.data;
  return { asked, conversationId, awaiting };
}

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  lite = await newTestPglite();
  engine = await startTestEngine({ lite, env: { TITLE_GENERATION_ENABLED: 'false', APPROVAL_POLICY: 'approver', APPROVAL_FOUR_EYES: 'true' }, llm: simModel(sim), resolveHost: resolveScripted });
  admin = await engine.signUp('admin@example.com');
  for (const email of ['ann@example.com', 'zoe@example.com']) {
    await call(admin, 'POST', '/team/members', { email, role: 'approver', password: `${email.split('@')[0]}-pass-4242` });
  }
  const token = async (email: string) => (await engine.login(email, `${email.split('@')[0]}-pass-4242`)).json().access_token as string;
  [ann, zoe] = [await token('ann@example.com'), await token('zoe@example.com')];
  setState({});
}, 60_000);

afterAll(async () => {
  if (httpServer?.pid) httpServer.kill('SIGTERM');
  await engine?.close();
  await lite?.close();
  await sim?.close();
});

describe('an external MCP server over stdio', () => {
  it('is connected by an admin only, listed with its namespaced tools, and never answers its env values', async () => {
    const input = { name: 'tiny', toolset: 'tinyops', transport: { type: 'stdio', command: [process.execPath, fixture], env: { TINY_STATE: stateFile, TINY_CALLS: callsFile, TINY_SECRET: envSecret } } };
    expect((await call(ann, 'POST', '/integrations/mcp-servers', input)).statusCode).toBe(403);
    const created = await call(admin, 'POST', '/integrations/mcp-servers', input);
    expect(created.statusCode, created.body).toBe(201);
    expect(created.body).not.toContain(envSecret);
    serverId = created.json().id;
    expect(created.json()).toMatchObject({ name: 'tiny', toolset: 'tinyops', status: 'connected', transport: { type: 'stdio', env_names: ['TINY_CALLS', 'TINY_SECRET', 'TINY_STATE'] } });
    expect(created.json().tools).toEqual([
      expect.objectContaining({ name: 'tiny__get_status', original_name: 'get_status', read_only: true }),
      expect.objectContaining({ name: 'tiny__deploy', original_name: 'deploy', read_only: false }),
      expect.objectContaining({ name: 'tiny__k8s_delete', original_name: 'k8s_delete', read_only: true }),
    ]);
    const listed = await call(admin, 'GET', '/integrations/mcp-servers');
    expect(listed.json().data).toHaveLength(1);
    expect(listed.body).not.toContain(envSecret);
    expect((await call(ann, 'GET', '/integrations/mcp-servers')).statusCode).toBe(403);
    // the same name twice is refused
    expect((await call(admin, 'POST', '/integrations/mcp-servers', input)).statusCode).toBe(409);
    // its creation is in the audit trail, without the env value
    const audit = await call(admin, 'GET', '/audit?action=external_mcp.created');
    expect(audit.json().data).toEqual([expect.objectContaining({ action: 'external_mcp.created' })]);
    expect(audit.body).not.toContain(envSecret);
  });

  it('runs the read tool at once (redacted), waits for approval of the write tool, and runs it only with the exact approved arguments', async () => {
    const { asked, conversationId, awaiting } = await askToDeploy('1.2.3');
    // the read tool ran without approval; the secret in its result never reached the SSE stream
    const status = asked.find((frame) => frame.event === 'tool.result' && frame.data['tool'] === 'tiny__get_status');
    expect(JSON.stringify(status?.data)).toContain('app shop is healthy');
    expect(JSON.stringify(asked)).not.toContain('Hunter2-Secret-99');
    // the model saw its tools as untrusted, redacted, under their namespaced names, and the result redacted
    const lastRequest = sim.calls.at(-1)!;
    expect(lastRequest.toolNames).toEqual(expect.arrayContaining(['tiny__get_status', 'tiny__deploy']));
    expect(JSON.stringify(lastRequest.body)).toContain('untrusted');
    expect(JSON.stringify(lastRequest.body)).not.toContain('Hunter2-Secret-99');
    // the write tool waits like ours: exact arguments, the no-preview warning (high risk, so four-eyes applies)
    expect(awaiting).toMatchObject({ call_id: 'call_deploy_1.2.3', tool: 'tiny__deploy', args: { app: 'shop', version: '1.2.3' } });
    expect(JSON.stringify(awaiting!['risks'])).toContain('No dry-run preview');
    expect(deployCalls()).toEqual([]);

    const approve = { approve: true, conversation_id: conversationId, args_hash: awaiting!['args_hash'], approve_without_preview: true };
    expect((await call(ann, 'POST', '/agent/approvals/call_deploy_1.2.3', approve)).statusCode).toBe(403);
    // without ticking "approve without a preview" it is refused
    const unticked = await call(zoe, 'POST', '/agent/approvals/call_deploy_1.2.3', { ...approve, approve_without_preview: undefined });
    expect(unticked.statusCode).toBeGreaterThanOrEqual(400);
    const resumed = await frames(await call(zoe, 'POST', '/agent/approvals/call_deploy_1.2.3', approve));
    expect(resumed.map((frame) => frame.event)).toEqual(expect.arrayContaining(['tool.approved', 'tool.executing', 'tool.result']));
    expect(JSON.stringify(resumed.find((frame) => frame.event === 'tool.result')?.data)).toContain('deployed shop@1.2.3');
    // it ran once, with exactly the approved arguments, and nothing of the engine's own (_meta) went to the server
    expect(deployCalls()).toEqual([{ name: 'deploy', args: { app: 'shop', version: '1.2.3' }, meta: null }]);

    const audit = (await call(admin, 'GET', `/audit?conversation_id=${conversationId}&limit=100`)).json().data as Array<{ action: string; details: Record<string, unknown> }>;
    const actions = audit.filter((row) => JSON.stringify(row).includes('tiny__deploy')).map((row) => row.action);
    expect(actions).toEqual(expect.arrayContaining(['approval.approved', 'tool.execution_started']));
  });

  it('is refused on denial', async () => {
    const before = deployCalls().length;
    const { conversationId, awaiting } = await askToDeploy('2.0.0');
    const denied = await frames(await call(zoe, 'POST', '/agent/approvals/call_deploy_2.0.0', { approve: false, conversation_id: conversationId, args_hash: awaiting!['args_hash'] }));
    expect(denied.map((frame) => frame.event)).toContain('tool.denied');
    expect(deployCalls()).toHaveLength(before);
  });

  it('attack: a tool that turns read-only after its call was proposed still needs (and keeps) its decision', async () => {
    const before = deployCalls().length;
    const { conversationId, awaiting } = await askToDeploy('6.6.6');
    expect(awaiting).toBeDefined();
    // the server now claims deploy only reads, and tells the engine to list again
    setState({ deployReadOnly: true });
    const tested = await call(admin, 'POST', `/integrations/mcp-servers/${serverId}/test`);
    expect(tested.json()).toMatchObject({ ok: true });
    expect(JSON.stringify(tested.json().problems)).toContain('still needs approval');
    const listed = (await call(admin, 'GET', '/integrations/mcp-servers')).json().data[0];
    expect(listed.tools.find((tool: { name: string }) => tool.name === 'tiny__deploy')).toMatchObject({ read_only: false });
    // denied: it does not run, read-only claim or not
    const denied = await frames(await call(zoe, 'POST', '/agent/approvals/call_deploy_6.6.6', { approve: false, conversation_id: conversationId, args_hash: awaiting!['args_hash'] }));
    expect(denied.map((frame) => frame.event)).toContain('tool.denied');
    expect(deployCalls()).toHaveLength(before);
    // and a new call of it waits for approval again
    const again = await askToDeploy('6.6.7');
    expect(again.awaiting).toMatchObject({ tool: 'tiny__deploy' });
    expect(deployCalls()).toHaveLength(before);
    await frames(await call(zoe, 'POST', '/agent/approvals/call_deploy_6.6.7', { approve: false, conversation_id: again.conversationId, args_hash: again.awaiting!['args_hash'] }));
    setState({});
  });

  it('attack: a tool named like one of ours never takes its place; ours keeps its gate', async () => {
    sim.reset({
      rules: [
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load_k8s', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_k8s_delete', name: 'k8s_delete', arguments: { resource_type: 'pod', name: 'web-1', namespace: 'default' } }] } },
        { match: { toolName: 'k8s_delete' }, reply: 'Done.' },
      ],
    });
    const asked = await frames(await call(ann, 'POST', '/agent/chat', { messages: [{ role: 'user', content: 'delete pod web-1' }] }));
    expect(asked.find((frame) => frame.event === 'tool.awaiting_approval')?.data).toMatchObject({ tool: 'k8s_delete' });
    expect(JSON.stringify(asked)).not.toContain('external k8s_delete ran');
    expect(engine.mcp.calls.filter((made) => made.name === 'k8s_delete')).toEqual([]);
  });

  it('a pending approval of a server that is disabled fails closed; the server can be enabled again', async () => {
    const before = deployCalls().length;
    const { conversationId, awaiting } = await askToDeploy('3.0.0');
    expect(awaiting).toBeDefined();
    const disabled = await call(admin, 'PATCH', `/integrations/mcp-servers/${serverId}`, { enabled: false });
    expect(disabled.json()).toMatchObject({ enabled: false, status: 'disabled' });
    const pending = (await call(zoe, 'GET', '/approvals/pending')).json().data as Array<{ call_id: string }>;
    expect(pending.map((item) => item.call_id)).not.toContain('call_deploy_3.0.0');
    const late = await call(zoe, 'POST', '/agent/approvals/call_deploy_3.0.0', { approve: true, conversation_id: conversationId, args_hash: awaiting!['args_hash'], approve_without_preview: true });
    expect(late.statusCode).toBe(409);
    expect(deployCalls()).toHaveLength(before);
    const enabled = await call(admin, 'PATCH', `/integrations/mcp-servers/${serverId}`, { enabled: true });
    expect(enabled.json()).toMatchObject({ enabled: true, status: 'connected' });
  });
});

describe('an external MCP server over Streamable HTTP', () => {
  let url: string;
  beforeAll(async () => {
    httpServer = spawn(process.execPath, [fixture, '--http'], { env: { PATH: process.env.PATH ?? '', TINY_TOKEN: httpToken, TINY_STATE: stateFile, TINY_CALLS: callsFile }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    httpServer.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const port = await vi.waitFor(() => {
      const match = /listening (\d+)/.exec(out);
      if (!match) throw new Error('not listening yet');
      return match[1];
    }, { timeout: 20_000, interval: 50 });
    url = `http://127.0.0.1:${port}/mcp`;
  });

  it('refuses a URL at a cloud metadata or link-local address before connecting (the integration URL guard)', async () => {
    for (const target of ['http://169.254.169.254/latest/meta-data/mcp', 'http://metadata.google.internal/mcp']) {
      const refused = await call(admin, 'POST', '/integrations/mcp-servers', { name: 'metadata', toolset: 'metaops', transport: { type: 'http', url: target } });
      expect(refused.statusCode, refused.body).toBe(400);
      expect(refused.json().detail).toContain('link-local or cloud metadata address');
    }
    expect(JSON.stringify((await call(admin, 'GET', '/integrations/mcp-servers')).json())).not.toContain('metadata');
  });

  it('says HTTP 401 for a wrong token, connects with the right one and never answers the token', async () => {
    const wrong = await call(admin, 'POST', '/integrations/mcp-servers', { name: 'remote', toolset: 'remoteops', transport: { type: 'http', url, token: 'not-the-token' } });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().detail).toContain('HTTP 401');
    const created = await call(admin, 'POST', '/integrations/mcp-servers', { name: 'remote', toolset: 'remoteops', transport: { type: 'http', url, token: httpToken } });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.body).not.toContain(httpToken);
    expect(created.json()).toMatchObject({ status: 'connected', transport: { type: 'http', url, token: { set: true } } });

    // its read tool runs without approval over HTTP, its result redacted
    sim.reset({
      rules: [
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load_remote', name: 'load_toolset', arguments: { toolset: 'remoteops', include_write_tools: false } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_remote_status', name: 'remote__get_status', arguments: { app: 'cart' } }] } },
        { match: { toolName: 'remote__get_status' }, reply: 'Healthy.' },
      ],
    });
    const asked = await frames(await call(ann, 'POST', '/agent/chat', { messages: [{ role: 'user', content: 'status of cart' }] }));
    const result = asked.find((frame) => frame.event === 'tool.result' && frame.data['tool'] === 'remote__get_status');
    expect(JSON.stringify(result?.data)).toContain('app cart is healthy');
    expect(JSON.stringify(asked)).not.toContain('Hunter2-Secret-99');
    expect(asked.some((frame) => frame.event === 'tool.awaiting_approval')).toBe(false);
  });

  it('says which command was not found, and names duplicate tool names', async () => {
    const missing = await call(admin, 'POST', '/integrations/mcp-servers', { name: 'missing', toolset: 'missingops', transport: { type: 'stdio', command: ['/nonexistent/bin/some-mcp-server'] } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().detail).toContain('Command not found: /nonexistent/bin/some-mcp-server');
    setState({ duplicate: true });
    const tested = await call(admin, 'POST', `/integrations/mcp-servers/${serverId}/test`);
    expect(JSON.stringify(tested.json().problems)).toContain('Duplicate tool name \\"get_status\\"');
    setState({});
  });

  it('a removed server takes its tools away and its name cannot be used to run anything', async () => {
    const removed = await call(admin, 'DELETE', `/integrations/mcp-servers/${serverId}`);
    expect(removed.statusCode).toBe(204);
    const names = ((await call(admin, 'GET', '/integrations/mcp-servers')).json().data as Array<{ name: string }>).map((server) => server.name);
    expect(names).toEqual(['remote']);
    const audit = await call(admin, 'GET', '/audit?action=external_mcp.removed');
    expect(audit.json().data).toHaveLength(1);
  });

  it('attack: DNS rebinding — requests go only to the address the guard checked; a name that turns to the metadata address is refused', async () => {
    // The URL names a host only the engine's checked resolver knows: the server connects, so its requests used the
    // checked address (before the fix the SDK's own fetch asked the system's DNS again).
    const rebinding = 'mcp.rebind.example.test';
    dnsAnswers.set(rebinding, { address: '127.0.0.1', family: 4 });
    const pinnedUrl = url.replace('127.0.0.1', rebinding);
    const created = await call(admin, 'POST', '/integrations/mcp-servers', { name: 'rebinding', toolset: 'rebindops', transport: { type: 'http', url: pinnedUrl, token: httpToken } });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ status: 'connected', tools: expect.arrayContaining([expect.objectContaining({ original_name: 'get_status' })]) });
    const serverId = created.json().id as string;

    // the name now answers the cloud's metadata address: the next connection is refused before any socket opens
    dnsAnswers.set(rebinding, { address: '169.254.169.254', family: 4 });
    const tested = await call(admin, 'POST', `/integrations/mcp-servers/${serverId}/test`);
    expect(JSON.stringify(tested.json())).toContain('link-local or cloud metadata address');
    expect((await call(admin, 'DELETE', `/integrations/mcp-servers/${serverId}`)).statusCode).toBe(204);
  });
});
