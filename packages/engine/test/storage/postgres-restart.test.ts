/**
 * Issue 32, item 1: a Postgres restart mid-run crashed every engine with an unhandled 'error' event on a pg Client
 * ("terminating connection due to administrator command" / "Connection terminated unexpectedly"). Now the engine
 * process (a real `skyflo serve`, spawned) survives a real restart of its database: the run in flight ends with
 * workflow.error (STORAGE_UNAVAILABLE) then completed(error), /health says degraded naming the database, requests
 * get 503 with Retry-After while it is down, and once it is back a new chat works without restarting the engine.
 * The database is a cluster of this test's own (@skyflo/testkit/services), so stopping it touches nothing else.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PlatformStorage } from '../../src/platform/ports/index.ts';
import { isDatabaseUnavailable } from '../../src/platform/storage-faults/database-unavailable.ts';
import { createPostgresStorage } from '../../src/adapters/storage/postgres/postgres-storage.ts';
import { iterateSse, readSse, type SseFrame } from '../../src/testing/read-sse.ts';
import { startServeProcess, startThrowawayPostgres, type ServeProcess, type ThrowawayPostgres } from '@skyflo/testkit/services';

let directory: string;
let database: ThrowawayPostgres;
let sim: LlmSim;
let engine: ServeProcess;
let token: string;

function startEngineProcess(): Promise<ServeProcess> {
  return startServeProcess({
    env: {
      HOME: directory,
      KUBECACHEDIR: path.join(directory, 'kubecache'),
      SKYFLO_DATA_DIR: path.join(directory, 'data'),
      POSTGRES_DATABASE_URL: database.adminUrl,
      JWT_SECRET: 'postgres-restart-test-secret-0123456789abcdef',
      ALLOW_REGISTRATION: 'true',
      LLM_MODEL: 'openai-compatible/sim-model',
      LLM_HOST: sim.url,
      TITLE_GENERATION_ENABLED: 'false',
      // a lease far longer than the test: a conversation freed during it was released, not given up on
      RUN_LEASE_MS: '600000',
      LOG_LEVEL: 'info',
    },
  });
}

const chat = (body: unknown) =>
  fetch(`${engine.url}/agent/chat`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body), signal: AbortSignal.timeout(60_000) });

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'skyflo-pg-restart-'));
  [database, sim] = await Promise.all([startThrowawayPostgres(), startLlmSim({ port: 0 })]);
  engine = await startEngineProcess();
  const credentials = { email: 'ops@example.test', password: 'correct horse battery' };
  expect((await fetch(`${engine.url}/auth/register/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials) })).status).toBe(201);
  const login = await fetch(`${engine.url}/auth/jwt/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username: credentials.email, password: credentials.password }) });
  token = ((await login.json()) as { access_token: string }).access_token;
}, 300_000);

afterAll(async () => {
  await engine?.stop(5_000);
  await sim?.close();
  await database?.close();
  await rm(directory, { recursive: true, force: true });
});

describe('a transaction holds a connection when the database restarts', () => {
  let storage: PlatformStorage | undefined;
  afterAll(async () => storage?.close());

  // What crashed the engines: the server's "terminating connection" reached a client checked out of the pool between
  // two statements, which had no 'error' listener; Node made that an uncaught exception (this test run fails on it).
  it('fails that transaction as "database unavailable" without an uncaught error, and the pool reconnects', async () => {
    storage = await createPostgresStorage({ url: database.adminUrl, poolSize: 2 });
    await storage.settings.put('restart-probe', { before: true });
    const transaction = storage.atomically(async (stores) => {
      await stores.settings.put('restart-probe', { during: true });
      // the operator restarts the database while this transaction holds its connection, idle between statements
      await database.stop();
      await stores.settings.get('restart-probe');
    });
    const failure = await transaction.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isDatabaseUnavailable(failure)).toBe(true);
    await expect(storage.ping()).rejects.toThrow(/^Postgres at 127\.0\.0\.1:\d+\/postgres is unreachable: /);

    await database.start();
    await vi.waitFor(() => storage!.ping(), { timeout: 30_000, interval: 100 });
    // the transaction was rolled back with its connection; the pool serves with new ones
    expect(await storage.settings.get('restart-probe')).toEqual({ before: true });
    await storage.settings.put('restart-probe', { after: true });
    expect(await storage.settings.get('restart-probe')).toEqual({ after: true });
  }, 60_000);
});

describe('the database restarts while a run streams', () => {
  it('ends the run with STORAGE_UNAVAILABLE, reports degraded, answers 503 + Retry-After, and recovers by itself', async () => {
    sim.reset({
      rules: [
        { match: { userContains: 'explain' }, reply: { mode: 'stream', tokens: 120, tokensPerSecond: 40 } },
        { match: { userContains: 'again' }, reply: 'Back online.' },
      ],
    });
    const response = await chat({ messages: [{ role: 'user', content: 'explain everything' }] });
    expect(response.status).toBe(200);
    const frames: SseFrame[] = [];
    let stopping: Promise<void> | undefined;
    for await (const frame of iterateSse(response)) {
      frames.push(frame);
      // the operator stops the database mid-answer (the first half of `pg_ctl restart -m fast`); the model holds the
      // rest of its answer until the database is down, so the run goes on streaming without it however long that takes
      if (frame.event === 'token' && frames.filter((seen) => seen.event === 'token').length === 5) {
        sim.holdStreams();
        stopping = database.stop().finally(() => sim.releaseStreams());
      }
    }
    await stopping;

    const ending = frames.filter((frame) => frame.event !== 'heartbeat').slice(-2);
    expect(ending.map((frame) => frame.event)).toEqual(['workflow.error', 'completed']);
    expect(ending[0]!.data).toMatchObject({ code: 'STORAGE_UNAVAILABLE', error: expect.stringMatching(/^The database \(Postgres at 127\.0\.0\.1:\d+\/postgres\) became unavailable during this run/) });
    expect(ending[1]!.data).toMatchObject({ status: 'error' });
    expect(engine.child.exitCode).toBeNull();

    // while it is down: /health names the database, and requests that need it answer 503 with Retry-After
    // (why, to a signed-in user: the session's token is checked without the database; anyone else learns only that)
    const health = await fetch(`${engine.url}/health`, { headers: { authorization: `Bearer ${token}` } });
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'degraded', components: { database: expect.stringMatching(/^error: Postgres at 127\.0\.0\.1:\d+\/postgres is unreachable/) } });
    const anonymousHealth = await (await fetch(`${engine.url}/health`)).text();
    expect(JSON.parse(anonymousHealth)).toMatchObject({ status: 'degraded', components: { database: 'error' } });
    expect(anonymousHealth).not.toContain('127.0.0.1');
    const list = await fetch(`${engine.url}/conversations`, { headers: { authorization: `Bearer ${token}` } });
    expect(list.status).toBe(503);
    expect(list.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await list.json()) as { detail: string }).detail).toMatch(/^The database \(Postgres at 127\.0\.0\.1:\d+\/postgres\) is unavailable/);
    // a public route (a sign-in) is anyone's to call: it says the database is unavailable, not where it is
    const signIn = await fetch(`${engine.url}/auth/jwt/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username: 'ops@example.test', password: 'correct horse battery' }) });
    expect(signIn.status).toBe(503);
    const signInDetail = ((await signIn.json()) as { detail: string }).detail;
    expect(signInDetail).toMatch(/^The database is unavailable\. Retry in \d+ seconds/);
    expect(signInDetail).not.toContain('127.0.0.1');
    const refused = await chat({ messages: [{ role: 'user', content: 'try again' }] });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(engine.child.exitCode).toBeNull();

    // the second half of the restart: the engine reconnects by itself
    await database.start();
    // (only the database: this engine has no cluster configured, which /health reports as degraded on its own)
    await vi.waitFor(async () => expect(await (await fetch(`${engine.url}/health`)).json()).toMatchObject({ components: { database: 'ok' } }), { timeout: 30_000, interval: 200 });
    const again = await readSse(await chat({ messages: [{ role: 'user', content: 'try again' }] }));
    expect(again.filter((frame) => frame.event === 'token').map((frame) => frame.data['text']).join('')).toBe('Back online.');
    expect(again.at(-1)).toMatchObject({ event: 'completed', data: { status: 'completed' } });
    // the interrupted conversation is free again (its claim released once the database came back, long before the
    // run's lease would have lapsed): sending the message again is not refused
    const conversationId = String(frames[0]!.data['conversation_id']);
    const resentResponse = await chat({ conversation_id: conversationId, messages: [{ role: 'user', content: 'try again' }] });
    expect(resentResponse.status).toBe(200);
    const resent = await readSse(resentResponse);
    expect(resent.at(-1)).toMatchObject({ event: 'completed', data: { status: 'completed' } });
    // what the interrupted run saved before the restart is still there
    const saved = await fetch(`${engine.url}/conversations/${conversationId}`, { headers: { authorization: `Bearer ${token}` } });
    expect(saved.status).toBe(200);
    expect(((await saved.json()) as { messages: Array<{ type: string; content: string }> }).messages[0]).toMatchObject({ type: 'user', content: 'explain everything' });
    expect(engine.child.exitCode).toBeNull();
  }, 180_000);
});
