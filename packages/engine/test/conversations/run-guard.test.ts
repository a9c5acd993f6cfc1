/**
 * One run per conversation, on any engine process: a second chat while a run is active gets 409 naming the run,
 * whether it reaches the same process (PGlite, in-process bus) or another one (two engines on one Postgres
 * database and one Redis). Also: GET /agent/runs/:run_id/events answers 404 at once for unknown or expired
 * runs, and a run whose process died (lapsed lease) does not block its conversation, nor leaves its cards spinning.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { AgentEvent } from '@skyflo/protocol';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPasswordHasher } from '../../src/app/accounts/password-hasher.ts';
import { loadConfig, type Environment } from '../../src/platform/config/index.ts';
import { createEngine, type Engine, type EngineOverrides } from '../../src/create-engine.ts';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import type { PlatformStorage } from '../../src/platform/ports/index.ts';
import { createPgliteStorage } from '../../src/adapters/storage/pglite/pglite-storage.ts';
import { interruptedCallText } from '../../src/domain/tool-calls/execute/settle-dead-run-cards.ts';
import { appendUserEntry, applyEventToTimeline } from '../../src/domain/timeline/apply-event.ts';
import { startFakeMcpServer, type FakeMcpServer } from '../../src/testing/fake-mcp-server.ts';
import { iterateSse, readSse, type SseFrame } from '../../src/testing/read-sse.ts';
import { createTestPglite, createTestPostgresDatabase, type TestPostgresDatabase } from '../support/test-databases.ts';
import { testRedisKeyPrefix, testRedisUrl } from '@skyflo/testkit/services';

interface Backend {
  /** base URLs of the engine that takes the first chat and of the one that takes the second */
  first: string;
  second: string;
  query(text: string, params?: unknown[]): Promise<unknown[]>;
  /** the storage of the engine that takes the second chat */
  storage: PlatformStorage;
  close(): Promise<void>;
}

let sim: LlmSim;
let mcp: FakeMcpServer;

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  // "hang" keeps the model call (and so the run) open until the run is stopped.
  sim.reset({ rules: [{ match: { userContains: 'hang' }, failure: { kind: 'hang' } }], fallback: 'All pods are running.' });
  mcp = await startFakeMcpServer();
});

afterAll(async () => {
  await sim?.close();
  await mcp?.close();
});

async function startEngine(env: Environment, storage?: EngineOverrides['storage']): Promise<{ engine: Engine; url: string }> {
  const config = loadConfig({
    PORT: '0',
    SKYFLO_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'skyflo-run-guard-')),
    JWT_SECRET: 'run-guard-test-secret-that-is-long-enough-0123456789',
    SKYFLO_ENCRYPTION_KEY: '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff',
    ALLOW_REGISTRATION: 'true',
    LLM_MODEL: 'openai-compatible/sim-model',
    LLM_HOST: sim.url,
    TITLE_GENERATION_ENABLED: 'false',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const engine = await createEngine(config, {
    tools: createToolGateway({ client: mcp.client }),
    logger: false,
    passwordHasher: createPasswordHasher({ memoryCost: 1024, timeCost: 1 }),
    ...(storage ? { storage } : {}),
  });
  return { engine, url: await engine.listen() };
}

async function pgliteBackend(): Promise<Backend> {
  const { lite, query }: { lite: PGlite; query: Backend['query'] } = await createTestPglite();
  const storage = await createPgliteStorage({ lite });
  const { engine, url } = await startEngine({}, storage);
  return {
    first: url,
    second: url,
    query,
    storage,
    async close() {
      await engine.close();
      await storage.close();
      await lite.close();
    },
  };
}

async function postgresBackend(): Promise<Backend> {
  const database: TestPostgresDatabase = await createTestPostgresDatabase();
  const env = { POSTGRES_DATABASE_URL: database.url, REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: testRedisKeyPrefix('run-guard') };
  const first = await startEngine(env);
  const second = await startEngine(env);
  return {
    first: first.url,
    second: second.url,
    query: database.query,
    storage: second.engine.storage,
    async close() {
      await first.engine.close();
      await second.engine.close();
      await database.drop();
    },
  };
}

describe.each([
  { name: 'one process (PGlite, in-process bus)', start: pgliteBackend },
  { name: 'two processes (Postgres + Redis)', start: postgresBackend },
])('$name', ({ start }) => {
  let backend: Backend;
  let token: string;

  beforeAll(async () => {
    backend = await start();
    const email = `ops-${randomUUID()}@example.test`;
    const password = 'correct horse battery';
    await fetch(`${backend.first}/api/v1/auth/register/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
    const login = await fetch(`${backend.first}/api/v1/auth/jwt/login`, { method: 'POST', body: new URLSearchParams({ username: email, password }) });
    token = ((await login.json()) as { access_token: string }).access_token;
  });

  afterAll(async () => {
    await backend?.close();
  });

  const call = (base: string, method: string, pathname: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}/api/v1${pathname}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });

  async function createConversation(): Promise<string> {
    return ((await (await call(backend.first, 'POST', '/conversations', {})).json()) as { id: string }).id;
  }

  it('refuses a second chat on the same conversation while a run is active, names the run, and accepts one after stop', async () => {
    const conversationId = await createConversation();
    const firstResponse = await call(backend.first, 'POST', '/agent/chat', { conversation_id: conversationId, messages: [{ role: 'user', content: 'hang on this one' }] });
    expect(firstResponse.status).toBe(200);
    const frames: SseFrame[] = [];
    // next() rather than for-await with break, which would close the stream
    const stream = iterateSse(firstResponse);
    for (let item = await stream.next(); !item.done; item = await stream.next()) {
      frames.push(item.value);
      if (item.value.event === 'generation.start') break;
    }
    const runId = String(frames[0]!.data['run_id']);

    const refused = await call(backend.second, 'POST', '/agent/chat', { conversation_id: conversationId, messages: [{ role: 'user', content: 'what pods run?' }] });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { detail: string }).detail).toBe(
      `A run is already in progress for this conversation (run_id ${runId}); stop it with POST /agent/stop or wait for it to finish.`,
    );
    expect(await backend.query("SELECT count(*)::int AS n FROM runs WHERE conversation_id = $1 AND status = 'running'", [conversationId])).toEqual([{ n: 1 }]);

    // stop through the other process; the first stream ends with completed(stopped)
    const stopped = await call(backend.second, 'POST', '/agent/stop', { conversation_id: conversationId, run_id: runId });
    expect(stopped.status).toBe(200);
    for await (const frame of stream) frames.push(frame);
    expect(frames.at(-1)).toMatchObject({ event: 'completed', data: { status: 'stopped' } });

    const next = await call(backend.second, 'POST', '/agent/chat', { conversation_id: conversationId, messages: [{ role: 'user', content: 'what pods run?' }] });
    expect(next.status).toBe(200);
    const nextFrames = await readSse(next);
    expect(nextFrames.at(-1)).toMatchObject({ event: 'completed', data: { status: 'completed' } });
    expect(nextFrames.find((frame) => frame.event === 'generation.complete')?.data['content']).toBe('All pods are running.');

    // the finished run's events can be replayed from either process
    const replay = await call(backend.second, 'GET', `/agent/runs/${runId}/events?conversation_id=${conversationId}`, undefined, { 'last-event-id': '0' });
    expect(replay.status).toBe(200);
    expect((await readSse(replay)).at(-1)).toMatchObject({ event: 'completed', data: { status: 'stopped', run_id: runId } });
  });

  it('answers 404 at once for an unknown run id and for a run whose events have expired', async () => {
    const conversationId = await createConversation();
    const unknownRun = randomUUID();
    const unknown = await call(backend.second, 'GET', `/agent/runs/${unknownRun}/events?conversation_id=${conversationId}`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { detail: string }).detail).toBe(
      `Run ${unknownRun} not found in conversation ${conversationId}; use the run_id of the \`ready\` event of a chat or approval stream.`,
    );

    const chat = await call(backend.first, 'POST', '/agent/chat', { conversation_id: conversationId, messages: [{ role: 'user', content: 'list pods' }] });
    const runId = String((await readSse(chat))[0]!.data['run_id']);
    // The stream's `completed` can arrive before the run's row is marked finished; backdate only a finished row, or
    // the engine's own finish would overwrite the backdated time.
    await vi.waitFor(async () => expect(await backend.query('SELECT finished_at IS NOT NULL AS finished FROM runs WHERE run_id = $1', [runId])).toEqual([{ finished: true }]), { timeout: 10_000, interval: 50 });
    // older than EVENT_BUFFER_TTL_SECONDS (1 h by default): the bus no longer has its events
    await backend.query("UPDATE runs SET finished_at = now() - interval '2 hours' WHERE run_id = $1", [runId]);
    const expired = await call(backend.second, 'GET', `/agent/runs/${runId}/events?conversation_id=${conversationId}`);
    expect(expired.status).toBe(404);
    expect(((await expired.json()) as { detail: string }).detail).toMatch(/no longer kept \(EVENT_BUFFER_TTL_SECONDS\); read the outcome with GET \/conversations\//);
  });

  it('does not let a run whose process died (lease lapsed) block the conversation, nor leave its card under way', async () => {
    const conversationId = await createConversation();
    // A first chat has run to its end (and loaded the agent, whose start-up reconciliation would otherwise end the
    // dead run below before any claim could).
    const first = await call(backend.first, 'POST', '/agent/chat', { conversation_id: conversationId, messages: [{ role: 'user', content: 'hello' }] });
    const firstRun = String((await readSse(first))[0]!.data['run_id']);
    await vi.waitFor(async () => expect(await backend.query('SELECT status FROM runs WHERE run_id = $1', [firstRun])).toEqual([{ status: 'finished' }]), { timeout: 10_000, interval: 50 });
    const crashed = randomUUID();
    // The dead run had a read under way; its last landed timeline write left the card executing.
    const executing = { type: 'tool.executing', call_id: 'call_read', tool: 'k8s_get', title: 'k8s_get', args: { resource_type: 'pods' }, conversation_id: conversationId, run_id: crashed, timestamp: 1 } as AgentEvent;
    await backend.storage.conversations.updateTimeline(conversationId, (timeline) => applyEventToTimeline(appendUserEntry(timeline, { id: 'u1', content: 'what pods run?', timestamp: 0 }), executing));
    await backend.query("INSERT INTO runs (run_id, conversation_id, status, lease_until) VALUES ($1, $2, 'running', now() - interval '1 second')", [crashed, conversationId]);
    const chat = await call(backend.second, 'POST', '/agent/chat', { conversation_id: conversationId, messages: [{ role: 'user', content: 'list pods' }] });
    expect(chat.status).toBe(200);
    expect((await readSse(chat)).at(-1)).toMatchObject({ event: 'completed', data: { status: 'completed' } });
    expect(await backend.query('SELECT status FROM runs WHERE run_id = $1', [crashed])).toEqual([{ status: 'finished' }]);
    // The claim that ended the dead run settled its card (the reconciler never names a run it did not end itself),
    // and the new answer follows it.
    const conversation = (await (await call(backend.second, 'GET', `/conversations/${conversationId}`)).json()) as { messages: { type: string; segments?: { kind: string; id?: string; toolExecution?: Record<string, unknown> }[]; content?: string }[] };
    const card = conversation.messages.flatMap((entry) => entry.segments ?? []).find((segment) => segment.kind === 'tool' && segment.id === 'call_read');
    expect(card?.toolExecution).toMatchObject({ status: 'error', error_code: 'INTERRUPTED', error: interruptedCallText });
    expect(JSON.stringify(conversation.messages.at(-1))).toContain('All pods are running.');
  });
});
