/**
 * Issue 76: the emergency stop across three engines sharing one database (as replicas do): engaged on one, the others
 * refuse every approval and every new change with EMERGENCY_STOP while reads keep working, and /health shows it;
 * lifted on the second, the first approves and runs again. Only admins switch it (audited).
 */
import { PGlite } from '@electric-sql/pglite';
import { newTestPglite } from '../support/test-databases.ts';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import type { LightMyRequestResponse } from 'fastify';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSse, type SseFrame } from '../../src/testing/read-sse.ts';
import { addTeamMembers, scaleAndListRules } from '../support/governance.ts';
import { simModel, startTestEngine, type TestEngine } from '../support/test-engine.ts';

let sim: LlmSim;
let lite: PGlite;
let first: TestEngine;
let second: TestEngine;
let third: TestEngine;
const tokens: Record<string, string> = {};

const call = (engine: TestEngine, token: string | undefined, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: Record<string, unknown>) =>
  engine.request({ method, url: `/api/v1${url}`, ...(token ? { token } : {}), ...(payload ? { payload } : {}) });
const frames = (response: LightMyRequestResponse): Promise<SseFrame[]> => {
  expect(response.statusCode, response.body).toBe(200);
  return readSse(new Response(response.body));
};
const chat = async (engine: TestEngine, who: string, content: string) => {
  const answer = await frames(await call(engine, tokens[who], 'POST', '/agent/chat', { messages: [{ role: 'user', content }] }));
  return { frames: answer, conversationId: String(answer[0]!.data['conversation_id']), awaiting: answer.find((frame) => frame.event === 'tool.awaiting_approval')?.data };
};

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  lite = await newTestPglite();
  const env = { TITLE_GENERATION_ENABLED: 'false', APPROVAL_POLICY: 'approver' };
  first = await startTestEngine({ lite, env, llm: simModel(sim) });
  second = await startTestEngine({ lite, env, llm: simModel(sim) });
  third = await startTestEngine({ lite, env, llm: simModel(sim) });
  tokens['admin'] = await first.signUp('admin@example.com');
  Object.assign(tokens, await addTeamMembers(first, tokens['admin'], [['mia', 'member'], ['ann', 'approver']]));
  sim.reset({ rules: scaleAndListRules });
}, 120_000);

afterAll(async () => {
  await first?.close();
  await second?.close();
  await third?.close();
  await lite?.close();
  await sim?.close();
});

describe('the emergency stop', () => {
  it('only an admin engages or lifts it; a member, an approver and no token are refused', async () => {
    for (const who of ['mia', 'ann']) {
      expect((await call(first, tokens[who], 'POST', '/emergency-stop', { reason: 'mine' })).statusCode).toBe(403);
      expect((await call(first, tokens[who], 'DELETE', '/emergency-stop')).statusCode).toBe(403);
    }
    expect((await call(first, undefined, 'POST', '/emergency-stop', { reason: 'anon' })).statusCode).toBe(401);
    expect((await call(first, tokens['admin'], 'POST', '/emergency-stop', {})).statusCode).toBe(400);
    expect((await call(second, tokens['mia'], 'GET', '/emergency-stop')).json()).toEqual({ active: false });
  });

  it('engaged on one engine, the others refuse approvals and changes with EMERGENCY_STOP, reads still work; lifted, it runs again', async () => {
    first.mcp.replicas.set('web', 2);
    // asked before the stop: waits for an approver
    const before = await chat(first, 'mia', 'scale web to 3');
    expect(before.awaiting).toMatchObject({ call_id: 'call_three' });

    const engaged = await call(first, tokens['admin'], 'POST', '/emergency-stop', { reason: 'incident 42: bad rollout' });
    expect(engaged.statusCode, engaged.body).toBe(200);
    expect(engaged.json()).toMatchObject({ active: true, reason: 'incident 42: bad rollout', by: 'admin@example.com' });

    // the other replica reads it from the database: /health shows it (the reason only to someone signed in)
    const health = await second.request({ method: 'GET', url: '/api/v1/health' });
    expect(health.json().emergency_stop).toEqual({ active: true, since: engaged.json().since });
    const signedIn = await second.request({ method: 'GET', url: '/api/v1/health', token: tokens['mia'] });
    expect(signedIn.json().emergency_stop).toMatchObject({ active: true, reason: 'incident 42: bad rollout', by: 'admin@example.com' });

    // no approval, on either engine; the queue says why
    const approve = () => call(second, tokens['ann'], 'POST', '/agent/approvals/call_three', { approve: true, conversation_id: before.conversationId, args_hash: before.awaiting!['args_hash'] });
    const refused = await approve();
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'EMERGENCY_STOP', detail: expect.stringContaining('incident 42: bad rollout') });
    expect((await call(second, tokens['ann'], 'GET', '/approvals/pending')).json().data).toEqual([expect.objectContaining({ call_id: 'call_three', can_decide: false, cannot_decide_code: 'EMERGENCY_STOP' })]);
    expect(first.mcp.replicas.get('web')).toBe(2);

    // a new change is refused before anyone is asked
    const proposed = await chat(second, 'mia', 'scale web to 4');
    expect(proposed.awaiting).toBeUndefined();
    expect(proposed.frames.find((frame) => frame.event === 'tool.error')?.data).toMatchObject({ call_id: 'call_four', code: 'EMERGENCY_STOP' });
    expect(second.mcp.replicas.get('web')).toBe(2);
    // …on every replica
    expect((await third.request({ method: 'GET', url: '/api/v1/health' })).json().emergency_stop).toEqual({ active: true, since: engaged.json().since });
    const onThird = await chat(third, 'mia', 'scale web to 4');
    expect(onThird.frames.find((frame) => frame.event === 'tool.error')?.data).toMatchObject({ code: 'EMERGENCY_STOP' });
    expect(third.mcp.calls.filter((entry) => entry.name === 'k8s_scale')).toEqual([]);

    // reads keep working
    const read = await chat(second, 'mia', 'list deployments');
    expect(read.frames.find((frame) => frame.event === 'tool.result')?.data).toMatchObject({ call_id: 'call_get' });

    // lifted on the other engine: the waiting call is approved and runs
    const lifted = await call(second, tokens['admin'], 'DELETE', '/emergency-stop');
    expect(lifted.json()).toEqual({ active: false, lifted: true });
    expect((await first.request({ method: 'GET', url: '/api/v1/health' })).json().emergency_stop).toEqual({ active: false });
    const ran = await frames(await call(first, tokens['ann'], 'POST', '/agent/approvals/call_three', { approve: true, conversation_id: before.conversationId, args_hash: before.awaiting!['args_hash'] }));
    expect(ran.find((frame) => frame.event === 'tool.result')).toBeDefined();
    expect(first.mcp.replicas.get('web')).toBe(3);

    const audited = (await first.engine.storage.audit.list({ limit: 50 })).filter((event) => event.action.startsWith('emergency_stop.') && event.details['reason'] === 'incident 42: bad rollout').map((event) => [event.action, event.details['reason']]);
    expect(audited).toEqual([
      ['emergency_stop.lifted', 'incident 42: bad rollout'],
      ['emergency_stop.engaged', 'incident 42: bad rollout'],
    ]);
  });

  it('a call approved before the stop but not yet run is held: not run, not lost, and runs only when approved again once it is lifted', async () => {
    first.mcp.replicas.set('web', 2);
    first.mcp.replicas.set('api', 3);
    const asked = await chat(first, 'mia', 'scale web to 5 and api to 1');
    const awaitingIds = asked.frames.filter((frame) => frame.event === 'tool.awaiting_approval').map((frame) => frame.data['call_id']);
    expect(awaitingIds).toEqual(expect.arrayContaining(['call_web', 'call_api']));
    // the second call of the turn was approved before the stop (as a decision recorded an instant before it)
    const annId = (await call(first, tokens['ann'], 'GET', '/auth/me')).json().id as string;
    expect(await first.engine.storage.approvals.decide({ conversationId: asked.conversationId, callId: 'call_api', approve: true, decidedBy: annId, decisionRunId: randomUUID() })).toMatchObject({ status: 'approved' });
    expect((await call(first, tokens['admin'], 'POST', '/emergency-stop', { reason: 'drill' })).statusCode).toBe(200);
    // the first call is denied (a denial works during the stop); the run goes on to the approved one, which does not run
    const resumed = await frames(await call(first, tokens['ann'], 'POST', '/agent/approvals/call_web', { approve: false, conversation_id: asked.conversationId, reason: 'not now' }));
    expect(resumed.some((frame) => frame.data['call_id'] === 'call_api' && ['tool.executing', 'tool.result', 'tool.error', 'tool.approved'].includes(frame.event))).toBe(false);
    // held: its card awaits a decision again, saying why, that it had been approved, and what re-confirming means
    const held = resumed.find((frame) => frame.event === 'tool.awaiting_approval' && frame.data['call_id'] === 'call_api')?.data;
    expect(held?.['risks']).toEqual([expect.objectContaining({ code: 'EMERGENCY_STOP', message: expect.stringMatching(/^Held, not run: the emergency stop is on \(since .*, by admin@example\.com: drill\)\..* It had been approved by ann@example\.com before the stop was engaged; that approval no longer runs it\. Approve it again once the stop is lifted/) })]);
    expect(first.mcp.replicas.get('api')).toBe(3);
    expect(first.mcp.calls.filter((entry) => entry.name === 'k8s_scale' && entry.args['name'] === 'api')).toEqual([]);
    // not lost: waiting, its decision cleared and its exact arguments kept; the hold audited; nobody approves it during the stop
    const row = await second.engine.storage.approvals.get(asked.conversationId, 'call_api');
    expect(row).toMatchObject({ status: 'awaiting', exactArgsSealed: expect.any(String) });
    expect(row?.decidedBy).toBeUndefined();
    const audit = (await call(second, tokens['admin'], 'GET', `/audit?action=approval.held&conversation_id=${asked.conversationId}`)).json().data as Array<{ details: Record<string, unknown> }>;
    expect(audit).toEqual([expect.objectContaining({ details: expect.objectContaining({ call_id: 'call_api', emergency_stop: expect.objectContaining({ by: 'admin@example.com', reason: 'drill' }), approved_by: annId, executed: false }) })]);
    expect((await call(second, tokens['ann'], 'POST', '/agent/approvals/call_api', { approve: true, conversation_id: asked.conversationId, args_hash: row?.argsHash })).json()).toMatchObject({ code: 'EMERGENCY_STOP' });

    // lifted (on another replica): approving it again runs it
    expect((await call(third, tokens['admin'], 'DELETE', '/emergency-stop')).json()).toMatchObject({ lifted: true });
    const again = await frames(await call(first, tokens['ann'], 'POST', '/agent/approvals/call_api', { approve: true, conversation_id: asked.conversationId, args_hash: row?.argsHash }));
    expect(again.find((frame) => frame.event === 'tool.result' && frame.data['call_id'] === 'call_api')).toBeDefined();
    expect(first.mcp.replicas.get('api')).toBe(1);
  });
});
