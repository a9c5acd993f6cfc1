/**
 * Issue 75 item 4: health says what users feel. A real `skyflo serve` on a Postgres and a Redis of this test's own:
 *  - Redis stalled (SIGSTOP: its sockets stay open, nothing answers): before, every replica said `bus: ok` while a new
 *    chat hung 15 s. Now /readyz answers 503 naming the bus and a new chat 503 with Retry-After; both come back when
 *    Redis does.
 *  - Postgres stopped: /readyz 503 naming the database, a new chat 503 with Retry-After, and back afterwards.
 *  - /livez answers while the process serves; /healthz-style paths answer 404, never the Command Center's page.
 * And an engine whose cluster credentials the API server rejects (401 on every call) says so, where it said ok.
 * No timing is asserted: waits are for conditions, and a request that hangs fails at its (generous) abort.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { newTestPglite } from '../support/test-databases.ts';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { startServeProcess, startThrowawayPostgres, startThrowawayRedis, type ServeProcess, type ThrowawayPostgres, type ThrowawayRedis } from '@skyflo/testkit/services';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';

let directory: string;
let database: ThrowawayPostgres;
let redis: ThrowawayRedis;
let sim: LlmSim;
let engine: ServeProcess;
let cluster: KubeSim;
let token: string;
/** the server's root (the API is under /api/v1) */
let root: string;

/** A request that does not answer within this long has hung: the test fails instead of waiting for ever. */
const hangs = () => AbortSignal.timeout(30_000);

const chat = (content: string) =>
  fetch(`${engine.url}/agent/chat`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ messages: [{ role: 'user', content }] }), signal: hangs() });

async function readiness(): Promise<{ status: number; retryAfter: string | null; body: { status?: string; components?: Record<string, string> } }> {
  const response = await fetch(`${root}/readyz`, { headers: { authorization: `Bearer ${token}` }, signal: hangs() });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as never };
}

async function waitUntilReady(): Promise<void> {
  await vi.waitFor(
    async () => {
      const answer = await readiness();
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    },
    { timeout: 120_000, interval: 250 },
  );
}

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'skyflo-readiness-'));
  [database, redis, sim, cluster] = await Promise.all([startThrowawayPostgres(), startThrowawayRedis(), startLlmSim({ port: 0 }), startKubeSim({ port: 0, kubeconfigPath: path.join(directory, 'kubeconfig') })]);
  sim.reset({ rules: [{ match: { always: true }, reply: 'Here.' }] });
  engine = await startServeProcess({
    env: {
      HOME: directory,
      KUBECACHEDIR: path.join(directory, 'kubecache'),
      KUBECONFIG: path.join(directory, 'kubeconfig'),
      SKYFLO_DATA_DIR: path.join(directory, 'data'),
      POSTGRES_DATABASE_URL: database.adminUrl,
      REDIS_URL: redis.url,
      JWT_SECRET: 'readiness-test-secret-0123456789abcdef',
      ALLOW_REGISTRATION: 'true',
      LLM_MODEL: 'openai-compatible/sim-model',
      LLM_HOST: sim.url,
      TITLE_GENERATION_ENABLED: 'false',
      LOG_LEVEL: 'info',
    },
  });
  root = engine.url.replace(/\/api\/v1$/, '');
  const credentials = { email: 'ops@example.test', password: 'correct horse battery' };
  expect((await fetch(`${engine.url}/auth/register/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials) })).status).toBe(201);
  const login = await fetch(`${engine.url}/auth/jwt/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username: credentials.email, password: credentials.password }) });
  token = ((await login.json()) as { access_token: string }).access_token;
}, 300_000);

afterAll(async () => {
  await engine?.stop(5_000);
  await sim?.close();
  await cluster?.close();
  await redis?.close();
  await database?.close();
  if (directory) await rm(directory, { recursive: true, force: true });
}, 120_000);

describe('a replica whose dependencies stall or go away (skyflo serve on Postgres and Redis)', () => {
  it('/livez answers while the process serves; /readyz is 200 when everything answers; /healthz-style paths are not the UI', async () => {
    expect(await (await fetch(`${root}/livez`)).json()).toEqual({ status: 'ok' });
    // the clusters are part of it once the MCP server has loaded
    await vi.waitFor(async () => expect(await readiness()).toMatchObject({ status: 200, body: { status: 'ok', components: { database: 'ok', bus: 'ok', clusters: 'ok' } } }), { timeout: 120_000, interval: 250 });
    for (const probe of ['/healthz', '/health', '/ready', '/status']) {
      const response = await fetch(`${root}${probe}`);
      expect(response.status, probe).toBe(404);
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(((await response.json()) as { detail: string }).detail).toContain('GET /livez (liveness) and GET /readyz (readiness');
    }
  });

  it('Redis stalled (SIGSTOP): /readyz 503 naming the bus, a new chat 503 with Retry-After, and both back once Redis answers', { timeout: 300_000 }, async () => {
    await waitUntilReady();
    redis.pause();
    try {
      await vi.waitFor(
        async () => {
          const stalled = await readiness();
          expect(stalled.status).toBe(503);
          expect(stalled.retryAfter).toBe('5');
          expect(stalled.body.status).toBe('degraded');
          expect(stalled.body.components?.['bus']).toMatch(/^error: .*(did not answer PING|no answer within)/);
          expect(stalled.body.components?.['database']).toBe('ok');
        },
        { timeout: 60_000, interval: 250 },
      );
      const refused = await chat('hello while Redis is stalled');
      const detail = ((await refused.json()) as { detail: string; code: string });
      expect({ status: refused.status, retryAfter: refused.headers.get('retry-after'), code: detail.code }).toEqual({ status: 503, retryAfter: '5', code: 'EVENT_BUS_UNAVAILABLE' });
      expect(detail.detail).toMatch(/^The event bus is not answering \(.*\), so this cannot start now\. Retry in 5 seconds/);
      // /api/v1/health says the same
      const health = (await (await fetch(`${engine.url}/health`, { headers: { authorization: `Bearer ${token}` }, signal: hangs() })).json()) as { status: string; components: Record<string, string> };
      expect(health.status).toBe('degraded');
      expect(health.components['bus']).toMatch(/^error: /);
    } finally {
      redis.resume();
    }
    await waitUntilReady();
    const answered = await chat('hello after Redis came back');
    expect(answered.status).toBe(200);
    expect(await answered.text()).toContain('"status":"completed"');
  });

  it('Postgres stopped: /readyz 503 naming the database, a new chat 503 with Retry-After, and both back once it is up', { timeout: 300_000 }, async () => {
    await waitUntilReady();
    await database.stop();
    try {
      await vi.waitFor(
        async () => {
          const down = await readiness();
          expect(down.status).toBe(503);
          expect(down.body.components?.['database']).toMatch(/^error: /);
        },
        { timeout: 60_000, interval: 250 },
      );
      const refused = await chat('hello while the database is down');
      expect({ status: refused.status, retryAfter: refused.headers.get('retry-after') }).toEqual({ status: 503, retryAfter: '5' });
    } finally {
      await database.start();
    }
    await waitUntilReady();
    const answered = await chat('hello after the database came back');
    expect(answered.status).toBe(200);
    expect(await answered.text()).toContain('"status":"completed"');
  });
});

describe('cluster credentials the API server rejects', () => {
  let kube: KubeSim;
  let lite: PGlite;
  let rejected: TestEngine;
  let clusterDirectory: string;

  beforeAll(async () => {
    clusterDirectory = await mkdtemp(path.join(tmpdir(), 'skyflo-stale-credentials-'));
    const kubeconfig = path.join(clusterDirectory, 'kubeconfig');
    // TLS: kube-sim then requires a token it knows (401 otherwise), as a real API server does
    kube = await startKubeSim({ port: 0, tls: true, kubeconfigPath: kubeconfig });
    // the token was rotated since this kubeconfig was written
    await writeFile(kubeconfig, (await readFile(kubeconfig, 'utf8')).replace(kube.adminToken, 'rotated-away-0123456789'));
    lite = await newTestPglite();
    rejected = await startTestEngine({ lite, tools: createToolGateway({ embedded: { kubeconfigPath: kubeconfig } }) });
  }, 120_000);

  afterAll(async () => {
    await rejected?.close();
    await lite?.close();
    await kube?.close();
    if (clusterDirectory) await rm(clusterDirectory, { recursive: true, force: true });
  });

  it('/health names the rejected credentials and /readyz answers 503 (it said ok: /version answers anyone)', async () => {
    const token = await rejected.signUp('ops@example.test');
    // the first listing probes the cluster; /health answers from it once it is in
    await vi.waitFor(
      async () => {
        const health = await rejected.request({ method: 'GET', url: '/api/v1/health', token });
        expect(health.json()).toMatchObject({ status: 'degraded', components: { clusters: expect.stringMatching(/^error: kube-sim credentials rejected \(.*the API server rejected the credentials \(HTTP 401/) } });
      },
      { timeout: 60_000, interval: 250 },
    );
    const ready = await rejected.request({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    const clusters = await rejected.request({ method: 'GET', url: '/api/v1/clusters', token });
    expect(clusters.json().clusters).toEqual([expect.objectContaining({ name: 'kube-sim', reachable: false, credentials_rejected: true })]);
  });
});

describe('a cluster that is down for everyone', () => {
  let lite: PGlite;
  let engineOfDownCluster: TestEngine;
  let clusterDirectory: string;

  beforeAll(async () => {
    clusterDirectory = await mkdtemp(path.join(tmpdir(), 'skyflo-down-cluster-'));
    const kubeconfig = path.join(clusterDirectory, 'kubeconfig');
    // a cluster that was there and is gone: its API server's port refuses every connection
    const gone = await startKubeSim({ port: 0, kubeconfigPath: kubeconfig });
    await gone.close();
    lite = await newTestPglite();
    engineOfDownCluster = await startTestEngine({ lite, tools: createToolGateway({ embedded: { kubeconfigPath: kubeconfig } }) });
  }, 120_000);

  afterAll(async () => {
    await engineOfDownCluster?.close();
    await lite?.close();
    if (clusterDirectory) await rm(clusterDirectory, { recursive: true, force: true });
  });

  it('/health says degraded naming it, and /readyz stays 200: every replica sees it down, and people need one to investigate', async () => {
    const token = await engineOfDownCluster.signUp('ops@example.test');
    await vi.waitFor(
      async () => {
        const health = await engineOfDownCluster.request({ method: 'GET', url: '/api/v1/health', token });
        expect(health.json()).toMatchObject({ status: 'degraded', components: { clusters: expect.stringMatching(/^error: kube-sim unreachable/) } });
      },
      { timeout: 60_000, interval: 250 },
    );
    const ready = await engineOfDownCluster.request({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode, ready.body).toBe(200);
    expect(ready.headers['retry-after']).toBeUndefined();
    expect(ready.json()).toMatchObject({ status: 'degraded', components: { database: 'ok', bus: 'ok' } });
  });
});
