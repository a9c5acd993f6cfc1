/**
 * The embedded default (`skyflo serve` on PGlite in SKYFLO_DATA_DIR) under faults, as a user runs it (issue 32
 * item 7): SIGKILL during chats and approvals, a full disk under the data dir, and bad input on the wire. The cluster
 * is kube-sim (real kubectl), the model llm-sim.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { kubectlPath } from '@skyflo/testkit/tools';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { iterateSse, readSse, type SseFrame } from '@skyflo/engine/testing';
import { apiClient, registerUser, startEmbeddedEngine, type EmbeddedEngine } from './embedded-support/embedded-engine.ts';

const run = promisify(execFile);
let directory: string;
let kubeconfig: string;
let kube: KubeSim;
let sim: LlmSim;
const engines: EmbeddedEngine[] = [];

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run(kubectlPath, ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, KUBECACHEDIR: path.join(directory, 'kubectl-cache') } });
  return stdout.trim();
}

const deployment = (name: string) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${name}, namespace: default}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: ${name}}}\n  template:\n    metadata: {labels: {app: ${name}}}\n    spec: {containers: [{name: web, image: nginx:1.27}]}\n`;

/** "scale web-a" → load_toolset → k8s_scale web-a to 5 (call id call_scale_web-a) → a closing sentence */
function scaleRules(names: string[]) {
  return names.flatMap((name) => [
    { match: { lastRole: 'user' as const, userContains: `scale ${name}` }, reply: { toolCalls: [{ id: `call_load_${name}`, name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
    { match: { userContains: `scale ${name}`, toolName: 'load_toolset' }, reply: { toolCalls: [{ id: `call_scale_${name}`, name: 'k8s_scale', arguments: { name, resource_type: 'deployment', replicas: 5, namespace: 'default' } }] } },
    { match: { userContains: `scale ${name}`, toolName: 'k8s_scale' }, reply: `${name} has 5 replicas now.` },
  ]);
}

/** the deployment's real (non-dry-run) writes kube-sim received (kubectl scale PATCHes the scale subresource) */
const patchesOf = (name: string) =>
  kube.calls.filter((call) => (call.method === 'PATCH' || call.method === 'PUT') && new RegExp(`/deployments/${name}(/scale)?$`).test(call.path) && call.query['dryRun'] === undefined).length;

async function startEngine(dataDir: string, env: Record<string, string> = {}): Promise<EmbeddedEngine> {
  const engine = await startEmbeddedEngine({ home: directory, dataDir, kubeconfig, llmHost: sim.url, env });
  engines.push(engine);
  return engine;
}

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'skyflo-embedded-faults-'));
  kubeconfig = path.join(directory, 'kubeconfig');
  kube = await startKubeSim({ port: 0, kubeconfigPath: kubeconfig, callLogLimit: 50_000 });
  for (const name of ['web-a', 'web-b', 'web-c', 'web-d']) {
    const manifest = path.join(directory, `${name}.yaml`);
    await writeFile(manifest, deployment(name));
    await kubectl('apply', '-f', manifest);
  }
  sim = await startLlmSim({ port: 0 });
  sim.reset({
    rules: [
      ...scaleRules(['web-a', 'web-b', 'web-c', 'web-d']),
      { match: { userContains: 'slow story' }, reply: { mode: 'stream', tokens: 3000, tokensPerSecond: 50 } },
      { match: { userContains: 'hello' }, reply: 'Hello there.' },
    ],
  });
}, 120_000);

afterAll(async () => {
  for (const engine of engines) await engine.stop().catch(() => undefined);
  await sim?.close();
  await kube?.close();
  await rm(directory, { recursive: true, force: true });
}, 60_000);

/** Chats until the run pauses for approval: the conversation and the card's call id and args hash. */
async function askToScale(client: ReturnType<typeof apiClient>, name: string): Promise<{ conversationId: string; argsHash: unknown }> {
  const frames = await readSse(await client.post('/agent/chat', { messages: [{ role: 'user', content: `scale ${name} to 5` }] }));
  const card = frames.find((frame) => frame.event === 'tool.awaiting_approval');
  expect(card?.data, JSON.stringify(frames.map((frame) => frame.event))).toMatchObject({ call_id: `call_scale_${name}` });
  return { conversationId: String(frames[0]!.data['conversation_id']), argsHash: card!.data['args_hash'] };
}

describe('kill -9 of the embedded engine during chats and approvals', () => {
  it('keeps every acknowledged write and runs no approved call twice', { timeout: 600_000 }, async () => {
    const dataDir = path.join(directory, 'kill-data');
    let engine = await startEngine(dataDir);
    const current = () => engine;
    const adminToken = await registerUser(engine, 'alice@example.test');
    const bobToken = await registerUser(engine, 'bob@example.test');
    const carolToken = await registerUser(engine, 'carol@example.test');
    const alice = apiClient(current, adminToken);
    const bob = apiClient(current, bobToken);
    const carol = apiClient(current, carolToken);

    const asks = { a: await askToScale(alice, 'web-a'), b: await askToScale(bob, 'web-b'), c: await askToScale(carol, 'web-c'), d: await askToScale(alice, 'web-d') };

    // 1. mid-stream: carol's answer is streaming when the process dies
    const streaming = await carol.post('/agent/chat', { messages: [{ role: 'user', content: 'tell me a slow story' }] });
    let storyConversation = '';
    let tokens = 0;
    for await (const frame of iterateSse(streaming)) {
      if (frame.event === 'ready') storyConversation = String(frame.data['conversation_id']);
      if (frame.event === 'token' && ++tokens === 3) break;
    }
    await engine.kill();
    engine = await startEngine(dataDir);

    const conversationOf = async (client: ReturnType<typeof apiClient>, id: string) => client.get(`/conversations/${id}`);
    expect((await conversationOf(carol, storyConversation)).status).toBe(200);
    // carol's question is not left alone, as if nobody had tried: its answer says the engine stopped (what had
    // streamed was never stored)
    const story = (await (await conversationOf(carol, storyConversation)).json()) as { messages: Array<{ type: string; error?: string }> };
    expect(story.messages.map((entry) => entry.type)).toEqual(['user', 'assistant']);
    expect(story.messages[1]!.error).toMatch(/^No answer: the engine stopped while answering this/);
    for (const [client, ask] of [[alice, asks.a], [bob, asks.b], [carol, asks.c], [alice, asks.d]] as const) expect((await conversationOf(client, ask.conversationId)).status).toBe(200);
    // under the default policy each user lists (and decides) the calls of their own conversations
    const pendingCallIds = async () => {
      const lists = await Promise.all([alice, bob, carol].map(async (client) => (await (await client.get('/approvals/pending')).json()) as { data?: Array<{ call_id: string }> } | Array<{ call_id: string }>));
      return lists.flatMap((body) => (Array.isArray(body) ? body : (body.data ?? [])).map((item) => item.call_id)).sort();
    };
    expect(await pendingCallIds()).toEqual(['call_scale_web-a', 'call_scale_web-b', 'call_scale_web-c', 'call_scale_web-d']);

    // 2. right after a decision answered: the 200 of alice's approval has arrived, nothing more
    const approved = await alice.post('/agent/approvals/call_scale_web-a', { approve: true, conversation_id: asks.a.conversationId, args_hash: asks.a.argsHash });
    // a refusal names itself, and the engine's log says why (a loaded CI machine once answered 500 here)
    if (approved.status !== 200) throw new Error(`the approval answered ${approved.status}: ${await approved.text()}\n--- engine output ---\n${engine.output().slice(-6000)}`);
    await engine.kill();
    engine = await startEngine(dataDir);

    // 3. mid-execution: bob's approved call is executing when the process dies
    const executing = await bob.post('/agent/approvals/call_scale_web-b', { approve: true, conversation_id: asks.b.conversationId, args_hash: asks.b.argsHash });
    expect(executing.status).toBe(200);
    const seen: SseFrame[] = [];
    for await (const frame of iterateSse(executing)) {
      seen.push(frame);
      if (frame.event === 'tool.executing') break;
    }
    expect(seen.map((frame) => frame.event)).toContain('tool.executing');
    await engine.kill();
    engine = await startEngine(dataDir);

    // 4. a denial answered 2xx, then a kill at once
    const denied = await alice.post('/agent/approvals/call_scale_web-d', { approve: false, conversation_id: asks.d.conversationId, args_hash: asks.d.argsHash });
    expect(denied.status).toBe(200);
    await engine.kill();
    engine = await startEngine(dataDir);

    // The database opened without repair: the engine is up and its database answers.
    expect(await (await alice.get('/health')).json()).toMatchObject({ components: { database: 'ok' } });
    // Every decision that answered 2xx is decided (its card is no longer pending, a second decision is refused) and
    // audited; no call ran twice.
    expect(await pendingCallIds()).toEqual(['call_scale_web-c']);
    for (const [client, name, ask] of [[alice, 'web-a', asks.a], [bob, 'web-b', asks.b], [alice, 'web-d', asks.d]] as const) {
      const again = await client.post(`/agent/approvals/call_scale_${name}`, { approve: true, conversation_id: ask.conversationId, args_hash: ask.argsHash });
      expect(again.status, `${name}: ${await again.clone().text()}`).toBe(409);
    }
    const audit = (await (await alice.get('/audit?limit=200')).json()) as { data: Array<{ action: string; subject_id?: string | null }> };
    const decisions = audit.data.filter((record) => record.action.startsWith('approval.')).map((record) => `${record.action} ${record.subject_id}`);
    expect(decisions).toEqual(expect.arrayContaining(['approval.approved call_scale_web-a', 'approval.approved call_scale_web-b', 'approval.denied call_scale_web-d']));
    expect(patchesOf('web-a')).toBeLessThanOrEqual(1);
    expect(patchesOf('web-b')).toBeLessThanOrEqual(1);
    expect(patchesOf('web-d')).toBe(0);
    expect(await kubectl('get', 'deployment', 'web-d', '-o', 'jsonpath={.spec.replicas}')).toBe('1');
    // Nothing is shown under way for ever: after the restarts every card of these conversations has its outcome (the
    // one the database recorded, even when a kill cut the run's timeline write) or still awaits a decision.
    const cards: Array<{ id: string; status: string }> = [];
    for (const [client, ask] of [[alice, asks.a], [bob, asks.b], [carol, asks.c], [alice, asks.d]] as const) {
      const { messages } = (await (await conversationOf(client, ask.conversationId)).json()) as { messages: Array<{ segments?: Array<{ kind: string; id: string; toolExecution?: { status: string } }> }> };
      for (const segment of messages.flatMap((entry) => entry.segments ?? [])) if (segment.kind === 'tool') cards.push({ id: segment.id, status: segment.toolExecution!.status });
    }
    expect(cards.filter((card) => card.id.startsWith('call_scale_')).map((card) => card.id).sort()).toEqual(['call_scale_web-a', 'call_scale_web-b', 'call_scale_web-c', 'call_scale_web-d']);
    expect(cards.filter((card) => ['pending', 'approved', 'executing'].includes(card.status))).toEqual([]);

    // The restarted engine still works: carol's call, asked before the first kill, runs once now.
    const last = await readSse(await carol.post('/agent/approvals/call_scale_web-c', { approve: true, conversation_id: asks.c.conversationId, args_hash: asks.c.argsHash }));
    expect(last.at(-1)).toMatchObject({ event: 'completed', data: { status: 'completed' } });
    expect(await kubectl('get', 'deployment', 'web-c', '-o', 'jsonpath={.spec.replicas}')).toBe('5');
    expect(patchesOf('web-c')).toBe(1);
    // and the audit chain, written across four kills, verifies
    expect(await (await alice.get('/audit/verify')).json()).toMatchObject({ ok: true });
  });
});

describe('a full disk under the embedded data dir', () => {
  let disk = '';
  let mounted = false;

  afterAll(async () => {
    // the engine holds files there: stop it first (SIGKILL at worst), then unmount
    for (const engine of engines) await engine.stop().catch(() => undefined);
    if (mounted) execFileSync('umount', ['-l', disk]);
  }, 60_000);

  it('answers 507 STORAGE_FULL naming the disk, /health says degraded, and everything comes back once space is freed', { timeout: 600_000 }, async () => {
    disk = path.join(directory, 'small-disk');
    await mkdir(disk);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=60m', 'tmpfs', disk]);
    mounted = true;
    const dataDir = path.join(disk, 'data');
    // conversations are created in a loop below, faster than the default per-minute quota allows
    const env = { CONVERSATIONS_PER_MINUTE: '100000' };
    let engine = await startEngine(dataDir, env);
    const current = () => engine;
    const admin = apiClient(current, await registerUser(engine, 'ops@example.test'));
    const before = await readSse(await admin.post('/agent/chat', { messages: [{ role: 'user', content: 'hello before the disk fills' }] }));
    expect(before.at(-1)).toMatchObject({ event: 'completed', data: { status: 'completed' } });
    const beforeId = String(before[0]!.data['conversation_id']);

    // a filler file takes every free byte of the disk
    const filler = path.join(disk, 'filler');
    await fillDisk(filler);

    // a chat carrying 90,000 characters that do not compress: its rows need new pages, which the disk refuses
    // The run starts in one statement (conversation, claim, the message, its audit record): on a full disk that
    // statement fails before any stream opens, so the answer is a plain 507 and nothing of the chat was written.
    const conversationCount = async () => ((await (await admin.get('/conversations')).json()) as { data: unknown[] }).data.length;
    const conversationsBefore = await conversationCount();
    expect(conversationsBefore).toBeGreaterThan(0);
    const refused = await admin.post('/agent/chat', { messages: [{ role: 'user', content: `hello on a full disk ${randomBytes(67_500).toString('base64')}` }] });
    const refusal = (await refused.json()) as { detail: string; code?: string };
    expect({ status: refused.status, code: refusal.code }, refusal.detail).toEqual({ status: 507, code: 'STORAGE_FULL' });
    expect(refusal.detail).toContain('The disk holding the database is full');
    expect(refusal.detail).toContain('No space left on device');
    expect(await conversationCount()).toBe(conversationsBefore);
    // A request whose write fails answers 507 naming the disk. Small rows still fit in the table's free pages: create
    // conversations until one needs a page the disk refuses (a page holds a few dozen).
    let created: Response | undefined;
    for (let attempt = 0; attempt < 500 && (!created || created.status === 201); attempt += 1) {
      created = await admin.post('/conversations', { title: randomBytes(180).toString('base64').slice(0, 240) });
    }
    const body = (await created!.json()) as { detail: string; code?: string };
    expect({ status: created!.status, code: body.code }, body.detail).toEqual({ status: 507, code: 'STORAGE_FULL' });
    expect(body.detail).toContain(`The disk holding the database is full (${dataDir} on ${disk}`);
    expect(body.detail).toContain('No space left on device');
    expect(body.detail).toContain('Free space there; nothing was written.');
    const health = (await (await admin.get('/health')).json()) as { status: string; components: Record<string, string> };
    expect(health.status).toBe('degraded');
    expect(health.components['disk']).toContain(`the disk holding the database is full (${dataDir} on ${disk}`);

    // space freed: the engine recovers by itself, and nothing from before is lost
    await rm(filler);
    await vi.waitFor(async () => expect(await (await admin.get('/health')).json()).toMatchObject({ status: 'ok', components: { database: 'ok', disk: 'ok' } }), { timeout: 30_000, interval: 200 });
    const after = await readSse(await admin.post('/agent/chat', { messages: [{ role: 'user', content: 'hello after space was freed' }] }));
    expect(after.at(-1)).toMatchObject({ event: 'completed', data: { status: 'completed' } });
    // the database is not corrupted: it opens again after a restart, with the rows from before the disk filled
    await engine.stop();
    engine = await startEngine(dataDir, env);
    const kept = await admin.get(`/conversations/${beforeId}`);
    expect(kept.status).toBe(200);
    expect(JSON.stringify(await kept.json())).toContain('hello before the disk fills');
    expect(await (await admin.get('/audit/verify')).json()).toMatchObject({ ok: true });
  });
});

/** Writes `file` until the disk refuses another byte (ENOSPC). */
async function fillDisk(file: string): Promise<void> {
  const chunk = Buffer.alloc(1024 * 1024);
  const handle = await open(file, 'w');
  try {
    for (let size = chunk.length; size >= 1; ) {
      try {
        await handle.write(chunk, 0, size);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
        size = Math.floor(size / 2);
      }
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** A raw HTTP/1.1 connection to the engine: what a client that misbehaves on the wire sends. */
function rawConnection(api: string, head: { method: string; path: string; headers: Record<string, string> }) {
  const url = new URL(api);
  const socket = net.connect(Number(url.port), url.hostname);
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  const lines = [`${head.method} ${url.pathname}${head.path} HTTP/1.1`, `Host: ${url.host}`, ...Object.entries(head.headers).map(([name, value]) => `${name}: ${value}`)];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  return {
    socket,
    closed,
    /** the response's status code once its status line has arrived */
    status: () => /^HTTP\/1\.1 (\d{3})/.exec(received)?.[1],
    received: () => received,
  };
}

describe('bad input against the running embedded engine', () => {
  let engine: EmbeddedEngine;
  let token = '';
  const jsonHeaders = () => ({ 'content-type': 'application/json', authorization: `Bearer ${token}` });

  beforeAll(async () => {
    // a shorter body timeout, so the slow-body test waits seconds rather than the default 30 — but not so short that a
    // whole 200 KB body sent at once misses it on a busy machine (a CI run at load 14 had the deep-JSON test answered 408 at 3 s)
    engine = await startEngine(path.join(directory, 'input-data'), { REQUEST_BODY_TIMEOUT_MS: '15000' });
    token = await registerUser(engine, 'input@example.test');
  }, 200_000);

  it('refuses a body over the limit with 413 without reading it', { timeout: 60_000 }, async () => {
    const connection = rawConnection(engine.api, { method: 'POST', path: '/agent/chat', headers: { ...jsonHeaders(), 'content-length': String(50 * 1024 * 1024) } });
    // 64 KiB of the announced 50 MiB; the answer comes without the rest
    connection.socket.write(Buffer.alloc(64 * 1024, 0x20));
    await vi.waitFor(() => expect(connection.status()).toBe('413'), { timeout: 30_000, interval: 50 });
    expect(connection.received()).toContain('larger than the limit of 1048576 bytes');
    connection.socket.destroy();
  });

  it('refuses deeply nested JSON with 400', { timeout: 60_000 }, async () => {
    const deep = `{"messages":[{"role":"user","content":"hi","extra":${'['.repeat(100_000)}${']'.repeat(100_000)}}]}`;
    const response = await fetch(`${engine.api}/agent/chat`, { method: 'POST', headers: jsonHeaders(), body: deep });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { detail: string }).detail).toContain('deeper than 64 levels');
  });

  it('refuses a body that is not UTF-8 with 400 rather than changing the text', { timeout: 60_000 }, async () => {
    const body = Buffer.concat([Buffer.from('{"messages":[{"role":"user","content":"hello '), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}]}')]);
    const response = await fetch(`${engine.api}/agent/chat`, { method: 'POST', headers: jsonHeaders(), body });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { detail: string }).detail).toContain('not valid UTF-8');
    const conversations = (await (await fetch(`${engine.api}/conversations`, { headers: jsonHeaders() })).json()) as { data: unknown[] };
    expect(conversations.data).toHaveLength(0);
  });

  it('refuses a NUL in a field with 400 naming the field', { timeout: 60_000 }, async () => {
    const response = await fetch(`${engine.api}/agent/chat`, { method: 'POST', headers: jsonHeaders(), body: JSON.stringify({ messages: [{ role: 'user', content: 'scale\u0000web' }] }) });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { detail: string }).detail).toContain('body.messages[0].content contains a control character (U+0000)');
  });

  it('answers stalled and trickled bodies with 408 after the body timeout while other connections are served', { timeout: 120_000 }, async () => {
    const announced = { ...jsonHeaders(), 'content-length': '4096' };
    const stalled = rawConnection(engine.api, { method: 'POST', path: '/agent/chat', headers: announced });
    stalled.socket.write('{"messages":');
    const trickled = rawConnection(engine.api, { method: 'POST', path: '/agent/chat', headers: announced });
    const trickle = setInterval(() => trickled.socket.writable && trickled.socket.write(' '), 100);
    try {
      // both are pending; a request on another connection is answered meanwhile
      const health = await fetch(`${engine.api}/health`);
      expect(health.status).toBe(200);
      expect(stalled.status()).toBeUndefined();
      expect(trickled.status()).toBeUndefined();
      await vi.waitFor(() => expect([stalled.status(), trickled.status()]).toEqual(['408', '408']), { timeout: 60_000, interval: 100 });
      await Promise.all([stalled.closed, trickled.closed]);
    } finally {
      clearInterval(trickle);
      stalled.socket.destroy();
      trickled.socket.destroy();
    }
    // the engine still serves chats
    const chat = await readSse(await fetch(`${engine.api}/agent/chat`, { method: 'POST', headers: jsonHeaders(), body: JSON.stringify({ messages: [{ role: 'user', content: 'hello after the slow bodies' }] }) }));
    expect(chat.at(-1)).toMatchObject({ event: 'completed', data: { status: 'completed' } });
  });
});
