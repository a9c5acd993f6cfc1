/**
 * Every route × {anonymous, member (owner), approver, admin, other member}: the status each caller gets. Driven with
 * inject() against the whole engine (agent, integration and settings routes included, mounted by the composition
 * root), under the default approval policy (self: an approver is just another member for conversations they do
 * not own). A test in http/openapi-document.test.ts fails when a route is added without docs; add its row here too.
 */
import { randomUUID } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';

type Caller = 'anonymous' | 'member' | 'approver' | 'admin' | 'other';
const callers: Caller[] = ['anonymous', 'member', 'approver', 'admin', 'other'];

interface RouteCase {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** built per call so destructive routes get a fresh conversation owned by `member` */
  url: (conversationId: string) => string;
  payload?: (conversationId: string) => Record<string, unknown> | string;
  headers?: Record<string, string>;
  expected: Record<Caller, number>;
}

const all = (status: number): Record<Caller, number> => ({ anonymous: status, member: status, approver: status, admin: status, other: status });
const signedIn = (status: number): Record<Caller, number> => ({ anonymous: 401, member: status, approver: status, admin: status, other: status });
const ownerOnly = (status: number, admin = 404): Record<Caller, number> => ({ anonymous: 401, member: status, approver: 404, admin, other: 404 });
const adminOnly = (status: number): Record<Caller, number> => ({ anonymous: 401, member: 403, approver: 403, admin: status, other: 403 });

/** the member's user id, set in beforeAll (the /auth/users/{id} rows act on it) */
let memberId = '';
/** a user only the DELETE /team/members row removes (the admin's call is the one that succeeds) */
let removableId = '';
const unknownId = '00000000-0000-4000-8000-000000000000';

const routes: RouteCase[] = [
  { name: 'GET /health', method: 'GET', url: () => '/api/v1/health', expected: all(200) },
  { name: 'GET /health/database', method: 'GET', url: () => '/api/v1/health/database', expected: all(200) },
  { name: 'GET /auth/is_admin_user', method: 'GET', url: () => '/api/v1/auth/is_admin_user', expected: all(200) },
  {
    name: 'POST /auth/jwt/login (wrong password)',
    method: 'POST',
    url: () => '/api/v1/auth/jwt/login',
    payload: () => 'username=member%40example.com&password=wrong-password',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    expected: all(400),
  },
  { name: 'POST /auth/register/register (closed)', method: 'POST', url: () => '/api/v1/auth/register/register', payload: () => ({ email: `x${randomUUID()}@example.com`, password: 'long enough pw' }), expected: all(403) },
  { name: 'POST /auth/refresh (no token)', method: 'POST', url: () => '/api/v1/auth/refresh', expected: all(401) },
  { name: 'POST /auth/logout', method: 'POST', url: () => '/api/v1/auth/logout', expected: all(200) },
  { name: 'POST /auth/jwt/logout', method: 'POST', url: () => '/api/v1/auth/jwt/logout', expected: all(200) },
  { name: 'GET /auth/users/:id', method: 'GET', url: () => `/api/v1/auth/users/${memberId}`, expected: adminOnly(200) },
  { name: 'PATCH /auth/users/:id', method: 'PATCH', url: () => `/api/v1/auth/users/${memberId}`, payload: () => ({ full_name: 'Member' }), expected: adminOnly(200) },
  { name: 'GET /auth/me', method: 'GET', url: () => '/api/v1/auth/me', expected: signedIn(200) },
  { name: 'PATCH /auth/me', method: 'PATCH', url: () => '/api/v1/auth/me', payload: () => ({ full_name: 'Renamed' }), expected: signedIn(200) },
  { name: 'PATCH /auth/users/me/password (wrong current)', method: 'PATCH', url: () => '/api/v1/auth/users/me/password', payload: () => ({ current_password: 'not it', new_password: 'whatever long' }), expected: signedIn(400) },
  { name: 'POST /auth/refresh/issue', method: 'POST', url: () => '/api/v1/auth/refresh/issue', expected: signedIn(200) },
  { name: 'GET /conversations', method: 'GET', url: () => '/api/v1/conversations', expected: signedIn(200) },
  { name: 'GET /conversations/search', method: 'GET', url: () => '/api/v1/conversations/search?q=pods', expected: signedIn(200) },
  { name: 'POST /conversations', method: 'POST', url: () => '/api/v1/conversations', payload: () => ({}), expected: signedIn(201) },
  { name: 'GET /conversations/:id', method: 'GET', url: (id) => `/api/v1/conversations/${id}`, expected: ownerOnly(200, 200) },
  { name: 'PATCH /conversations/:id', method: 'PATCH', url: (id) => `/api/v1/conversations/${id}`, payload: () => ({ title: 'mine' }), expected: ownerOnly(200) },
  { name: 'DELETE /conversations/:id', method: 'DELETE', url: (id) => `/api/v1/conversations/${id}`, expected: ownerOnly(200) },
  { name: 'GET /agent/tools', method: 'GET', url: () => '/api/v1/agent/tools', expected: signedIn(200) },
  {
    name: 'POST /agent/chat',
    method: 'POST',
    url: () => '/api/v1/agent/chat',
    payload: (id) => ({ conversation_id: id, messages: [{ role: 'user', content: 'list pods' }] }),
    expected: ownerOnly(200),
  },
  {
    name: 'POST /agent/approvals/:call_id (nothing pending)',
    method: 'POST',
    url: () => '/api/v1/agent/approvals/call-1',
    payload: (id) => ({ conversation_id: id, approve: true, args_hash: 'a'.repeat(64) }),
    expected: ownerOnly(404),
  },
  {
    name: 'GET /agent/runs/:run_id/events (unknown run)',
    method: 'GET',
    url: (id) => `/api/v1/agent/runs/${randomUUID()}/events?conversation_id=${id}`,
    expected: ownerOnly(404),
  },
  { name: 'GET /audit', method: 'GET', url: () => '/api/v1/audit', expected: adminOnly(200) },
  { name: 'GET /audit/export', method: 'GET', url: () => '/api/v1/audit/export?format=csv', expected: adminOnly(200) },
  { name: 'GET /audit/verify', method: 'GET', url: () => '/api/v1/audit/verify', expected: adminOnly(200) },
  { name: 'GET /analytics/metrics', method: 'GET', url: () => '/api/v1/analytics/metrics', expected: signedIn(200) },
  { name: 'GET /analytics/metrics?user_id=member', method: 'GET', url: () => `/api/v1/analytics/metrics?user_id=${memberId}`, expected: { anonymous: 401, member: 200, approver: 403, admin: 200, other: 403 } },
  { name: 'POST /agent/stop', method: 'POST', url: () => '/api/v1/agent/stop', payload: (id) => ({ conversation_id: id, run_id: 'run-1' }), expected: ownerOnly(200) },
  { name: 'GET /approvals/pending', method: 'GET', url: () => '/api/v1/approvals/pending', expected: signedIn(200) },

  { name: 'GET /team/members', method: 'GET', url: () => '/api/v1/team/members', expected: adminOnly(200) },
  { name: 'POST /team/members', method: 'POST', url: () => '/api/v1/team/members', payload: () => ({ email: `new-${randomUUID()}@example.com`, role: 'member', password: 'initial-pass-4242' }), expected: adminOnly(201) },
  { name: 'PATCH /team/members/:id', method: 'PATCH', url: () => `/api/v1/team/members/${memberId}`, payload: () => ({ role: 'member' }), expected: adminOnly(200) },
  { name: 'PATCH /team/members/:id/scope', method: 'PATCH', url: () => `/api/v1/team/members/${memberId}/scope`, payload: () => ({}), expected: adminOnly(200) },
  { name: 'GET /clusters', method: 'GET', url: () => '/api/v1/clusters', expected: signedIn(200) },
  { name: 'GET /clusters/policies', method: 'GET', url: () => '/api/v1/clusters/policies', expected: adminOnly(200) },
  { name: 'PUT /clusters/policies', method: 'PUT', url: () => '/api/v1/clusters/policies', payload: () => ({ policies: [] }), expected: adminOnly(200) },
  { name: 'DELETE /team/members/:id', method: 'DELETE', url: () => `/api/v1/team/members/${removableId}`, expected: adminOnly(204) },

  { name: 'GET /integrations', method: 'GET', url: () => '/api/v1/integrations', expected: signedIn(200) },
  {
    name: 'POST /integrations (Jenkins unreachable: the admin gets the check result)',
    method: 'POST',
    url: () => '/api/v1/integrations',
    payload: () => ({ provider: 'jenkins', metadata: { api_url: 'http://127.0.0.1:9/' }, credentials: { username: 'ci', api_token: 'token-1234' } }),
    expected: adminOnly(400),
  },
  { name: 'PATCH /integrations/:id (unknown)', method: 'PATCH', url: () => `/api/v1/integrations/${unknownId}`, payload: () => ({ status: 'disabled' }), expected: adminOnly(404) },
  { name: 'DELETE /integrations/:id (unknown)', method: 'DELETE', url: () => `/api/v1/integrations/${unknownId}`, expected: adminOnly(404) },
  { name: 'POST /integrations/:id/test (unknown)', method: 'POST', url: () => `/api/v1/integrations/${unknownId}/test`, expected: adminOnly(404) },

  { name: 'GET /settings/llm', method: 'GET', url: () => '/api/v1/settings/llm', expected: signedIn(200) },
  { name: 'PUT /settings/llm (unsupported provider)', method: 'PUT', url: () => '/api/v1/settings/llm', payload: () => ({ provider: 'skynet', model: 'x' }), expected: adminOnly(400) },
  { name: 'POST /settings/llm/test (nothing configured)', method: 'POST', url: () => '/api/v1/settings/llm/test', payload: () => ({}), expected: adminOnly(200) },
  { name: 'GET /settings/llm/providers', method: 'GET', url: () => '/api/v1/settings/llm/providers', expected: signedIn(200) },
  { name: 'GET /settings/llm/ollama-models', method: 'GET', url: () => '/api/v1/settings/llm/ollama-models?base_url=http://127.0.0.1:9', expected: adminOnly(200) },
];

let lite: PGlite;
let engine: TestEngine;
const tokens: Partial<Record<Caller, string>> = {};

beforeAll(async () => {
  ({ lite } = await createTestPglite());
  const setup = await startTestEngine({ lite, env: { ALLOW_REGISTRATION: 'true' } });
  tokens.admin = await setup.signUp('admin@example.com');
  tokens.member = await setup.signUp('member@example.com');
  tokens.other = await setup.signUp('other@example.com');
  tokens.approver = await setup.signUp('approver@example.com');
  await setup.signUp('removable@example.com');
  memberId = (await setup.engine.storage.users.findByEmail('member@example.com'))!.id;
  removableId = (await setup.engine.storage.users.findByEmail('removable@example.com'))!.id;
  const approverId = (await setup.engine.storage.users.findByEmail('approver@example.com'))!.id;
  const promoted = await setup.request({ method: 'PATCH', url: `/api/v1/team/members/${approverId}`, token: tokens.admin, payload: { role: 'approver' } });
  if (promoted.statusCode !== 200) throw new Error(`promote approver: ${promoted.statusCode} ${promoted.body}`);
  tokens.approver = (await setup.login('approver@example.com')).json().access_token as string;
  await setup.close();
  // The matrix runs with registration closed, the default.
  engine = await startTestEngine({ lite });
  // Tokens are signed with the shared test secret, so they stay valid in the second engine.
});

afterAll(async () => {
  await engine?.close();
  await lite?.close();
});

describe.each(routes)('$name', (route) => {
  it.each(callers)('as %s', async (caller) => {
    const { id } = await engine.engine.storage.conversations.create({ userId: (await engine.engine.storage.users.findByEmail('member@example.com'))!.id });
    const response = await engine.request({
      method: route.method,
      url: route.url(id),
      ...(route.payload ? { payload: route.payload(id) } : {}),
      ...(route.headers ? { headers: route.headers } : {}),
      ...(caller !== 'anonymous' ? { token: tokens[caller] } : {}),
    });
    expect(response.statusCode, response.body.slice(0, 300)).toBe(route.expected[caller]);
    if (response.statusCode >= 400) expect(response.json()).toHaveProperty('detail');
  });
});

it('answers unknown routes with a JSON 404, before and after authentication', async () => {
  const anonymous = await engine.request({ method: 'GET', url: '/api/v1/nothing-here' });
  expect(anonymous.statusCode).toBe(404);
  expect(anonymous.json().detail).toMatch(/not found/);
  expect((await engine.request({ method: 'GET', url: '/api/v1/nothing-here', token: tokens.member })).statusCode).toBe(404);
});
