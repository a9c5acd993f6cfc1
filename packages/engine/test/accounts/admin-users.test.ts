/**
 * The fastapi-users routes Skyflo clients also call: GET/PATCH /auth/users/{id} (admin only, never leaving the
 * installation without an active admin), /auth/jwt/logout, and the system welcome row of POST /conversations.
 */
import type { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieFrom, startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';

let lite: PGlite;
let query: (text: string, params?: unknown[]) => Promise<unknown[]>;
let engine: TestEngine;
const tokens: Record<'admin' | 'member' | 'second', string> = { admin: '', member: '', second: '' };
const ids: Record<'admin' | 'member' | 'second', string> = { admin: '', member: '', second: '' };

beforeAll(async () => {
  ({ lite, query } = await createTestPglite());
  engine = await startTestEngine({ lite, env: { ALLOW_REGISTRATION: 'true' } });
  for (const name of ['admin', 'member', 'second'] as const) {
    tokens[name] = await engine.signUp(`${name}@example.com`);
    ids[name] = (await engine.engine.storage.users.findByEmail(`${name}@example.com`))!.id;
  }
});

afterAll(async () => {
  await engine?.close();
  await lite?.close();
});

const getUser = (id: string, token: string) => engine.request({ method: 'GET', url: `/api/v1/auth/users/${id}`, token });
const patchUser = (id: string, token: string, payload: Record<string, unknown>) => engine.request({ method: 'PATCH', url: `/api/v1/auth/users/${id}`, token, payload });

describe('GET/PATCH /auth/users/{id}', () => {
  it('shows any account to an admin and refuses members with 403', async () => {
    const shown = await getUser(ids.member, tokens.admin);
    expect(shown.statusCode).toBe(200);
    expect(shown.json()).toMatchObject({ id: ids.member, email: 'member@example.com', role: 'member', is_active: true });
    expect(shown.json()).not.toHaveProperty('hashed_password');
    const refused = await getUser(ids.admin, tokens.member);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().detail).toMatch(/Only admins/);
    expect((await getUser('00000000-0000-4000-8000-000000000000', tokens.admin)).statusCode).toBe(404);
    const bad = await getUser('not-a-uuid', tokens.admin);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toMatch(/UUID/);
  });

  it('lets an admin promote, demote and deactivate others; a deactivated user is locked out at once', async () => {
    const promoted = await patchUser(ids.second, tokens.admin, { role: 'admin' });
    expect(promoted.statusCode).toBe(200);
    expect(promoted.json().role).toBe('admin');
    expect((await getUser(ids.second, tokens.admin)).json().role).toBe('admin');

    const memberRefresh = await engine.request({ method: 'POST', url: '/api/v1/auth/refresh/issue', token: tokens.member });
    const deactivated = await patchUser(ids.member, tokens.admin, { is_active: false });
    expect(deactivated.json()).toMatchObject({ is_active: false });
    expect((await engine.request({ method: 'GET', url: '/api/v1/auth/me', token: tokens.member })).statusCode).toBe(401);
    // their refresh sessions ended too
    const refreshed = await engine.request({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: memberRefresh.json().refresh_token } });
    expect(refreshed.statusCode).toBe(401);
    expect((await patchUser(ids.member, tokens.admin, { is_active: true })).json().is_active).toBe(true);
    // reactivated, they sign in again: the sessions the deactivation ended stay ended, with their access tokens
    expect((await engine.request({ method: 'GET', url: '/api/v1/auth/me', token: tokens.member })).statusCode).toBe(401);
    tokens.member = (await engine.login('member@example.com')).json().access_token;
    expect((await engine.request({ method: 'GET', url: '/api/v1/auth/me', token: tokens.member })).statusCode).toBe(200);
  });

  it('refuses members (403) and unknown fields or roles (400)', async () => {
    const refused = await patchUser(ids.member, tokens.member, { role: 'admin' });
    expect(refused.statusCode).toBe(403);
    expect((await getUser(ids.member, tokens.admin)).json().role).toBe('member');
    const unknownRole = await patchUser(ids.member, tokens.admin, { role: 'owner' });
    expect(unknownRole.statusCode).toBe(400);
    expect(unknownRole.json().detail).toMatch(/role must be one of admin, approver, member/);
    expect((await patchUser(ids.member, tokens.admin, { hashed_password: 'x' })).statusCode).toBe(400);
  });

  it('never lets the last active admin demote or deactivate themselves', async () => {
    // two admins: demoting yourself is fine while the other remains
    const selfDemoted = await patchUser('me', tokens.second, { role: 'member' });
    expect(selfDemoted.statusCode).toBe(200);
    expect(selfDemoted.json().role).toBe('member');
    // `second`'s old token still says admin, but the route re-reads the user: now a member, so 403
    expect((await patchUser(ids.admin, tokens.second, { role: 'member' })).statusCode).toBe(403);

    for (const patch of [{ role: 'member' }, { is_active: false }]) {
      const refused = await patchUser(ids.admin, tokens.admin, patch);
      expect(refused.statusCode).toBe(409);
      expect(refused.json().detail).toMatch(/last active admin/);
    }
    expect((await getUser(ids.admin, tokens.admin)).json()).toMatchObject({ role: 'admin', is_active: true });
  });
});

describe('POST /auth/jwt/logout', () => {
  it('revokes the refresh token family of the cookie and clears both cookies', async () => {
    const login = await engine.login('member@example.com');
    const refresh = cookieFrom(login, 'refresh_token')!.value;
    const loggedOut = await engine.request({ method: 'POST', url: '/api/v1/auth/jwt/logout', cookies: { refresh_token: refresh } });
    expect(loggedOut.statusCode).toBe(200);
    expect(loggedOut.json()).toEqual({ success: true });
    expect(cookieFrom(loggedOut, 'auth_token')?.value).toBe('');
    expect(cookieFrom(loggedOut, 'refresh_token')?.value).toBe('');
    const reused = await engine.request({ method: 'POST', url: '/api/v1/auth/refresh', cookies: { refresh_token: refresh } });
    expect(reused.statusCode).toBe(401);
  });
});

describe('POST /conversations', () => {
  it('stores the system welcome message as the first messages row, not in the timeline', async () => {
    const created = await engine.request({ method: 'POST', url: '/api/v1/conversations', token: tokens.member, payload: {} });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    const rows = (await query('SELECT role, content, sequence FROM messages WHERE conversation_id = $1 ORDER BY sequence', [id])) as Array<{ role: string; content: string; sequence: number }>;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ role: 'system', sequence: -1 });
    expect(rows[0]!.content).toMatch(/^Welcome to Skyflo/);
    const shown = await engine.request({ method: 'GET', url: `/api/v1/conversations/${id}`, token: tokens.member });
    expect(shown.json().messages).toEqual([]);
  });
});
