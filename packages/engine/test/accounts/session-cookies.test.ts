/**
 * Review findings on session cookies: behind a TLS-terminating proxy (the usual deployment) the engine sees plain
 * HTTP, so the Secure flag depends on trusting X-Forwarded-Proto, which only an operator may switch on.
 */
import type { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/platform/config/index.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';

let lite: PGlite;
let direct: TestEngine; // TRUST_PROXY unset (default)
let proxied: TestEngine; // TRUST_PROXY=true

beforeAll(async () => {
  ({ lite } = await createTestPglite());
  direct = await startTestEngine({ lite });
  proxied = await startTestEngine({ lite, env: { TRUST_PROXY: 'true' } });
  await direct.signUp('owner@example.com');
});

afterAll(async () => {
  await direct?.close();
  await proxied?.close();
  await lite?.close();
});

const secureFlags = (response: Awaited<ReturnType<TestEngine['login']>>) => Object.fromEntries(response.cookies.map((cookie) => [cookie.name, Boolean(cookie.secure)]));

describe('Secure session cookies behind an HTTPS proxy', () => {
  it('with TRUST_PROXY=true, a login forwarded over HTTPS gets Secure, HttpOnly cookies', async () => {
    const login = await proxied.request({
      method: 'POST',
      url: '/api/v1/auth/jwt/login',
      payload: new URLSearchParams({ username: 'owner@example.com', password: 'correct horse battery' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-proto': 'https' },
    });
    expect(login.statusCode).toBe(200);
    expect(secureFlags(login)).toEqual({ auth_token: true, refresh_token: true });
    expect(login.cookies.every((cookie) => cookie.httpOnly)).toBe(true);
  });

  it('without TRUST_PROXY, a client cannot choose the flags with a forged header, and plain HTTP stays non-Secure', async () => {
    const forged = await direct.request({
      method: 'POST',
      url: '/api/v1/auth/jwt/login',
      payload: new URLSearchParams({ username: 'owner@example.com', password: 'correct horse battery' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-proto': 'https' },
    });
    expect(forged.statusCode).toBe(200);
    expect(secureFlags(forged)).toEqual({ auth_token: false, refresh_token: false });
  });

  it('a bad TRUST_PROXY value stops start-up naming the variable', () => {
    expect(() => loadConfig({ TRUST_PROXY: 'maybe', LOG_LEVEL: 'silent' })).toThrow(/TRUST_PROXY/);
  });
});
