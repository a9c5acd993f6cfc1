/**
 * Issue 76 item 6, break-glass, through a whole engine (APPROVAL_POLICY=approver, PGlite, llm-sim, the fake MCP server
 * bound to cluster "prod", a software passkey authenticator verified as a browser's would be):
 * - during a freeze a change is proposed as a frozen card (which freeze, until when, only an admin's break-glass);
 * - a member's or an approver's break-glass is refused 403, an admin's without a passkey 403, outside a freeze 400;
 * - an admin's break-glass with a passkey and a reason runs the call: the row, its audit record (`freeze.break_glass`)
 *   and the team's notification stream say so; a plain approval during the freeze is still 409 FROZEN.
 */
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readSse } from '../../src/testing/read-sse.ts';
import { scaleAndListRules } from '../support/governance.ts';
import { createSoftwareAuthenticator, type SoftwareAuthenticator } from '../support/software-authenticator.ts';
import { openNotificationStream, startTeamEngine, type TeamEngine } from '../support/team-engine.ts';

const ORIGIN = 'http://localhost:5173';

let sim: LlmSim;
let team: TeamEngine;
const tokens: Record<string, string> = {};
let authenticator: SoftwareAuthenticator;
const hourFromNow = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();

async function chat(who: string, content: string) {
  const response = await team.call(tokens[who], 'POST', '/agent/chat', { messages: [{ role: 'user', content }] });
  expect(response.statusCode, response.body).toBe(200);
  const frames = await readSse(new Response(response.body));
  return { frames, conversationId: String(frames[0]!.data['conversation_id']), awaiting: frames.find((frame) => frame.event === 'tool.awaiting_approval')?.data };
}

type Awaiting = NonNullable<Awaited<ReturnType<typeof chat>>['awaiting']>;
const decision = (conversationId: string, awaiting: Awaiting, extra: Record<string, unknown> = {}) => ({ approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'], ...extra });

/** The admin's passkey signature over the call's facts, as the Command Center's "Break glass" asks for it. */
async function signed(token: string, conversationId: string, callId: string) {
  const options = await team.call(token, 'POST', `/approvals/${callId}/passkey-options`, { conversation_id: conversationId });
  expect(options.statusCode, options.body).toBe(200);
  const { options: requestOptions, expires_at } = options.json() as { options: { challenge: string; rpId: string }; expires_at: string };
  return { expires_at, assertion: authenticator.assert(requestOptions, ORIGIN) };
}

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  sim.reset({ rules: scaleAndListRules });
  team = await startTeamEngine(sim, { APPROVAL_POLICY: 'approver', PUBLIC_URL: ORIGIN }, { fakeMcp: { clusters: [{ name: 'prod', server: 'https://prod.example.test', current: true }] } });
  tokens['admin'] = await team.engine.signUp('admin@example.com');
  tokens['zoe'] = await team.member(tokens['admin'], 'zoe@example.com', 'admin');
  tokens['ann'] = await team.member(tokens['admin'], 'ann@example.com', 'approver');
  tokens['mia'] = await team.member(tokens['admin'], 'mia@example.com', 'member');
  authenticator = createSoftwareAuthenticator();
  const options = await team.call(tokens['admin'], 'POST', '/auth/passkeys/registration-options');
  expect(options.statusCode, options.body).toBe(200);
  const { options: creation, registration_token } = options.json() as { options: { challenge: string; rp: { id: string; name: string }; user: { id: string } }; registration_token: string };
  const registered = await team.call(tokens['admin'], 'POST', '/auth/passkeys', { name: 'Admin laptop', registration_token, response: authenticator.register(creation, ORIGIN) });
  expect(registered.statusCode, registered.body).toBe(201);
}, 120_000);

afterAll(async () => {
  await team?.close();
  await sim?.close();
});

describe('break-glass during a change freeze', () => {
  it('outside a freeze there is nothing to break (400); the call stays waiting', async () => {
    const asked = await chat('mia', 'scale web to 3');
    expect(asked.awaiting).toMatchObject({ call_id: 'call_three' });
    const refused = await team.call(tokens['admin'], 'POST', '/agent/approvals/call_three', decision(asked.conversationId, asked.awaiting!, { break_glass: { reason: 'hotfix' } }));
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ code: 'NOTHING_TO_BREAK', detail: expect.stringContaining('approve it normally (without break_glass)') });
    expect((await team.engine.engine.storage.approvals.get(asked.conversationId, 'call_three'))?.status).toBe('awaiting');
  });

  it('during a freeze a change is a frozen card only an admin with a passkey and a reason approves; it runs, audited and announced', async () => {
    const endsAt = hourFromNow(2);
    const freeze = await team.call(tokens['admin'], 'POST', '/freezes', { name: 'year-end', starts_at: hourFromNow(-1), ends_at: endsAt, clusters: ['prod'], reason: 'year-end close' });
    expect(freeze.statusCode, freeze.body).toBe(201);
    const annStream = await openNotificationStream(team.baseUrl, tokens['ann']);
    team.engine.mcp.replicas.set('web', 2);

    // proposed, held: the card names the freeze, its end, and who may still approve it
    const asked = await chat('mia', 'scale web to 4');
    expect(asked.awaiting).toMatchObject({ call_id: 'call_four' });
    const flag = (asked.awaiting!['risks'] as Array<{ code: string; message: string }>).find((risk) => risk.code === 'FROZEN');
    expect(flag?.message).toContain(`Held: the change freeze "year-end" holds until ${new Date(endsAt).toISOString()} (year-end close).`);
    expect(flag?.message).toContain("Only an admin's break-glass");
    const pending = ((await team.call(tokens['ann'], 'GET', '/approvals/pending')).json().data as Array<Record<string, unknown>>).find((item) => item['call_id'] === 'call_four');
    expect(pending).toMatchObject({ can_decide: false, cannot_decide_code: 'FROZEN', cannot_decide_reason: expect.stringContaining("Only an admin's break-glass") });

    // reads keep working
    const read = await chat('mia', 'list deployments');
    expect(read.frames.find((frame) => frame.event === 'tool.result')?.data).toMatchObject({ call_id: 'call_get' });

    const body = (extra: Record<string, unknown>) => decision(asked.conversationId, asked.awaiting!, extra);
    const post = (who: string, extra: Record<string, unknown>) => team.call(tokens[who], 'POST', '/agent/approvals/call_four', body(extra));
    // a plain approval is still refused
    expect((await post('ann', {})).json()).toMatchObject({ code: 'FROZEN' });
    // a member's or an approver's break-glass: admins only
    for (const who of ['mia', 'ann']) {
      const refused = await post(who, { break_glass: { reason: 'please' } });
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toMatchObject({ code: 'BREAK_GLASS_ADMIN_ONLY', detail: expect.stringContaining('Only an admin may break the change freeze "year-end"') });
    }
    // an admin without a passkey: the click alone is refused, and there is nothing to sign with
    const click = await post('zoe', { break_glass: { reason: 'please' } });
    expect(click.statusCode).toBe(403);
    expect(click.json()).toMatchObject({ code: 'BREAK_GLASS_PASSKEY_REQUIRED', detail: expect.stringContaining('needs your passkey') });
    const noKey = await team.call(tokens['zoe'], 'POST', '/approvals/call_four/passkey-options', { conversation_id: asked.conversationId });
    expect(noKey.json()).toMatchObject({ code: 'NO_PASSKEY' });
    // a reason is required
    expect((await post('admin', { break_glass: { reason: '  ' } })).statusCode).toBe(400);
    expect(team.engine.mcp.replicas.get('web')).toBe(2);
    expect((await team.engine.engine.storage.approvals.get(asked.conversationId, 'call_four'))?.status).toBe('awaiting');

    // the admin with their passkey and a reason: it runs
    const reason = 'checkout is down; web needs 4 replicas now (INC-42)';
    const approved = await post('admin', { break_glass: { reason }, webauthn: await signed(tokens['admin'], asked.conversationId, 'call_four') });
    expect(approved.statusCode, approved.body).toBe(200);
    const frames = await readSse(new Response(approved.body));
    expect(frames.find((frame) => frame.event === 'tool.result')?.data).toMatchObject({ call_id: 'call_four' });
    expect(team.engine.mcp.replicas.get('web')).toBe(4);

    const adminId = (await team.call(tokens['admin'], 'GET', '/auth/me')).json().id as string;
    const row = await team.engine.engine.storage.approvals.get(asked.conversationId, 'call_four');
    expect(row).toMatchObject({ status: 'executed', decidedBy: adminId, breakGlass: { reason, freeze: 'year-end', by: adminId, freezeEndsAt: new Date(endsAt) } });
    expect(row?.passkeyAssertion).toMatchObject({ credential_id: authenticator.credentialId });
    const audit = (await team.lite.query<{ actor_id: string; subject_id: string; details: Record<string, unknown> }>("SELECT actor_id, subject_id, details FROM audit_events WHERE action = 'freeze.break_glass'")).rows;
    expect(audit).toEqual([expect.objectContaining({ actor_id: adminId, subject_id: 'call_four', details: expect.objectContaining({ break_glass: { reason, freeze: 'year-end', freeze_ends_at: new Date(endsAt).toISOString() }, passkey_assertion: expect.any(Object) }) })]);
    await vi.waitFor(() => expect(annStream.notifications()).toContainEqual(expect.objectContaining({ kind: 'freeze.break_glass', call_id: 'call_four', summary: `admin@example.com broke the change freeze "year-end" to approve k8s_scale: ${reason}` })));
    annStream.close();

    // the break-glass was for that call only: the call waiting since before the freeze is still held
    const other = (await team.engine.engine.storage.approvals.get((await team.lite.query<{ conversation_id: string }>("SELECT conversation_id FROM approvals WHERE call_id = 'call_three'")).rows[0]!.conversation_id, 'call_three'))!;
    const plain = await team.call(tokens['ann'], 'POST', '/agent/approvals/call_three', { approve: true, conversation_id: other.conversationId, args_hash: other.argsHash });
    expect(plain.statusCode).toBe(409);
    expect(plain.json()).toMatchObject({ code: 'FROZEN' });
  });
});
