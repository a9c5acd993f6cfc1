/**
 * GET /auth/is_admin_user tells the Command Center whether a session cookie came with the request (has_session), so a
 * signed-out visit goes to the login page without /auth/me and /auth/refresh answering 401 (issue 23 item 14). It
 * says whether a cookie is present, never whether it is valid, and reveals nothing about the account.
 */
import type { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cookieFrom, startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';

let lite: PGlite;
let engine: TestEngine;
beforeAll(async () => {
  ({ lite } = await createTestPglite());
  engine = await startTestEngine({ lite });
  await engine.signUp('ada@example.com');
});
afterAll(async () => {
  await engine?.close();
  await lite?.close();
});

const check = (cookie?: string) => engine.request({ method: 'GET', url: '/api/v1/auth/is_admin_user', ...(cookie ? { headers: { cookie } } : {}) });

it('without a cookie: no has_session (the answer a signed-out visitor gets, unchanged for older clients)', async () => {
  expect((await check()).json()).toEqual({ is_admin: false, setup_token_required: false });
});

it('with the access cookie, or only the refresh cookie (access expired): has_session', async () => {
  const login = await engine.login('ada@example.com');
  const access = cookieFrom(login, 'auth_token')!;
  const refresh = cookieFrom(login, 'refresh_token')!;
  expect((await check(`auth_token=${access.value}`)).json()).toEqual({ is_admin: false, setup_token_required: false, has_session: true });
  expect((await check(`refresh_token=${refresh.value}`)).json()).toEqual({ is_admin: false, setup_token_required: false, has_session: true });
});

it('a forged cookie is only "present": it grants nothing, /auth/me still refuses it', async () => {
  expect((await check('auth_token=forged')).json()).toMatchObject({ has_session: true });
  expect((await engine.request({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: 'auth_token=forged' } })).statusCode).toBe(401);
});
