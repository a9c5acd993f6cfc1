/**
 * Issue 33 item 4: the Command Center reads every engine answer through the protocol's typed client, which checks it
 * with the protocol's schema. So each route a page uses must answer exactly that shape: here the client talks to the
 * real engine (its Fastify app, in process) and walks the pages' calls — set-up, settings, team, API tokens,
 * integrations, audit, analytics, the approval queue — as an admin would. A route whose answer drifts from its schema
 * fails here with the client's "answered something this client cannot read", the error a page would show.
 */
import type { PGlite } from '@electric-sql/pglite';
import { createSkyfloClient, SkyfloClientError, type SkyfloClient } from '@skyflo/protocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, testPassword, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';

let lite: PGlite;
let engine: TestEngine;
let client: SkyfloClient;
let anonymous: SkyfloClient;
let token: string | undefined;

/** fetch, answered by the engine's own app (no socket): what the browser would get from the same request */
const engineFetch = (): typeof fetch => async (input, init) => {
  const url = new URL(String(input));
  const headers: Record<string, string> = {};
  new Headers(init?.headers).forEach((value, name) => (headers[name] = value));
  const reply = await engine.engine.app.inject({ method: (init?.method ?? 'GET') as 'GET', url: `${url.pathname}${url.search}`, headers, ...(init?.body !== undefined ? { payload: String(init.body) } : {}) });
  const status = reply.statusCode;
  return new Response(status === 204 ? null : new Uint8Array(reply.rawPayload), { status, headers: reply.headers as Record<string, string> });
};

beforeAll(async () => {
  ({ lite } = await createTestPglite());
  engine = await startTestEngine({ lite });
  anonymous = createSkyfloClient({ baseUrl: 'http://engine.test', fetch: engineFetch() });
  client = createSkyfloClient({ baseUrl: 'http://engine.test', fetch: engineFetch(), auth: { headers: (): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {}) } });
});

afterAll(async () => {
  await engine?.close();
  await lite?.close();
});

describe('the typed client reads every answer the Command Center asks for', () => {
  it('first run and sign-in: is_admin_user, register with the setup token field, login, refresh token, me', async () => {
    expect(await anonymous.isAdminUser()).toMatchObject({ is_admin: true });
    const admin = await anonymous.register({ email: 'ada@example.com', password: testPassword, fullName: 'Ada Lovelace' });
    expect(admin).toMatchObject({ email: 'ada@example.com', role: 'admin', full_name: 'Ada Lovelace' });
    expect(await anonymous.isAdminUser()).toMatchObject({ is_admin: false });
    token = (await client.login({ email: 'ada@example.com', password: testPassword })).access_token;
    expect((await client.issueRefreshToken({ renew: false })).refresh_token).toEqual(expect.any(String));
    expect(await client.me({ renew: false })).toMatchObject({ email: 'ada@example.com', role: 'admin' });
    expect(await client.updateMe({ full_name: 'Ada King' })).toMatchObject({ full_name: 'Ada King' });
  });

  it('team: list, add, change role, remove', async () => {
    const added = await client.addMember({ email: 'bob@example.com', password: testPassword, role: 'Member', name: 'Bob' });
    expect(added).toMatchObject({ email: 'bob@example.com', role: 'member', status: 'active' });
    expect(await client.setMemberRole(added.id, 'approver')).toMatchObject({ id: added.id, role: 'approver' });
    expect((await client.members()).map((member) => member.email).sort()).toEqual(['ada@example.com', 'bob@example.com']);
    await client.removeMember(added.id);
    expect((await client.members()).map((member) => member.email)).toEqual(['ada@example.com']);
  });

  it('API tokens: create (the token once), list (never the token), revoke', async () => {
    const created = await client.createApiToken({ name: 'ci', scopes: ['chat'], expires_in_days: 7 });
    expect(created.token).toEqual(expect.any(String));
    const listed = await client.apiTokens();
    expect(listed.data.map((item) => item.name)).toEqual(['ci']);
    expect(JSON.stringify(listed)).not.toContain(created.token);
    expect(await client.revokeApiToken(created.id)).toMatchObject({ id: created.id });
  });

  it('model settings, providers, a new conversation, integrations, the approval queue', async () => {
    expect(await client.llmSettings()).toMatchObject({ configured: expect.any(Boolean) });
    expect((await client.llmProviders()).length).toBeGreaterThan(0);
    expect(await client.createConversation()).toMatchObject({ status: 'success', id: expect.any(String) });
    expect(await client.integrations()).toEqual([]);
    expect(await client.pendingApprovals()).toEqual({ policy: 'self', four_eyes: false, data: [], total: 0, next_cursor: null, has_more: false });
  });

  it('issue 76: policies (and a draft\'s preview), freezes and the emergency stop, as the Settings pages and the banner read them', async () => {
    const policy = await client.createPolicy({ name: 'no scale to zero', expression: 'tool == "k8s_scale" && args.replicas == 0', effect: 'deny', message: 'ask first', enabled: false });
    expect(policy).toMatchObject({ version: 1, enabled: false });
    expect(await client.updatePolicy(policy.id, { name: 'no scale to zero', expression: policy.expression, effect: { require_approvers: 2 }, message: '', enabled: true })).toMatchObject({ version: 2, effect: { require_approvers: 2 } });
    expect((await client.policies()).data.map((item) => item.name)).toEqual(['no scale to zero']);
    expect(await client.evaluatePolicy({ expression: 'tool == "k8s_delete"', effect: 'warn', limit: 10 })).toEqual({ evaluated: 0, matched: [], errors: [] });
    await expect(client.evaluatePolicy({ expression: 'tool ==' })).rejects.toThrow(/does not compile at line 1, column 8/);
    await client.deletePolicy(policy.id);
    const freeze = await client.createFreeze({ name: 'weekend', starts_at: '2026-03-20T16:00:00+01:00', ends_at: '2026-03-23T08:00:00+01:00', recurrence: 'weekly', time_zone: 'Europe/Berlin', reason: 'no weekend changes' });
    expect(freeze).toMatchObject({ name: 'weekend', recurrence: 'weekly', time_zone: 'Europe/Berlin', active_until: expect.toSatisfy((value: unknown) => value === null || typeof value === 'string') });
    expect((await client.freezes()).data).toHaveLength(1);
    await client.deleteFreeze(freeze.id);
    expect(await client.emergencyStop()).toEqual({ active: false });
    expect(await client.engageEmergencyStop('drill')).toMatchObject({ active: true, reason: 'drill', by: 'ada@example.com' });
    expect(await client.liftEmergencyStop()).toEqual({ active: false });
  });

  it('audit trail, its verification, and analytics', async () => {
    const trail = await client.audit({ limit: '50' });
    expect(trail.data.map((record) => record.action)).toContain('team.member_added');
    expect(await client.verifyAudit()).toMatchObject({ ok: true });
    const metrics = await client.analytics('last_n_days=7');
    expect(metrics).toMatchObject({ scope: 'all', summary: { conversations: 0 } });
    await client.changePassword({ current_password: testPassword, new_password: `${testPassword}!` });
  });

  it('an answer of another shape is an error that says which route and what is wrong, not data', async () => {
    const lying = createSkyfloClient({ baseUrl: 'http://engine.test', fetch: async () => Response.json({ policy: 'self', four_eyes: false, data: [{ call_id: 'c1' }], total: 1, next_cursor: null, has_more: false }) });
    const failure = await lying.pendingApprovals().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SkyfloClientError);
    expect(failure).toMatchObject({ code: 'MALFORMED_RESPONSE' });
    expect((failure as Error).message).toMatch(/^GET \/api\/v1\/approvals\/pending answered something this client cannot read: .*data\[0\]/s);
  });
});
