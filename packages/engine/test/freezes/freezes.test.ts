/**
 * Issue 76: change freezes through a whole engine (accounts, routes, PGlite), llm-sim and the fake MCP server bound to
 * cluster "prod". Admins manage them; during a freeze a mutating call in its scope is proposed as a frozen card
 * (FROZEN, naming the freeze and when it ends) that cannot be approved but by an admin's break-glass
 * (break-glass.test.ts), a call already waiting cannot be approved, and reads keep working.
 */
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTeamMembers, scaleAndListRules, teamApi } from '../support/governance.ts';
import { simEngineFleet, type TestEngine } from '../support/test-engine.ts';

let sim: LlmSim;
let engine: TestEngine;
const tokens: Record<string, string> = {};
const fleet = simEngineFleet(() => sim);

const { call, frames, chat } = teamApi(() => engine, tokens);
const hourFromNow = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  engine = await fleet.start({ APPROVAL_POLICY: 'approver' }, { fakeMcp: { clusters: [{ name: 'prod', server: 'https://prod.example.test', current: true }] } });
  tokens['admin'] = await engine.signUp('admin@example.com');
  Object.assign(tokens, await addTeamMembers(engine, tokens['admin'], [['mia', 'member'], ['ann', 'approver']]));
  sim.reset({ rules: scaleAndListRules });
}, 120_000);

afterAll(async () => {
  await fleet.closeAll();
  await sim?.close();
});

describe('change freezes', () => {
  it('only an admin creates, changes or deletes one; everyone signed in sees them; bad windows are refused', async () => {
    const body = { name: 'x', starts_at: hourFromNow(-1), ends_at: hourFromNow(1), reason: 'x' };
    for (const who of ['mia', 'ann']) expect((await call(tokens[who], 'POST', '/freezes', body)).statusCode).toBe(403);
    expect((await call(undefined, 'POST', '/freezes', body)).statusCode).toBe(401);
    expect((await call(undefined, 'GET', '/freezes')).statusCode).toBe(401);
    expect((await call(tokens['mia'], 'GET', '/freezes')).json()).toEqual({ data: [] });

    const backwards = await call(tokens['admin'], 'POST', '/freezes', { ...body, starts_at: hourFromNow(1), ends_at: hourFromNow(-1) });
    expect(backwards.json()).toMatchObject({ code: 'INVALID_INPUT', detail: 'ends_at must be after starts_at' });
    const zone = await call(tokens['admin'], 'POST', '/freezes', { ...body, recurrence: 'weekly', time_zone: 'Mars/Olympus' });
    expect(zone.statusCode).toBe(400);
    expect(zone.json().detail).toMatch(/time_zone: "Mars\/Olympus" is not a time zone/);
    const noOffset = await call(tokens['admin'], 'POST', '/freezes', { ...body, starts_at: '2026-12-18T16:00' });
    expect(noOffset.statusCode).toBe(400);
  });

  it('during a freeze on prod, a change waits as a frozen card, a waiting call is not approved, reads work; after it, the call runs', async () => {
    engine.mcp.replicas.set('web', 2);
    const waiting = await chat('mia', 'scale web to 3');
    expect(waiting.awaiting).toMatchObject({ call_id: 'call_three' });

    // a freeze on another cluster changes nothing
    const elsewhere = await call(tokens['admin'], 'POST', '/freezes', { name: 'staging freeze', starts_at: hourFromNow(-1), ends_at: hourFromNow(2), clusters: ['staging*'], reason: 'load test' });
    expect(elsewhere.statusCode, elsewhere.body).toBe(201);
    expect((await call(tokens['ann'], 'GET', '/approvals/pending')).json().data).toEqual([expect.objectContaining({ call_id: 'call_three', can_decide: true })]);

    const endsAt = hourFromNow(1);
    const created = await call(tokens['admin'], 'POST', '/freezes', { name: 'year-end', starts_at: hourFromNow(-1), ends_at: endsAt, clusters: ['prod'], reason: 'year-end close' });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ name: 'year-end', clusters: ['prod'], active_until: new Date(endsAt).toISOString() });

    const approve = () => call(tokens['ann'], 'POST', '/agent/approvals/call_three', { approve: true, conversation_id: waiting.conversationId, args_hash: waiting.awaiting!['args_hash'] });
    const refused = await approve();
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'FROZEN', detail: `Tool call call_three cannot be approved now: the change freeze "year-end" holds until ${new Date(endsAt).toISOString()} (year-end close). Changes in its scope wait until it ends; reads keep working. Only an admin's break-glass (a reason and their passkey, audited and announced to the team) can approve it before then; otherwise wait for the freeze to end, or deny it.` });
    expect((await call(tokens['ann'], 'GET', '/approvals/pending')).json().data).toEqual([expect.objectContaining({ call_id: 'call_three', can_decide: false, cannot_decide_code: 'FROZEN' })]);

    const proposed = await chat('mia', 'scale web to 4');
    expect(proposed.awaiting).toMatchObject({ call_id: 'call_four', risks: expect.arrayContaining([expect.objectContaining({ code: 'FROZEN', message: expect.stringContaining(`Held: the change freeze "year-end" holds until ${new Date(endsAt).toISOString()}`) })]) });
    expect(proposed.frames.find((frame) => frame.event === 'tool.error')).toBeUndefined();

    const read = await chat('mia', 'list deployments');
    expect(read.frames.find((frame) => frame.event === 'tool.result')?.data).toMatchObject({ call_id: 'call_get' });
    expect(engine.mcp.replicas.get('web')).toBe(2);

    // the freeze is deleted (audited): the waiting call is approved and runs
    const id = created.json().id as string;
    expect((await call(tokens['mia'], 'DELETE', `/freezes/${id}`)).statusCode).toBe(403);
    expect((await call(tokens['admin'], 'DELETE', `/freezes/${id}`)).statusCode).toBe(204);
    const ran = await frames(await approve());
    expect(ran.find((frame) => frame.event === 'tool.result')).toBeDefined();
    expect(engine.mcp.replicas.get('web')).toBe(3);
    const audited = (await engine.engine.storage.audit.list({ limit: 30 })).filter((event) => event.action.startsWith('freeze.')).map((event) => [event.action, event.details['name']]);
    expect(audited).toEqual([
      ['freeze.deleted', 'year-end'],
      ['freeze.created', 'year-end'],
      ['freeze.created', 'staging freeze'],
    ]);
  });

  it('a call approved before the freeze began but not yet run is held: not run, not lost, and runs only when approved again after it', async () => {
    engine.mcp.replicas.set('web', 3);
    engine.mcp.replicas.set('api', 3);
    const asked = await chat('mia', 'scale web to 5 and api to 1');
    expect(asked.frames.filter((frame) => frame.event === 'tool.awaiting_approval').map((frame) => frame.data['call_id'])).toEqual(expect.arrayContaining(['call_web', 'call_api']));
    const annId = (await call(tokens['ann'], 'GET', '/auth/me')).json().id as string;
    // approved before the freeze (straight in the store: its run had not reached it when the freeze began)
    expect(await engine.engine.storage.approvals.decide({ conversationId: asked.conversationId, callId: 'call_api', approve: true, decidedBy: annId, decisionRunId: randomUUID() })).toMatchObject({ status: 'approved' });
    const freeze = await call(tokens['admin'], 'POST', '/freezes', { name: 'incident', starts_at: hourFromNow(-1), ends_at: hourFromNow(1), reason: 'incident' });
    expect(freeze.statusCode, freeze.body).toBe(201);
    const resumed = await frames(await call(tokens['ann'], 'POST', '/agent/approvals/call_web', { approve: false, conversation_id: asked.conversationId, reason: 'frozen' }));

    // not run: the card awaits a decision again, frozen, saying it had been approved and what re-confirming means
    expect(resumed.some((frame) => frame.data['call_id'] === 'call_api' && ['tool.executing', 'tool.result', 'tool.error', 'tool.approved'].includes(frame.event))).toBe(false);
    const held = resumed.find((frame) => frame.event === 'tool.awaiting_approval' && frame.data['call_id'] === 'call_api')?.data;
    expect(held?.['risks']).toEqual([expect.objectContaining({ code: 'FROZEN', message: expect.stringMatching(/^Held, not run: the change freeze "incident" holds until .* It had been approved by ann@example\.com before the freeze began/) })]);
    expect(engine.mcp.replicas.get('api')).toBe(3);
    // not lost: it waits in the queue, its decision cleared, its exact arguments kept; the hold is audited
    const row = await engine.engine.storage.approvals.get(asked.conversationId, 'call_api');
    expect(row).toMatchObject({ status: 'awaiting', exactArgsSealed: expect.any(String) });
    expect(row?.decidedBy).toBeUndefined();
    expect((await call(tokens['ann'], 'GET', '/approvals/pending')).json().data).toEqual(expect.arrayContaining([expect.objectContaining({ call_id: 'call_api', can_decide: false, cannot_decide_code: 'FROZEN' })]));
    const audit = (await call(tokens['admin'], 'GET', `/audit?action=approval.held&conversation_id=${asked.conversationId}`)).json().data as Array<{ actor_id?: string; details: Record<string, unknown> }>;
    expect(audit).toEqual([expect.objectContaining({ details: expect.objectContaining({ call_id: 'call_api', freeze: 'incident', approved_by: annId, executed: false }) })]);
    // the earlier approval does not count during the freeze: approving again is refused
    expect((await call(tokens['ann'], 'POST', '/agent/approvals/call_api', { approve: true, conversation_id: asked.conversationId, args_hash: row?.argsHash })).json()).toMatchObject({ code: 'FROZEN' });

    // after the freeze, approving it again runs it
    expect((await call(tokens['admin'], 'DELETE', `/freezes/${freeze.json().id as string}`)).statusCode).toBe(204);
    const again = await frames(await call(tokens['ann'], 'POST', '/agent/approvals/call_api', { approve: true, conversation_id: asked.conversationId, args_hash: row?.argsHash }));
    expect(again.find((frame) => frame.event === 'tool.result' && frame.data['call_id'] === 'call_api')).toBeDefined();
    expect(engine.mcp.replicas.get('api')).toBe(1);
    expect(await engine.engine.storage.approvals.get(asked.conversationId, 'call_api')).toMatchObject({ status: 'executed', decidedBy: annId });
  });
});
