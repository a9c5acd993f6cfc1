/**
 * The API-wide rate limit (issue 8): RATE_LIMIT_PER_MINUTE per user (per address when signed out), health checks
 * exempt; a 429 says when to retry (Retry-After) and the limit recovers after the window. With REDIS_URL the
 * counter is shared, so a user cannot multiply their budget by spreading requests over several engines.
 * In memory, @fastify/rate-limit measures the window with Date.now: the test fakes Date (timers stay real) and moves
 * it instead of waiting.
 */
import type { PGlite } from '@electric-sql/pglite';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';
import { testRedisKeyPrefix, testRedisUrl } from '@skyflo/testkit/services';

const lites: PGlite[] = [];
const engines: TestEngine[] = [];
const windowSeconds = 5;

afterEach(() => {
  vi.useRealTimers();
});

afterAll(async () => {
  for (const engine of engines) await engine.close();
  for (const lite of lites) await lite.close();
});

async function engineOn(lite: PGlite, env: Record<string, string>): Promise<TestEngine> {
  const engine = await startTestEngine({ lite, env: { RATE_LIMIT_PER_MINUTE: '5', RATE_LIMIT_WINDOW_SECONDS: String(windowSeconds), ...env } });
  engines.push(engine);
  return engine;
}

const list = (engine: TestEngine, token: string) => engine.request({ method: 'GET', url: '/api/v1/conversations', token });

describe('rate limit on the API', () => {
  it('limits each user separately, answers 429 with Retry-After, never limits health, and recovers after the window', async () => {
    const { lite } = await createTestPglite();
    lites.push(lite);
    // Only Date is faked: the engine's timers, sockets and database thread run as usual.
    vi.useFakeTimers({ toFake: ['Date'] });
    const advance = (ms: number) => vi.setSystemTime(Date.now() + ms);
    const engine = await engineOn(lite, {});
    const alice = await engine.signUp('alice@example.com');
    await engine.request({ method: 'POST', url: '/api/v1/team/members', token: alice, payload: { email: 'bob@example.com', role: 'member', password: 'bob-initial-pass-42' } });
    const bob = (await engine.login('bob@example.com', 'bob-initial-pass-42')).json().access_token as string;
    advance(windowSeconds * 1000); // a fresh window: setup requests counted too

    const statuses = [];
    for (let index = 0; index < 6; index++) statuses.push((await list(engine, alice)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = await list(engine, alice);
    expect(limited.statusCode).toBe(429);
    // the clock has not moved since the window opened: the whole window is left
    expect(limited.headers['retry-after']).toBe(String(windowSeconds));
    expect(limited.json().detail).toBe('Too many requests: more than 5 in 5 s (RATE_LIMIT_PER_MINUTE); try again in 5 s.');

    // another user has their own budget; health is never limited (load balancers poll it)
    expect((await list(engine, bob)).statusCode).toBe(200);
    for (let index = 0; index < 10; index++) expect((await engine.request({ method: 'GET', url: '/api/v1/health' })).statusCode).toBe(200);

    // a client retrying just before Retry-After is still refused, and that refusal does not extend the window: once
    // Retry-After has passed, the next request is answered
    advance(windowSeconds * 1000 - 1);
    const early = await list(engine, alice);
    expect(early.statusCode).toBe(429);
    expect(early.headers['retry-after']).toBe('1');
    advance(1);
    expect((await list(engine, alice)).statusCode).toBe(200);
  });

  it('with REDIS_URL, two engines share one counter per user', async () => {
    const { lite } = await createTestPglite();
    lites.push(lite);
    // Redis measures this window (key expiry), not the engine's Date: a minute, so the six requests always fall in
    // one window however slow the machine. Signing up counts against the address, not alice, so her budget is whole.
    const env = { REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: testRedisKeyPrefix('rate-limit'), RATE_LIMIT_WINDOW_SECONDS: '60' };
    const first = await engineOn(lite, env);
    const second = await engineOn(lite, env);
    const alice = await first.signUp('alice@example.com');

    const statuses = [];
    for (let index = 0; index < 6; index++) statuses.push((await list(index % 2 === 0 ? first : second, alice)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect((await list(second, alice)).headers['retry-after']).toBeDefined();
  });
});
