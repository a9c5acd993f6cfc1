/** Accounts over HTTP: registration rules, login (form, bearer and cookie), profile, password, refresh rotation, logout. */
import type { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieFrom, startTestEngine, testPassword, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';

let lite: PGlite;
let open: TestEngine; // ALLOW_REGISTRATION=true
let closed: TestEngine; // same database, registration closed (the default)

beforeAll(async () => {
  ({ lite } = await createTestPglite());
  open = await startTestEngine({ lite, env: { ALLOW_REGISTRATION: 'true', LOGIN_RATE_LIMIT_ATTEMPTS: '3' } });
  closed = await startTestEngine({ lite, env: { JWT_SECRET: 'a-different-secret-for-the-closed-engine-0987654321' } });
});

afterAll(async () => {
  await open?.close();
  await closed?.close();
  await lite?.close();
});

const register = (engine: TestEngine, payload: Record<string, unknown>) => engine.request({ method: 'POST', url: '/api/v1/auth/register/register', payload });

describe('registration', () => {
  it('makes the first user admin even if the body asks otherwise, then closes registration by default', async () => {
    expect((await closed.request({ method: 'GET', url: '/api/v1/auth/is_admin_user' })).json()).toEqual({ is_admin: true, setup_token_required: false });
    const first = await register(closed, { email: 'Admin@Example.com', password: testPassword, full_name: 'Ada Admin', role: 'member' });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ email: 'admin@example.com', full_name: 'Ada Admin', role: 'admin', is_superuser: true, is_verified: true, is_active: true });
    expect(first.json()).not.toHaveProperty('hashed_password');
    expect((await closed.request({ method: 'GET', url: '/api/v1/auth/is_admin_user' })).json()).toEqual({ is_admin: false, setup_token_required: false });

    const second = await register(closed, { email: 'eve@example.com', password: testPassword });
    expect(second.statusCode).toBe(403);
    expect(second.json().detail).toMatch(/ALLOW_REGISTRATION=true/);
    expect((await closed.login('eve@example.com')).statusCode).toBe(400);
  });

  it('with ALLOW_REGISTRATION=true registers members and ignores a requested admin role', async () => {
    const member = await register(open, { email: 'mallory@example.com', password: testPassword, role: 'admin', is_superuser: true });
    expect(member.statusCode).toBe(201);
    expect(member.json()).toMatchObject({ role: 'member', is_superuser: false });
  });

  it('refuses duplicates (case-insensitively) and bad input with a message naming the field', async () => {
    const duplicate = await register(open, { email: 'MALLORY@example.com', password: testPassword });
    expect(duplicate.statusCode).toBe(400);
    expect(duplicate.json().detail).toMatch(/already exists/);
    const bad = await register(open, { email: 'not-an-email', password: 'short' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toMatch(/email/);
    expect(bad.json().detail).toMatch(/password: password must be at least 8 characters/);
    const malformed = await open.request({ method: 'POST', url: '/api/v1/auth/register/register', payload: '{"email":', headers: { 'content-type': 'application/json' } });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().detail).toMatch(/not valid JSON/);
  });
});

describe('login and sessions', () => {
  it('logs in with the form, returns a bearer token and sets HttpOnly cookies', async () => {
    const response = await open.login('admin@example.com');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ access_token: expect.any(String), token_type: 'bearer' });
    const access = cookieFrom(response, 'auth_token');
    const refresh = cookieFrom(response, 'refresh_token');
    expect(access).toMatchObject({ value: response.json().access_token, httpOnly: true, path: '/' });
    expect(refresh).toMatchObject({ httpOnly: true, path: '/api/v1/auth' });

    const viaBearer = await open.request({ method: 'GET', url: '/api/v1/auth/me', token: response.json().access_token });
    expect(viaBearer.json()).toMatchObject({ email: 'admin@example.com', role: 'admin' });
    const viaCookie = await open.request({ method: 'GET', url: '/api/v1/auth/me', cookies: { auth_token: access!.value } });
    expect(viaCookie.statusCode).toBe(200);
    expect(viaCookie.json().email).toBe('admin@example.com');
  });

  it('rejects wrong passwords, unknown users and tampered tokens, and rate-limits guessing', async () => {
    expect((await open.login('admin@example.com', 'wrong password')).json().detail).toBe('Incorrect email or password');
    expect((await open.login('nobody@example.com')).statusCode).toBe(400);
    const token = (await open.login('admin@example.com')).json().access_token as string;
    const tampered = `${token.slice(0, -4)}AAAA`;
    expect((await open.request({ method: 'GET', url: '/api/v1/auth/me', token: tampered })).statusCode).toBe(401);
    // Tokens signed by another engine's secret are not ours.
    const foreign = (await closed.login('admin@example.com')).json().access_token as string;
    expect((await open.request({ method: 'GET', url: '/api/v1/auth/me', token: foreign })).statusCode).toBe(401);

    for (let attempt = 0; attempt < 3; attempt += 1) expect((await open.login('mallory@example.com', 'guess')).statusCode).toBe(400);
    const blocked = await open.login('mallory@example.com');
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().detail).toMatch(/Too many failed logins/);
  });

  it('updates the full name only: a role or an email in the body is refused, naming the field', async () => {
    const token = await open.signUp('trudy@example.com');
    const escalate = await open.request({ method: 'PATCH', url: '/api/v1/auth/me', token, payload: { full_name: 'Trudy T', role: 'admin' } });
    expect(escalate.statusCode).toBe(400);
    expect(escalate.json().detail).toMatch(/role cannot be changed by yourself/);
    const patched = await open.request({ method: 'PATCH', url: '/api/v1/auth/me', token, payload: { full_name: 'Trudy T' } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ email: 'trudy@example.com', full_name: 'Trudy T' });
    expect((await open.request({ method: 'GET', url: '/api/v1/auth/me', token })).json()).toMatchObject({ role: 'member', is_superuser: false, full_name: 'Trudy T' });
    const email = await open.request({ method: 'PATCH', url: '/api/v1/auth/me', token, payload: { email: 'admin@example.com' } });
    expect(email.statusCode).toBe(400);
    expect(email.json().detail).toMatch(/email cannot be changed here/);
  });

  it('changes the password only with the current one, and ends every session (refresh and access tokens)', async () => {
    const login = await open.login('trudy@example.com');
    const token = login.json().access_token as string;
    const refreshCookie = cookieFrom(login, 'refresh_token')!.value;
    const wrong = await open.request({ method: 'PATCH', url: '/api/v1/auth/users/me/password', token, payload: { current_password: 'nope nope', new_password: 'another long one' } });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().detail).toBe('Current password is incorrect');
    const short = await open.request({ method: 'PATCH', url: '/api/v1/auth/users/me/password', token, payload: { current_password: testPassword, new_password: 'short' } });
    expect(short.statusCode).toBe(400);
    const changed = await open.request({ method: 'PATCH', url: '/api/v1/auth/users/me/password', token, payload: { current_password: testPassword, new_password: 'another long one' } });
    expect(changed.json()).toEqual({ message: 'Password updated successfully' });
    expect((await open.login('trudy@example.com')).statusCode).toBe(400);
    expect((await open.login('trudy@example.com', 'another long one')).statusCode).toBe(200);
    expect((await open.request({ method: 'POST', url: '/api/v1/auth/refresh', cookies: { refresh_token: refreshCookie } })).statusCode).toBe(401);
    // An access token issued before the change (say, a stolen one) stops working at once; a fresh login's works.
    expect((await open.request({ method: 'GET', url: '/api/v1/auth/me', token })).statusCode).toBe(401);
    const fresh = (await open.login('trudy@example.com', 'another long one')).json().access_token as string;
    expect((await open.request({ method: 'GET', url: '/api/v1/auth/me', token: fresh })).statusCode).toBe(200);
  });
});

describe('refresh tokens', () => {
  it('rotates on every use; reusing a spent token revokes the whole family', async () => {
    const login = await open.login('admin@example.com');
    const first = cookieFrom(login, 'refresh_token')!.value;

    const rotated = await open.request({ method: 'POST', url: '/api/v1/auth/refresh', cookies: { refresh_token: first } });
    expect(rotated.statusCode).toBe(200);
    expect(rotated.json()).toMatchObject({ token_type: 'bearer', user: { email: 'admin@example.com' } });
    const second = cookieFrom(rotated, 'refresh_token')!.value;
    expect(second).not.toBe(first);
    expect((await open.request({ method: 'GET', url: '/api/v1/auth/me', token: rotated.json().access_token })).statusCode).toBe(200);

    // A thief replays the first token: refused, and the legitimate holder's newer token dies with it.
    const replay = await open.request({ method: 'POST', url: '/api/v1/auth/refresh', cookies: { refresh_token: first } });
    expect(replay.statusCode).toBe(401);
    expect(cookieFrom(replay, 'refresh_token')?.value).toBe('');
    expect((await open.request({ method: 'POST', url: '/api/v1/auth/refresh', cookies: { refresh_token: second } })).statusCode).toBe(401);
    const audit = await open.engine.storage.audit.list({ limit: 5, action: 'auth.refresh_token_reused' });
    expect(audit.length).toBeGreaterThanOrEqual(1);
  });

  it('issues a refresh token to a bearer user and accepts it in the body too', async () => {
    const token = (await open.login('admin@example.com')).json().access_token as string;
    const issued = await open.request({ method: 'POST', url: '/api/v1/auth/refresh/issue', token });
    expect(issued.json()).toEqual({ refresh_token: expect.any(String), expires_in: 7 * 24 * 3600 });
    const used = await open.request({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: issued.json().refresh_token } });
    expect(used.statusCode).toBe(200);
    expect((await open.request({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: 'made-up' } })).statusCode).toBe(401);
  });

  it('logout revokes the refresh token and clears both cookies', async () => {
    const login = await open.login('admin@example.com');
    const refresh = cookieFrom(login, 'refresh_token')!.value;
    const logout = await open.request({ method: 'POST', url: '/api/v1/auth/logout', cookies: { refresh_token: refresh } });
    expect(logout.json()).toEqual({ success: true });
    expect(cookieFrom(logout, 'auth_token')?.value).toBe('');
    expect(cookieFrom(logout, 'refresh_token')?.value).toBe('');
    expect((await open.request({ method: 'POST', url: '/api/v1/auth/refresh', cookies: { refresh_token: refresh } })).statusCode).toBe(401);
    expect((await open.engine.storage.audit.list({ limit: 50, action: 'auth.logout' })).length).toBeGreaterThanOrEqual(1);
  });
});
