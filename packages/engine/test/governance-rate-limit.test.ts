/**
 * The API-wide rate limit (issue 8): RATE_LIMIT_PER_MINUTE per user (per address when signed out), health checks
 * exempt; a 429 says when to retry (Retry-After) and the limit recovers after the window. With REDIS_URL the
 * counter is shared, so a user cannot multiply their budget by spreading requests over several engines.
 */
import { randomUUID } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { startTestEngine, type TestEngine } from './auth-test-engine.ts';
import { createTestPglite } from './storage-test-databases.ts';

const lites: PGlite[] = [];
const engines: TestEngine[] = [];
const windowSeconds = 5;

afterAll(async () => {
  for (const engine of engines) await engine.close();
  for (const lite of lites) await lite.close();
});

async function engineOn(lite: PGlite, env: Record<string, string>): Promise<TestEngine> {
  const engine = await startTestEngine({ lite, env: { RATE_LIMIT_PER_MINUTE: '5', RATE_LIMIT_WINDOW_SECONDS: String(windowSeconds), ...env } });
  engines.push(engine);
  return engine;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const list = (engine: TestEngine, token: string) => engine.request({ method: 'GET', url: '/api/v1/conversations', token });

describe('rate limit on the API', () => {
  it('limits each user separately, answers 429 with Retry-After, never limits health, and recovers after the window', async () => {
    const { lite } = await createTestPglite();
    lites.push(lite);
    const engine = await engineOn(lite, {});
    const alice = await engine.signUp('alice@example.com');
    await engine.request({ method: 'POST', url: '/api/v1/team/members', token: alice, payload: { email: 'bob@example.com', role: 'member', password: 'bob-initial-pass-42' } });
    const bob = (await engine.login('bob@example.com', 'bob-initial-pass-42')).json().access_token as string;
    await sleep(windowSeconds * 1000 + 100); // a fresh window: setup requests counted too

    const statuses = [];
    for (let index = 0; index < 6; index++) statuses.push((await list(engine, alice)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = await list(engine, alice);
    expect(limited.statusCode).toBe(429);
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
    expect(limited.json().detail).toMatch(/^Too many requests: more than 5 in 5 s \(RATE_LIMIT_PER_MINUTE\); try again in \d s\.$/);

    // another user has their own budget; health is never limited (load balancers poll it)
    expect((await list(engine, bob)).statusCode).toBe(200);
    for (let index = 0; index < 10; index++) expect((await engine.request({ method: 'GET', url: '/api/v1/health' })).statusCode).toBe(200);

    // recovers once the window has passed: asked until it answers (a refused request does not extend the window)
    await vi.waitFor(async () => expect((await list(engine, alice)).statusCode).toBe(200), { timeout: (retryAfter + 30) * 1000, interval: 250 });
  });

  it('with REDIS_URL, two engines share one counter per user', async () => {
    const { lite } = await createTestPglite();
    lites.push(lite);
    const env = { REDIS_URL: 'redis://127.0.0.1:6379/0', REDIS_KEY_PREFIX: `skyflo-test-${randomUUID()}:` };
    const first = await engineOn(lite, env);
    const second = await engineOn(lite, env);
    const alice = await first.signUp('alice@example.com');
    await sleep(windowSeconds * 1000 + 100);

    const statuses = [];
    for (let index = 0; index < 6; index++) statuses.push((await list(index % 2 === 0 ? first : second, alice)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect((await list(second, alice)).headers['retry-after']).toBeDefined();
  });
});
