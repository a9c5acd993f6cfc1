/**
 * Issue 19, item 9: cross-site requests rode the session cookie. A form on another site could create conversations
 * as the victim, and log the victim into the attacker's account (login CSRF). Now an unsafe request whose Origin (or
 * Referer) is present must come from the engine's own address, PUBLIC_URL, ALLOWED_HOSTS or CORS_ORIGINS; clients
 * that send neither (CLI, curl) and bearer-token clients keep working. Every response carries the browser security
 * headers (CSP without inline script, frame-ancestors 'none', nosniff, Referrer-Policy same-origin).
 */
import type { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_TOKEN_COOKIE } from '../../src/http/plugins/authenticate.ts';
import { startTestEngine, testPassword, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';

let lite: PGlite;
let engine: TestEngine;
let victimToken: string;
let victimCookie: string;

const evil = 'https://evil.example';
const ownHost = 'localhost:8080';

/** What a browser sends for a form post: the session cookie, plus the page's Origin. */
const formPost = (url: string, body: Record<string, string>, headers: Record<string, string>) =>
  engine.request({ method: 'POST', url, payload: new URLSearchParams(body).toString(), headers: { host: ownHost, 'content-type': 'application/x-www-form-urlencoded', ...headers } });

const conversationsOf = async (token: string) => (await engine.request({ method: 'GET', url: '/api/v1/conversations', token })).json().data as unknown[];

beforeAll(async () => {
  ({ lite } = await createTestPglite());
  engine = await startTestEngine({
    lite,
    env: { PUBLIC_URL: 'https://skyflo.example.com', ALLOWED_HOSTS: 'skyflo-engine.skyflo.svc:8080,ops.example.net', CORS_ORIGINS: 'http://localhost:3000' },
  });
  victimToken = await engine.signUp('victim@example.com');
  const login = await engine.login('victim@example.com');
  victimCookie = `${ACCESS_TOKEN_COOKIE}=${login.cookies.find((cookie) => cookie.name === ACCESS_TOKEN_COOKIE)!.value}`;
  await engine.request({ method: 'POST', url: '/api/v1/team/members', token: victimToken, payload: { email: 'attacker@example.com', role: 'member', password: testPassword } });
});

afterAll(async () => {
  await engine?.close();
  await lite?.close();
});

describe('cross-site requests', () => {
  it('login CSRF: a foreign page cannot log the browser into the attacker account (Origin, Referer or Origin: null)', async () => {
    for (const headers of [{ origin: evil }, { referer: `${evil}/innocent-page` }, { origin: 'null' }] as Array<Record<string, string>>) {
      const attempt = await formPost('/api/v1/auth/jwt/login', { username: 'attacker@example.com', password: testPassword }, headers);
      expect(attempt.statusCode, JSON.stringify(headers)).toBe(403);
      expect(attempt.json().detail).toMatch(/^Cross-site request refused: it came from .*, which is not this engine's address\. If the Command Center is served from there, add it to PUBLIC_URL, ALLOWED_HOSTS or CORS_ORIGINS\.$/);
      // no session was handed to the browser
      expect(attempt.headers['set-cookie']).toBeUndefined();
    }
  });

  it('a foreign form cannot create a conversation with the victim cookie; the same page from the engine can', async () => {
    const forged = await engine.request({ method: 'POST', url: '/api/v1/conversations', payload: {}, headers: { host: ownHost, cookie: victimCookie, origin: evil } });
    expect(forged.statusCode).toBe(403);
    expect(await conversationsOf(victimToken)).toEqual([]);

    const own = await engine.request({ method: 'POST', url: '/api/v1/conversations', payload: {}, headers: { host: ownHost, cookie: victimCookie, origin: `http://${ownHost}`, referer: `http://${ownHost}/chat` } });
    expect(own.statusCode, own.body).toBe(201);
    expect(await conversationsOf(victimToken)).toHaveLength(1);
  });

  it('PUBLIC_URL, ALLOWED_HOSTS and CORS_ORIGINS are allowed origins', async () => {
    for (const [origin, host] of [
      ['https://skyflo.example.com', 'skyflo-engine.skyflo.svc:8080'],
      ['http://skyflo-engine.skyflo.svc:8080', 'skyflo-engine.skyflo.svc:8080'],
      ['https://ops.example.net', 'ops.example.net'],
      ['http://localhost:3000', ownHost],
    ]) {
      const login = await formPost('/api/v1/auth/jwt/login', { username: 'victim@example.com', password: testPassword }, { origin: origin!, host: host! });
      expect(login.statusCode, `${origin} via ${host}`).toBe(200);
    }
    // a port other than the one ALLOWED_HOSTS names is another origin
    expect((await formPost('/api/v1/auth/jwt/login', { username: 'victim@example.com', password: testPassword }, { origin: 'http://skyflo-engine.skyflo.svc:9999' })).statusCode).toBe(403);
  });

  it('clients without Origin (CLI, curl) and bearer-token clients keep working', async () => {
    const curlLogin = await engine.login('victim@example.com');
    expect(curlLogin.statusCode).toBe(200);
    const bearer = await engine.request({ method: 'POST', url: '/api/v1/conversations', payload: {}, token: victimToken });
    expect(bearer.statusCode).toBe(201);
    // a page cannot set Authorization cross-site without passing CORS, so a bearer request is never a forged one
    const bearerWithOrigin = await engine.request({ method: 'POST', url: '/api/v1/conversations', payload: {}, token: victimToken, headers: { origin: evil } });
    expect(bearerWithOrigin.statusCode).toBe(201);
    // reads are not state changes
    expect((await engine.request({ method: 'GET', url: '/api/v1/conversations', token: victimToken, headers: { origin: evil } })).statusCode).toBe(200);
  });
});

describe('security headers', () => {
  it('every response, the Command Center page included, forbids inline script, framing and sniffing, and keeps referrers same-origin', async () => {
    for (const url of ['/', '/api/v1/health', '/api/v1/nope']) {
      const response = await engine.request({ method: 'GET', url });
      expect(response.headers['x-content-type-options'], url).toBe('nosniff');
      expect(response.headers['referrer-policy'], url).toBe('same-origin');
      const csp = String(response.headers['content-security-policy']);
      expect(csp, url).toContain("frame-ancestors 'none'");
      expect(csp, url).toMatch(/(^|; )script-src 'self'(;|$)/);
      expect(csp, url).not.toMatch(/script-src[^;]*unsafe-inline/);
    }
  });
});
