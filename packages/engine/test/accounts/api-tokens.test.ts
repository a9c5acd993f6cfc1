/**
 * API tokens for automation (issue 24): created with scopes and an expiry, shown once, stored as a hash, listed with
 * their last use, revocable; a token reaches only the routes its scopes cover (deny by default), acts as its owner,
 * and every use is in the audit trail under the owner.
 */
import { createHash } from 'node:crypto';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSse } from '../../src/testing/read-sse.ts';
import { startTeamEngine, type TeamEngine } from '../support/team-engine.ts';

let sim: LlmSim;
let team: TeamEngine;
let admin: string;
let mia: string;

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  team = await startTeamEngine(sim);
  admin = await team.engine.signUp('admin@example.com');
  mia = await team.member(admin, 'mia@example.com', 'member');
});

afterAll(async () => {
  await team?.close();
  await sim?.close();
});

const create = async (token: string, body: Record<string, unknown>) => team.call(token, 'POST', '/auth/tokens', body);

describe('API tokens', () => {
  it('shows the token once, stores only its sha-256, and lists it without the token', async () => {
    const created = await create(mia, { name: 'ci bot', scopes: ['chat'], expires_in_days: 30 });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body.token).toMatch(/^sky_[A-Za-z0-9_-]{40,}$/);
    expect(body).toMatchObject({ name: 'ci bot', scopes: ['chat'], last_used_at: null, revoked_at: null, prefix: body.token.slice(0, 10) });
    expect(new Date(body.expires_at).getTime() - Date.now()).toBeGreaterThan(29 * 86_400_000);

    const rows = (await team.lite.query<{ token_hash: string }>('SELECT token_hash FROM api_tokens WHERE id = $1', [body.id])).rows;
    expect(rows).toEqual([{ token_hash: createHash('sha256').update(body.token).digest('hex') }]);
    const everything = JSON.stringify((await team.lite.query('SELECT * FROM api_tokens')).rows);
    expect(everything).not.toContain(body.token);

    const listed = (await team.call(mia, 'GET', '/auth/tokens')).json().data;
    expect(listed).toEqual([expect.objectContaining({ id: body.id, name: 'ci bot' })]);
    expect(JSON.stringify(listed)).not.toContain(body.token);
    // another user's list does not show it
    expect((await team.call(admin, 'GET', '/auth/tokens')).json().data).toEqual([]);
  });

  it('refuses bad input with the field named', async () => {
    const bad = await create(mia, { name: '', scopes: ['root'] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toMatch(/name: name is required/);
    expect(bad.json().detail).toMatch(/scopes\.0: scopes must be among chat, approvals:read, approvals:write, alerts:write, audit:read/);
  });

  it('acts as its owner within its scopes; other routes are refused with the reason; every use is audited under the owner', async () => {
    const { token, id } = (await create(mia, { name: 'chat only', scopes: ['chat'] })).json();
    const me = await team.call(token, 'GET', '/auth/me');
    expect(me.statusCode).toBe(200);
    expect(me.json().email).toBe('mia@example.com');

    const pending = await team.call(token, 'GET', '/approvals/pending');
    expect(pending.statusCode).toBe(403);
    expect(pending.json().detail).toBe('API token "chat only" lacks the scope approvals:read needed for GET /api/v1/approvals/pending; create a token with that scope in Settings → API tokens.');
    // a token can never mint tokens, manage the team or change settings
    for (const [method, url] of [['POST', '/auth/tokens'], ['GET', '/auth/tokens'], ['GET', '/team/members'], ['GET', '/settings/llm']] as const) {
      const refused = await team.call(token, method, url, method === 'POST' ? { name: 'x', scopes: ['chat'] } : undefined);
      expect(refused.statusCode, `${method} ${url}`).toBe(403);
      expect(refused.json().detail).toMatch(/API tokens cannot be used for/);
    }

    sim.reset({ rules: [{ match: { always: true }, reply: 'All pods are running.' }] });
    const chat = await readSse(new Response((await team.call(token, 'POST', '/agent/chat', { messages: [{ role: 'user', content: 'how are the pods?' }] })).body));
    expect(chat.at(-1)).toMatchObject({ event: 'completed', data: { status: 'completed' } });
    const conversationId = String(chat[0]!.data['conversation_id']);
    // the conversation is the owner's
    expect((await team.call(mia, 'GET', `/conversations/${conversationId}`)).statusCode).toBe(200);

    const listed = (await team.call(mia, 'GET', '/auth/tokens')).json().data.find((item: { id: string }) => item.id === id);
    expect(listed.last_used_at).not.toBeNull();

    const miaId = me.json().id as string;
    const uses = (await team.lite.query<{ actor_id: string; details: Record<string, unknown> }>("SELECT actor_id, details FROM audit_events WHERE action = 'api_token.used' AND subject_id = $1 ORDER BY sequence", [id])).rows;
    expect(uses.map((row) => [row.actor_id, row.details['method'], row.details['path'], row.details['allowed']])).toEqual([
      [miaId, 'GET', '/api/v1/auth/me', true],
      [miaId, 'GET', '/api/v1/approvals/pending', false],
      [miaId, 'POST', '/api/v1/auth/tokens', false],
      [miaId, 'GET', '/api/v1/auth/tokens', false],
      [miaId, 'GET', '/api/v1/team/members', false],
      [miaId, 'GET', '/api/v1/settings/llm', false],
      [miaId, 'POST', '/api/v1/agent/chat', true],
    ]);
    expect(JSON.stringify(uses)).not.toContain(token);
  });

  it('a chat token asks and reads but cannot approve or deny (issue 31 item 8); approvals:write decides', async () => {
    const ned = await team.member(admin, 'ned@example.com', 'member');
    const chatToken = (await create(ned, { name: 'terminal', scopes: ['chat', 'approvals:read'] })).json().token as string;
    sim.reset({
      rules: [
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_scale', name: 'k8s_scale', arguments: { name: 'web', replicas: 7 } }] } },
        { match: { toolName: 'k8s_scale' }, reply: 'Scaled.' },
      ],
    });
    const asked = await readSse(new Response((await team.call(chatToken, 'POST', '/agent/chat', { messages: [{ role: 'user', content: 'scale web to 7' }] })).body));
    const conversationId = String(asked[0]!.data['conversation_id']);
    const awaiting = asked.find((frame) => frame.event === 'tool.awaiting_approval')!.data;
    const reason =
      'API token "terminal" lacks the scope approvals:write needed to approve or deny calls (a chat token can ask and read, not decide); decide in the Command Center, or create a token with approvals:write in Settings → API tokens.';
    // the queue says so with the words the decision answers with
    expect((await team.call(chatToken, 'GET', '/approvals/pending')).json().data).toEqual([expect.objectContaining({ call_id: 'call_scale', can_decide: false, cannot_decide_reason: reason })]);
    for (const approve of [true, false]) {
      const refused = await team.call(chatToken, 'POST', '/agent/approvals/call_scale', { approve, conversation_id: conversationId, ...(approve ? { args_hash: awaiting['args_hash'] } : {}) });
      expect(refused.statusCode).toBe(403);
      expect(refused.json().detail).toBe(reason);
    }
    expect(team.engine.mcp.replicas.get('web')).toBe(2);
    expect((await team.lite.query("SELECT status FROM approvals WHERE call_id = 'call_scale'")).rows).toEqual([{ status: 'awaiting' }]);

    // the same person's session, or a token made to decide, approves
    const deciding = (await create(ned, { name: 'decider', scopes: ['chat', 'approvals:write'] })).json().token as string;
    const approved = await readSse(new Response((await team.call(deciding, 'POST', '/agent/approvals/call_scale', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] })).body));
    expect(approved.at(-1)).toMatchObject({ event: 'completed', data: { status: 'completed' } });
    expect(team.engine.mcp.replicas.get('web')).toBe(7);
  });

  it('stops working when revoked, expired, tampered with, or when its owner is removed', async () => {
    const revocable = (await create(mia, { name: 'to revoke', scopes: ['chat'] })).json();
    expect((await team.call(revocable.token, 'GET', '/auth/me')).statusCode).toBe(200);
    const revoked = await team.call(mia, 'DELETE', `/auth/tokens/${revocable.id}`);
    expect(revoked.json().revoked_at).not.toBeNull();
    expect((await team.call(revocable.token, 'GET', '/auth/me')).statusCode).toBe(401);
    // someone else cannot revoke (or learn of) mia's token
    const other = (await create(mia, { name: 'kept', scopes: ['chat'] })).json();
    expect((await team.call(admin, 'DELETE', `/auth/tokens/${other.id}`)).statusCode).toBe(404);
    expect((await team.call(other.token, 'GET', '/auth/me')).statusCode).toBe(200);

    const tampered = `${other.token.slice(0, -1)}${other.token.endsWith('A') ? 'B' : 'A'}`;
    expect((await team.call(tampered, 'GET', '/auth/me')).statusCode).toBe(401);

    const expiring = (await create(mia, { name: 'expiring', scopes: ['chat'] })).json();
    await team.lite.query("UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1", [expiring.id]);
    expect((await team.call(expiring.token, 'GET', '/auth/me')).statusCode).toBe(401);

    const miaId = (await team.call(mia, 'GET', '/auth/me')).json().id as string;
    expect((await team.call(admin, 'DELETE', `/team/members/${miaId}`)).statusCode).toBeLessThan(300);
    expect((await team.call(other.token, 'GET', '/auth/me')).statusCode).toBe(401);
  });
});
