/**
 * Team administration and the approval policy (issue 8): admins add, re-role and remove members (soft delete that
 * ends their sessions; never the last admin, never yourself); the profile changes only the name; with
 * APPROVAL_POLICY=approver only approvers and admins decide mutating calls — also in conversations they do not own —
 * and four-eyes keeps the requester of a destructive call from approving it.
 */
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decisionRefusal, type DecisionInput } from '../../src/domain/tool-calls/decide/decision-authority.ts';
import { ConfigError, loadConfig } from '../../src/platform/config/index.ts';
import { readSse, type SseFrame } from '../../src/testing/read-sse.ts';
import { simEngineFleet, type TestEngine } from '../support/test-engine.ts';

let sim: LlmSim;

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
});

const fleet = simEngineFleet(() => sim);
const engineWith = (env: Record<string, string>): Promise<TestEngine> => fleet.start(env);

afterAll(async () => {
  await fleet.closeAll();
  await sim?.close();
});

const call = (engine: TestEngine, token: string | undefined, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: Record<string, unknown>) =>
  engine.request({ method, url: `/api/v1${url}`, ...(token ? { token } : {}), ...(payload ? { payload } : {}) });
const frames = (response: LightMyRequestResponse): Promise<SseFrame[]> => readSse(new Response(response.body));

describe('team administration', () => {
  let engine: TestEngine;
  let admin: string;

  beforeAll(async () => {
    engine = await engineWith({});
    admin = await engine.signUp('admin@example.com');
  });

  it('adds members with a role and an initial password; bad input is named; only admins may', async () => {
    const added = await call(engine, admin, 'POST', '/team/members', { email: 'Mia@Example.com', role: 'Member', password: 'mia-initial-pass-42', name: 'Mia' });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toMatchObject({ email: 'mia@example.com', name: 'Mia', role: 'member', status: 'active' });
    const approver = await call(engine, admin, 'POST', '/team/members', { email: 'ann@example.com', role: 'approver', password: 'ann-initial-pass-42' });
    expect(approver.json()).toMatchObject({ role: 'approver' });

    expect((await call(engine, admin, 'POST', '/team/members', { email: 'mia@example.com', role: 'member', password: 'another-pass-42' })).json().detail).toMatch(/already exists/);
    const weak = await call(engine, admin, 'POST', '/team/members', { email: 'weak@example.com', role: 'member', password: 'password123' });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().detail).toBe('password: is one of the most common passwords; choose another');
    const badRole = await call(engine, admin, 'POST', '/team/members', { email: 'x@example.com', role: 'root', password: 'x-initial-pass-42' });
    expect(badRole.json().detail).toBe('role: role must be one of admin, approver, member');

    const mia = (await engine.login('mia@example.com', 'mia-initial-pass-42')).json().access_token as string;
    const ann = (await engine.login('ann@example.com', 'ann-initial-pass-42')).json().access_token as string;
    for (const token of [mia, ann]) {
      expect((await call(engine, token, 'GET', '/team/members')).statusCode).toBe(403);
      expect((await call(engine, token, 'POST', '/team/members', { email: 'y@example.com', role: 'admin', password: 'y-initial-pass-42' })).statusCode).toBe(403);
    }
    expect((await call(engine, undefined, 'GET', '/team/members')).statusCode).toBe(401);
    const list = (await call(engine, admin, 'GET', '/team/members')).json() as Array<{ email: string; role: string }>;
    expect(list.map((member) => [member.email, member.role])).toEqual([
      ['admin@example.com', 'admin'],
      ['mia@example.com', 'member'],
      ['ann@example.com', 'approver'],
    ]);
  });

  it('never leaves the team without an admin, and an admin cannot remove themselves', async () => {
    const me = (await call(engine, admin, 'GET', '/auth/me')).json().id as string;
    const demote = await call(engine, admin, 'PATCH', `/team/members/${me}`, { role: 'member' });
    expect(demote.statusCode).toBe(409);
    expect(demote.json().detail).toMatch(/last active admin/);
    const removeSelf = await call(engine, admin, 'DELETE', `/team/members/${me}`);
    expect(removeSelf.statusCode).toBe(409);
    expect(removeSelf.json().detail).toMatch(/cannot remove yourself/);
  });

  it('removal ends the member\'s sessions at once; adding them again reactivates the account with the new password', async () => {
    await call(engine, admin, 'POST', '/team/members', { email: 'leo@example.com', role: 'member', password: 'leo-initial-pass-42' });
    const login = await engine.login('leo@example.com', 'leo-initial-pass-42');
    const access = login.json().access_token as string;
    const refresh = login.cookies.find((cookie) => cookie.name === 'refresh_token')!.value;
    const leo = (await call(engine, access, 'GET', '/auth/me')).json().id as string;

    expect((await call(engine, admin, 'DELETE', `/team/members/${leo}`)).statusCode).toBe(204);
    expect((await call(engine, access, 'GET', '/auth/me')).statusCode).toBe(401);
    expect((await engine.request({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: refresh } })).statusCode).toBe(401);
    expect((await engine.login('leo@example.com', 'leo-initial-pass-42')).statusCode).toBe(400);
    expect(((await call(engine, admin, 'GET', '/team/members')).json() as Array<{ email: string }>).map((member) => member.email)).not.toContain('leo@example.com');
    expect(((await call(engine, admin, 'GET', '/team/members?include_removed=true')).json() as Array<{ email: string; status: string }>).find((member) => member.email === 'leo@example.com')).toMatchObject({ status: 'inactive' });

    const again = await call(engine, admin, 'POST', '/team/members', { email: 'leo@example.com', role: 'approver', password: 'leo-second-pass-42' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: leo, role: 'approver', status: 'active' });
    expect((await engine.login('leo@example.com', 'leo-initial-pass-42')).statusCode).toBe(400);
    expect((await engine.login('leo@example.com', 'leo-second-pass-42')).statusCode).toBe(200);
    // the old access token from before the removal stays dead
    expect((await call(engine, access, 'GET', '/auth/me')).statusCode).toBe(401);
  });

  it('the profile changes only the name: never the role, never the email', async () => {
    const mia = (await engine.login('mia@example.com', 'mia-initial-pass-42')).json().access_token as string;
    expect((await call(engine, mia, 'PATCH', '/auth/me', { full_name: 'Mia Wong' })).json()).toMatchObject({ full_name: 'Mia Wong', email: 'mia@example.com' });
    const role = await call(engine, mia, 'PATCH', '/auth/me', { role: 'admin' });
    expect(role.statusCode).toBe(400);
    expect(role.json().detail).toMatch(/role: role cannot be changed by yourself/);
    const email = await call(engine, mia, 'PATCH', '/auth/me', { email: 'boss@example.com' });
    expect(email.statusCode).toBe(400);
    expect(email.json().detail).toMatch(/email: email cannot be changed here/);
    expect((await call(engine, mia, 'GET', '/auth/me')).json()).toMatchObject({ email: 'mia@example.com', role: 'member' });
  });
});

describe('APPROVAL_POLICY=approver with four-eyes', () => {
  let engine: TestEngine;
  let admin: string;
  let mia: string; // member
  let ann: string; // approver
  let bob: string; // another member

  beforeAll(async () => {
    engine = await engineWith({ APPROVAL_POLICY: 'approver', APPROVAL_FOUR_EYES: 'true' });
    admin = await engine.signUp('admin@example.com');
    for (const [email, role] of [['mia@example.com', 'member'], ['ann@example.com', 'approver'], ['bob@example.com', 'member']] as const) {
      await call(engine, admin, 'POST', '/team/members', { email, role, password: `${email.split('@')[0]}-pass-4242` });
    }
    const token = async (email: string) => (await engine.login(email, `${email.split('@')[0]}-pass-4242`)).json().access_token as string;
    [mia, ann, bob] = [await token('mia@example.com'), await token('ann@example.com'), await token('bob@example.com')];
    sim.reset({
      rules: [
        { match: { toolName: 'load_toolset', userContains: 'scale' }, reply: { toolCalls: [{ id: 'call_scale', name: 'k8s_scale', arguments: { name: 'web', replicas: 5 } }] } },
        { match: { toolName: 'load_toolset', userContains: 'delete' }, reply: { toolCalls: [{ id: 'call_delete', name: 'k8s_delete', arguments: { name: 'api' } }] } },
        { match: { toolName: 'k8s_scale' }, reply: 'Scaled.' },
        { match: { toolName: 'k8s_delete' }, reply: 'Deleted.' },
        { match: { always: true }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
      ],
    });
  });

  it('a member cannot approve even their own call; an approver sees it across conversations and approves it', async () => {
    engine.mcp.replicas.set('web', 2);
    const chat = await frames(await call(engine, mia, 'POST', '/agent/chat', { messages: [{ role: 'user', content: 'scale web to 5' }] }));
    const conversationId = String(chat[0]!.data['conversation_id']);
    expect(chat.find((frame) => frame.event === 'tool.awaiting_approval')?.data).toMatchObject({ call_id: 'call_scale' });

    const argsHash = chat.find((frame) => frame.event === 'tool.awaiting_approval')!.data['args_hash'];
    const own = await call(engine, mia, 'POST', '/agent/approvals/call_scale', { approve: true, conversation_id: conversationId, args_hash: argsHash });
    expect(own.statusCode).toBe(403);
    expect(own.json().detail).toMatch(/only users with the approver or admin role decide/);
    // another member cannot even see it
    expect((await call(engine, bob, 'POST', '/agent/approvals/call_scale', { approve: true, conversation_id: conversationId, args_hash: argsHash })).statusCode).toBe(404);
    expect((await call(engine, bob, 'GET', '/approvals/pending')).json().data).toEqual([]);

    const queue = (await call(engine, ann, 'GET', '/approvals/pending')).json();
    expect(queue).toMatchObject({ policy: 'approver', four_eyes: true });
    expect(queue.data).toEqual([
      expect.objectContaining({ conversation_id: conversationId, call_id: 'call_scale', tool: 'k8s_scale', destructive: false, can_decide: true, requested_by: expect.objectContaining({ email: 'mia@example.com' }) }),
    ]);
    // the member sees her own call waiting, but may not decide it
    expect((await call(engine, mia, 'GET', '/approvals/pending')).json().data).toEqual([expect.objectContaining({ call_id: 'call_scale', can_decide: false })]);
    // the approver may read the conversation for context (and that read is audited)
    expect((await call(engine, ann, 'GET', `/conversations/${conversationId}`)).statusCode).toBe(200);

    const approved = await frames(await call(engine, ann, 'POST', '/agent/approvals/call_scale', { approve: true, conversation_id: conversationId, args_hash: argsHash, reason: 'capacity for the sale' }));
    expect(approved.find((frame) => frame.event === 'tool.approved')?.data).toMatchObject({ decided_by: expect.any(String) });
    expect(approved.at(-1)).toMatchObject({ event: 'completed', data: { status: 'completed' } });
    expect(engine.mcp.replicas.get('web')).toBe(5);
    // the run belongs to the conversation: its timeline holds the result
    const timeline = (await call(engine, mia, 'GET', `/conversations/${conversationId}`)).json().messages as Array<{ type: string; segments?: Array<{ kind: string; toolExecution?: { status: string } }> }>;
    expect(timeline.at(-1)?.segments?.find((segment) => segment.kind === 'tool')?.toolExecution?.status).toBe('completed');
    // the audit names both the requester and the approver
    const annId = (await call(engine, ann, 'GET', '/auth/me')).json().id as string;
    const miaId = (await call(engine, mia, 'GET', '/auth/me')).json().id as string;
    const decisions = await engine.engine.storage.audit.list({ limit: 10, action: 'approval.approved' });
    expect(decisions[0]).toMatchObject({ actorId: annId, subjectId: 'call_scale', details: expect.objectContaining({ requested_by: miaId, reason: 'capacity for the sale', conversation_id: conversationId }) });
  });

  it('four-eyes: the approver who asked for a destructive call cannot approve it; another one can', async () => {
    engine.mcp.replicas.set('api', 1);
    const chat = await frames(await call(engine, ann, 'POST', '/agent/chat', { messages: [{ role: 'user', content: 'delete api' }] }));
    const conversationId = String(chat[0]!.data['conversation_id']);
    expect(chat.find((frame) => frame.event === 'tool.awaiting_approval')?.data).toMatchObject({ call_id: 'call_delete', destructive: true });
    const argsHash = chat.find((frame) => frame.event === 'tool.awaiting_approval')!.data['args_hash'];
    const self = await call(engine, ann, 'POST', '/agent/approvals/call_delete', { approve: true, conversation_id: conversationId, args_hash: argsHash });
    expect(self.statusCode).toBe(403);
    expect(self.json().detail).toMatch(/Four-eyes/);
    expect((await call(engine, ann, 'GET', '/approvals/pending')).json().data).toEqual([expect.objectContaining({ call_id: 'call_delete', can_decide: false })]);
    expect(engine.mcp.replicas.has('api')).toBe(true);

    const approved = await frames(await call(engine, admin, 'POST', '/agent/approvals/call_delete', { approve: true, conversation_id: conversationId, args_hash: argsHash }));
    expect(approved.find((frame) => frame.event === 'tool.result')).toBeDefined();
    expect(engine.mcp.replicas.has('api')).toBe(false);
  });
});

describe('decision rules', () => {
  const base: DecisionInput = { policy: 'self', fourEyes: false, actor: { id: 'owner', role: 'member' }, conversationOwnerId: 'owner', reach: { actorScope: undefined, conversationCluster: undefined }, requestedBy: 'owner', destructive: false, risks: [] };
  it.each<[string, Partial<DecisionInput>, RegExp | undefined, boolean?]>([
    ['self: the owner decides', {}, undefined],
    ['self: nobody else, not even an admin (hidden)', { actor: { id: 'admin', role: 'admin' } }, /not yours/, true],
    ['approver: a member cannot decide their own call', { policy: 'approver' }, /only users with the approver or admin role/],
    ['approver: an approver decides in a conversation they do not own', { policy: 'approver', actor: { id: 'ann', role: 'approver' } }, undefined],
    ['approver: another member does not see it', { policy: 'approver', actor: { id: 'bob', role: 'member' } }, /not yours/, true],
    ['four-eyes: the requester of a destructive call cannot approve it', { policy: 'approver', fourEyes: true, destructive: true, actor: { id: 'ann', role: 'approver' }, conversationOwnerId: 'ann', requestedBy: 'ann' }, /Four-eyes/],
    ['four-eyes: a non-destructive call is fine', { policy: 'approver', fourEyes: true, actor: { id: 'ann', role: 'approver' }, conversationOwnerId: 'ann', requestedBy: 'ann' }, undefined],
    ['four-eyes: another approver decides the destructive call', { policy: 'approver', fourEyes: true, destructive: true, actor: { id: 'zoe', role: 'admin' }, conversationOwnerId: 'ann', requestedBy: 'ann' }, undefined],
  ])('%s', (_name, patch, reason, hidden) => {
    const refusal = decisionRefusal({ ...base, ...patch });
    if (!reason) expect(refusal).toBeUndefined();
    else expect(refusal).toMatchObject({ reason: expect.stringMatching(reason), hidden: hidden === true });
  });

  it('four-eyes needs the approver policy (with self nobody could approve a destructive call)', () => {
    expect(() => loadConfig({ APPROVAL_FOUR_EYES: 'true' })).toThrow(ConfigError);
    expect(() => loadConfig({ APPROVAL_FOUR_EYES: 'true' })).toThrow(/APPROVAL_FOUR_EYES: needs APPROVAL_POLICY=approver/);
  });
});

