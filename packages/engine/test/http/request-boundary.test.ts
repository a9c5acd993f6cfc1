/**
 * The engine refuses requests meant for someone else, and limits what one caller can do (issue 7, items 7, 8, 12):
 *  - DNS rebinding: a page on another domain rebound to 127.0.0.1 registered the first admin. Now only loopback
 *    names, PUBLIC_URL's host and ALLOWED_HOSTS are answered (health stays open for probes), and an engine bound
 *    beyond loopback wants the one-time setup token for the first admin.
 *  - Limits: concurrent runs per user, conversations per minute per user, failed logins per address across
 *    accounts; a deactivated account answers exactly like a wrong password.
 *  - Control characters (a NUL hung the PGlite stream) are refused with a 400 naming the field, and logs never
 *    carry query strings or query parameters.
 */
import { randomUUID } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeError, serializeRequest } from '../../src/platform/observability/log-serializers.ts';
import { startTestEngine, testPassword, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';

const engines: TestEngine[] = [];
const lites: PGlite[] = [];

async function engineWith(env: Record<string, string>): Promise<TestEngine> {
  const { lite } = await createTestPglite();
  lites.push(lite);
  const engine = await startTestEngine({ lite, env });
  engines.push(engine);
  return engine;
}

afterAll(async () => {
  for (const engine of engines) await engine.close();
  for (const lite of lites) await lite.close();
});

const register = (engine: TestEngine, payload: Record<string, unknown>, host?: string) =>
  engine.request({ method: 'POST', url: '/api/v1/auth/register/register', payload, ...(host ? { headers: { host } } : {}) });

describe('Host allowlist (DNS rebinding)', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await engineWith({ PUBLIC_URL: 'https://skyflo.example.com', ALLOWED_HOSTS: 'skyflo-engine.skyflo.svc' });
  });

  it('a rebound page (Host: attacker.example) cannot register the first admin or read anything', async () => {
    const attempt = await register(engine, { email: 'evil@attacker.example', password: testPassword }, 'attacker.example:8080');
    expect(attempt.statusCode).toBe(403);
    expect(attempt.json().detail).toMatch(/does not answer to Host "attacker\.example:8080".*ALLOWED_HOSTS or set PUBLIC_URL/);
    expect((await engine.request({ method: 'GET', url: '/api/v1/auth/is_admin_user', headers: { host: 'attacker.example' } })).statusCode).toBe(403);
    // nobody was created
    expect((await engine.request({ method: 'GET', url: '/api/v1/auth/is_admin_user' })).json()).toMatchObject({ is_admin: true });
  });

  it('answers loopback names, PUBLIC_URL and ALLOWED_HOSTS, and health to anyone (kubelet probes use the pod IP)', async () => {
    for (const host of ['localhost:8080', '127.0.0.1:8080', '[::1]:8080', 'skyflo.example.com', 'skyflo-engine.skyflo.svc:8080']) {
      expect((await engine.request({ method: 'GET', url: '/api/v1/auth/is_admin_user', headers: { host } })).statusCode, host).toBe(200);
    }
    expect((await engine.request({ method: 'GET', url: '/api/v1/health', headers: { host: '10.244.1.7:8080' } })).statusCode).toBe(200);
    // issue 75: the kubelet's probes at the root, by the pod's IP
    expect((await engine.request({ method: 'GET', url: '/livez', headers: { host: '10.244.1.7:8080' } })).statusCode).toBe(200);
    expect([200, 503]).toContain((await engine.request({ method: 'GET', url: '/readyz', headers: { host: '10.244.1.7:8080' } })).statusCode);
  });
});

describe('request bodies: sizes bounded, wrong types refused (issue 75 item 6)', () => {
  let engine: TestEngine;
  let token: string;
  beforeAll(async () => {
    engine = await engineWith({ CONVERSATIONS_PER_MINUTE: '1000' });
    token = await engine.signUp('bounds@example.com');
  });

  it('a chat with 10,000 messages is refused with 400 naming the limit (it answered 200)', async () => {
    const messages = Array.from({ length: 10_000 }, () => ({ role: 'user', content: 'hi' }));
    const refused = await engine.request({ method: 'POST', url: '/api/v1/agent/chat', token, payload: { messages } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().detail).toBe("Invalid chat request: messages: messages may hold at most 100 messages; send the new one (the engine keeps the conversation's history, continue it with conversation_id)");
    expect((await engine.request({ method: 'GET', url: '/api/v1/conversations', token })).json().data).toEqual([]);
  });

  it('a conversation created with a title of the wrong type is refused with 400 (it answered 201 and dropped it); a string title is kept', async () => {
    const refused = await engine.request({ method: 'POST', url: '/api/v1/conversations', token, payload: { title: 12345 } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().detail).toContain('title must be a string');
    const tooLong = await engine.request({ method: 'POST', url: '/api/v1/conversations', token, payload: { title: 'x'.repeat(256) } });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().detail).toContain('title may be at most 255 characters');
    expect((await engine.request({ method: 'GET', url: '/api/v1/conversations', token })).json().data).toEqual([]);
    const created = await engine.request({ method: 'POST', url: '/api/v1/conversations', token, payload: { title: 'Payments outage' } });
    expect(created.statusCode).toBe(201);
    expect(created.json().title).toBe('Payments outage');
  });

  it('conversation metadata is bounded, and a wrong-typed flag is refused', async () => {
    const created = (await engine.request({ method: 'POST', url: '/api/v1/conversations', token, payload: {} })).json();
    const huge = Object.fromEntries(Array.from({ length: 65 }, (_, index) => [`key${index}`, index]));
    const refused = await engine.request({ method: 'PATCH', url: `/api/v1/conversations/${created.id}`, token, payload: { conversation_metadata: huge } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().detail).toContain('conversation_metadata may have at most 64 keys');
    const wrongType = await engine.request({ method: 'PATCH', url: `/api/v1/conversations/${created.id}`, token, payload: { is_active: 'yes' } });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json().detail).toContain('is_active must be true or false');
  });
});

describe('first admin on an engine bound beyond loopback', () => {
  it('needs the one-time setup token from the start-up log', async () => {
    const engine = await engineWith({ HOST: '0.0.0.0', ALLOWED_HOSTS: '*' });
    expect(engine.engine.setupToken).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect((await engine.request({ method: 'GET', url: '/api/v1/auth/is_admin_user' })).json()).toEqual({ is_admin: true, setup_token_required: true });
    const without = await register(engine, { email: 'admin@example.com', password: testPassword });
    expect(without.statusCode).toBe(403);
    expect(without.json().detail).toMatch(/one-time setup token printed in its start-up log/);
    expect((await register(engine, { email: 'admin@example.com', password: testPassword, setup_token: 'guessed-token-guessed' })).statusCode).toBe(403);
    const withToken = await register(engine, { email: 'admin@example.com', password: testPassword, setup_token: engine.engine.setupToken });
    expect(withToken.statusCode).toBe(201);
    expect(withToken.json()).toMatchObject({ role: 'admin' });
  });

  it('a loopback engine needs none', async () => {
    const engine = await engineWith({});
    expect(engine.engine.setupToken).toBeUndefined();
    expect((await register(engine, { email: 'admin@example.com', password: testPassword })).statusCode).toBe(201);
  });
});

describe('limits', () => {
  let engine: TestEngine;
  let token: string;
  let userId: string;
  beforeAll(async () => {
    engine = await engineWith({ ALLOW_REGISTRATION: 'true', MAX_CONCURRENT_RUNS_PER_USER: '2', CONVERSATIONS_PER_MINUTE: '3', LOGIN_RATE_LIMIT_ADDRESS_ATTEMPTS: '5' });
    token = await engine.signUp('admin@example.com');
    userId = (await engine.request({ method: 'GET', url: '/api/v1/auth/me', token })).json().id;
  });

  it('refuses a third concurrent run for one user with 429, Retry-After and what to do', async () => {
    const storage = engine.engine.storage;
    for (let index = 0; index < 2; index++) {
      const conversation = await storage.conversations.create({ userId });
      expect(await storage.runs.begin({ runId: randomUUID(), conversationId: conversation.id, leaseMs: 60_000, userId, maxRunningPerUser: 2 })).toEqual({ ok: true });
    }
    const conversation = await storage.conversations.create({ userId });
    const third = await engine.request({ method: 'POST', url: '/api/v1/agent/chat', token, payload: { conversation_id: conversation.id, messages: [{ role: 'user', content: 'hello' }] } });
    expect(third.statusCode).toBe(429);
    expect(third.headers['retry-after']).toBe('5');
    expect(third.json().detail).toMatch(/already have 2 agent runs in progress.*MAX_CONCURRENT_RUNS_PER_USER/);
  });

  it('limits new conversations per user per minute across both routes that create one', async () => {
    const member = await engine.signUp('member@example.com');
    for (let index = 0; index < 3; index++) expect((await engine.request({ method: 'POST', url: '/api/v1/conversations', token: member, payload: {} })).statusCode).toBe(201);
    const fourth = await engine.request({ method: 'POST', url: '/api/v1/conversations', token: member, payload: {} });
    expect(fourth.statusCode).toBe(429);
    expect(Number(fourth.headers['retry-after'])).toBeGreaterThan(0);
    expect(fourth.json().detail).toMatch(/more than 3 conversations in a minute \(CONVERSATIONS_PER_MINUTE\)/);
    // a chat without a conversation id would create one: same counter
    const chat = await engine.request({ method: 'POST', url: '/api/v1/agent/chat', token: member, payload: { messages: [{ role: 'user', content: 'hi' }] } });
    expect(chat.statusCode).toBe(429);
    // another user is not affected
    const other = await engine.signUp('other@example.com');
    expect((await engine.request({ method: 'POST', url: '/api/v1/conversations', token: other, payload: {} })).statusCode).toBe(201);
  });

  it('throttles one address spraying passwords over many accounts', async () => {
    for (let index = 0; index < 6; index++) await engine.signUp(`spray${index}@example.com`);
    for (let index = 0; index < 5; index++) expect((await engine.login(`spray${index}@example.com`, 'wrong-password-1')).statusCode).toBe(400);
    // the sixth account, even with its right password, is refused for this address now
    const blocked = await engine.login('spray5@example.com');
    expect(blocked.statusCode).toBe(429);
  });

  it('a deactivated account answers exactly like a wrong password, so a guessed password is not confirmed', async () => {
    const fresh = await engineWith({ ALLOW_REGISTRATION: 'true' });
    const admin = await fresh.signUp('admin@example.com');
    await fresh.signUp('leaver@example.com');
    expect((await fresh.login('leaver@example.com')).statusCode).toBe(200);
    const leaver = await fresh.engine.storage.users.findByEmail('leaver@example.com');
    expect((await fresh.request({ method: 'PATCH', url: `/api/v1/auth/users/${leaver!.id}`, token: admin, payload: { is_active: false } })).statusCode).toBe(200);
    const rightPassword = await fresh.login('leaver@example.com');
    const wrongPassword = await fresh.login('leaver@example.com', 'not-the-password');
    expect(rightPassword.statusCode).toBe(wrongPassword.statusCode);
    expect(rightPassword.json()).toEqual(wrongPassword.json());
    expect(rightPassword.json()).toEqual({ detail: 'Incorrect email or password', category: 'user', retryable: false });
  });
});

describe('control characters and logs', () => {
  let engine: TestEngine;
  let token: string;
  beforeAll(async () => {
    engine = await engineWith({});
    token = await engine.signUp('admin@example.com');
  });

  it('refuses a NUL in a chat message with a 400 naming the field (it used to hang the PGlite stream)', async () => {
    const response = await engine.request({ method: 'POST', url: '/api/v1/agent/chat', token, payload: { messages: [{ role: 'user', content: 'list pods\u0000 now' }] } });
    expect(response.statusCode).toBe(400);
    expect(response.json().detail).toBe('body.messages[0].content contains a control character (U+0000) at position 9; remove it and send the request again.');
    const conversation = (await engine.request({ method: 'POST', url: '/api/v1/conversations', token, payload: {} })).json().id;
    const title = await engine.request({ method: 'PATCH', url: `/api/v1/conversations/${conversation}`, token, payload: { title: 'bell\u0007' } });
    expect(title.statusCode).toBe(400);
    expect(title.json().detail).toMatch(/body\.title contains a control character \(U\+0007\)/);
    const search = await engine.request({ method: 'GET', url: '/api/v1/conversations?query=ab%00cd', token });
    expect(search.statusCode).toBe(400);
    expect(search.json().detail).toMatch(/query\.query contains a control character/);
    // tabs and newlines are ordinary text
    const ok = await engine.request({ method: 'PATCH', url: `/api/v1/conversations/${conversation}`, token, payload: { title: 'line one\tand two' } });
    expect(ok.statusCode).toBe(200);
  });

  it('logs keep the SQL and the path, never query parameters or query strings', () => {
    const failed = new DrizzleQueryError('insert into "messages" ("content") values ($1)', ['my private chat text'], new Error('invalid byte sequence'));
    const logged = JSON.stringify(serializeError(failed));
    expect(logged).toContain('insert into \\"messages\\"');
    expect(logged).toContain('invalid byte sequence');
    expect(logged).not.toContain('my private chat text');
    expect(serializeRequest({ method: 'GET', url: '/api/v1/conversations?query=my+private+search', ip: '127.0.0.1' })).toMatchObject({ method: 'GET', url: '/api/v1/conversations' });
  });
});
