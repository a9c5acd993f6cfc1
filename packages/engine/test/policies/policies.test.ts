/**
 * Issue 76: policies as code, through a whole engine (accounts, routes, PGlite), llm-sim as the model and the fake MCP
 * server bound to a cluster "prod" (CLUSTER_LABELS gives it env=prod). Admins write the policies over the API; the
 * gate judges every proposed call: a deny refuses it before anyone is asked, require_approvers holds it until enough
 * distinct people approved, warn shows on the card; "what would this have done" replays the recorded calls.
 */
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTeamMembers, teamApi } from '../support/governance.ts';
import { simEngineFleet, type TestEngine } from '../support/test-engine.ts';

let sim: LlmSim;
let engine: TestEngine;
const tokens: Record<string, string> = {};
const fleet = simEngineFleet(() => sim);

const { call, frames, chat } = teamApi(() => engine, tokens);
const createPolicy = async (body: Record<string, unknown>) => {
  const created = await call(tokens['admin'], 'POST', '/policies', body);
  expect(created.statusCode, created.body).toBe(201);
  return created.json() as { id: string; version: number };
};

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  engine = await fleet.start({ APPROVAL_POLICY: 'approver', CLUSTER_LABELS: JSON.stringify({ prod: { env: 'prod' } }) }, { fakeMcp: { clusters: [{ name: 'prod', server: 'https://prod.example.test', current: true }] } });
  tokens['admin'] = await engine.signUp('admin@example.com');
  Object.assign(tokens, await addTeamMembers(engine, tokens['admin'], [['mia', 'member'], ['ann', 'approver'], ['zoe', 'approver'], ['bob', 'approver']]));
  sim.reset({
    rules: [
      { match: { toolName: 'load_toolset', userContains: 'scale web to zero' }, reply: { toolCalls: [{ id: 'call_zero', name: 'k8s_scale', arguments: { name: 'web', replicas: 0 } }] } },
      { match: { toolName: 'load_toolset', userContains: 'scale web to 3' }, reply: { toolCalls: [{ id: 'call_three', name: 'k8s_scale', arguments: { name: 'web', replicas: 3 } }] } },
      { match: { toolName: 'load_toolset', userContains: 'delete api' }, reply: { toolCalls: [{ id: 'call_delete', name: 'k8s_delete', arguments: { name: 'api' } }] } },
      { match: { toolName: 'k8s_scale' }, reply: 'Done.' },
      { match: { toolName: 'k8s_delete' }, reply: 'Deleted.' },
      { match: { always: true }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
    ],
  });
}, 120_000);

afterAll(async () => {
  await fleet.closeAll();
  await sim?.close();
});

describe('managing policies', () => {
  it('only an admin lists, creates, changes and deletes them; a member, an approver and no token are refused', async () => {
    const body = { name: 'attacker', expression: 'false', effect: 'warn' };
    for (const who of ['mia', 'ann']) {
      expect((await call(tokens[who], 'POST', '/policies', body)).statusCode).toBe(403);
      expect((await call(tokens[who], 'GET', '/policies')).statusCode).toBe(403);
      expect((await call(tokens[who], 'POST', '/policies/evaluate', { expression: 'true' })).statusCode).toBe(403);
    }
    expect((await call(undefined, 'POST', '/policies', body)).statusCode).toBe(401);
    expect((await call(undefined, 'GET', '/policies')).statusCode).toBe(401);

    const created = await createPolicy({ name: 'scratch', expression: 'tool == "k8s_delete"', effect: 'warn', message: 'first' });
    expect(created).toMatchObject({ name: 'scratch', version: 1, enabled: true, effect: 'warn', message: 'first' });
    const changed = await call(tokens['admin'], 'PUT', `/policies/${created.id}`, { name: 'scratch', expression: 'tool == "k8s_scale"', effect: { require_role: 'admin' }, message: 'second', enabled: false });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({ version: 2, effect: { require_role: 'admin' }, enabled: false });
    expect((await call(tokens['mia'], 'PUT', `/policies/${created.id}`, { name: 'scratch', expression: 'true', effect: 'deny' })).statusCode).toBe(403);
    expect((await call(tokens['mia'], 'DELETE', `/policies/${created.id}`)).statusCode).toBe(403);
    expect((await call(tokens['admin'], 'POST', '/policies', { name: 'scratch', expression: 'true', effect: 'warn' })).statusCode).toBe(409);
    expect((await call(tokens['admin'], 'DELETE', `/policies/${created.id}`)).statusCode).toBe(204);
    expect((await call(tokens['admin'], 'GET', '/policies')).json().data).toEqual([]);

    const audited = (await engine.engine.storage.audit.list({ limit: 20 })).filter((event) => event.action.startsWith('policy.')).map((event) => [event.action, event.details['version']]);
    expect(audited).toEqual([
      ['policy.deleted', 2],
      ['policy.changed', 2],
      ['policy.created', 1],
    ]);
  });

  it('a broken expression is refused at save time with the library\'s message and its position', async () => {
    const broken = await call(tokens['admin'], 'POST', '/policies', { name: 'broken', expression: 'tool == "k8s_scale" &&\n  args.replicas ==', effect: 'deny' });
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toMatchObject({ code: 'INVALID_EXPRESSION', message: 'Unexpected token: EOF', position: { line: 2, column: 19 } });
    expect(broken.json().detail).toBe('The expression does not compile at line 2, column 19: Unexpected token: EOF');
    const unknown = await call(tokens['admin'], 'POST', '/policies', { name: 'broken', expression: 'cluster.labels.env == "prod" && replicas == 0', effect: 'deny' });
    expect(unknown.json()).toMatchObject({ code: 'INVALID_EXPRESSION', message: 'Unknown variable: replicas', position: { offset: 32, line: 1, column: 33 } });
    const notBool = await call(tokens['admin'], 'POST', '/policies', { name: 'broken', expression: 'tool', effect: 'deny' });
    expect(notBool.json().detail).toMatch(/yields string; a policy's expression must yield a bool/);
    expect((await call(tokens['admin'], 'GET', '/policies')).json().data).toEqual([]);
  });
});

describe('policies in the gate', () => {
  it('scale to 0 in prod is denied before anyone is asked, with the policy\'s message', async () => {
    await createPolicy({ name: 'no scale to zero in prod', expression: 'tool == "k8s_scale" && args.replicas == 0 && cluster.labels.env == "prod"', effect: 'deny', message: 'Scaling to zero in prod needs a change ticket.' });
    engine.mcp.replicas.set('web', 2);
    const { frames: answer, conversationId } = await chat('mia', 'scale web to zero');
    const refused = answer.find((frame) => frame.event === 'tool.error')?.data;
    expect(refused).toMatchObject({ call_id: 'call_zero', code: 'POLICY_DENIED' });
    expect(String(refused?.['error'])).toBe('Not executed: Policy "no scale to zero in prod" (v1) denies this k8s_scale call: Scaling to zero in prod needs a change ticket. Nobody was asked to approve it and nothing was changed.');
    expect(answer.some((frame) => frame.event === 'tool.awaiting_approval')).toBe(false);
    expect(engine.mcp.replicas.get('web')).toBe(2);
    expect((await call(tokens['ann'], 'GET', '/approvals/pending')).json().data).toEqual([]);
    const [denial] = await engine.engine.storage.audit.list({ limit: 5, action: 'policy.denied' });
    expect(denial).toMatchObject({ subjectId: 'call_zero', details: { conversation_id: conversationId, tool: 'k8s_scale', policies: [expect.objectContaining({ name: 'no scale to zero in prod', version: 1, effect: 'deny' })] } });

    // scaling to 3 is not matched: it waits for an approver as before
    const other = await chat('mia', 'scale web to 3');
    expect(other.awaiting).toMatchObject({ call_id: 'call_three' });
  });

  it('delete needs two approvers other than the requester; warn shows on the card; both are recorded with the decision', async () => {
    await createPolicy({ name: 'two for deletes', expression: 'tool == "k8s_delete"', effect: { require_approvers: 2 }, message: 'Deletes are reviewed by two people.' });
    await createPolicy({ name: 'prod warning', expression: 'cluster.name == "prod"', effect: 'warn', message: 'This is production.' });
    engine.mcp.replicas.set('api', 1);
    const { conversationId, awaiting } = await chat('ann', 'delete api');
    expect(awaiting).toMatchObject({ call_id: 'call_delete' });
    expect(awaiting?.['risks']).toEqual(
      expect.arrayContaining([
        { code: 'POLICY_WARNING', severity: 'medium', message: 'Policy "prod warning" (v1): warn — This is production.' },
        { code: 'POLICY_MATCHED', severity: 'medium', message: 'Policy "two for deletes" (v1): require 2 approvers other than the requester — Deletes are reviewed by two people.' },
      ]),
    );
    const decide = (who: string) => call(tokens[who], 'POST', '/agent/approvals/call_delete', { approve: true, conversation_id: conversationId, args_hash: awaiting!['args_hash'] });

    // the requester does not count
    const own = await decide('ann');
    expect(own.statusCode).toBe(403);
    expect(own.json()).toMatchObject({ code: 'POLICY_APPROVERS' });
    // the first approver's approval is recorded; the call keeps waiting
    const first = await decide('zoe');
    expect(first.statusCode, first.body).toBe(202);
    expect(first.json()).toMatchObject({ code: 'MORE_APPROVALS_NEEDED', detail: expect.stringContaining('(1 of 2)') });
    expect(engine.mcp.replicas.has('api')).toBe(true);
    // nobody counts twice, and the queue says so
    const again = await decide('zoe');
    expect(again.json()).toMatchObject({ code: 'ALREADY_APPROVED_BY_YOU' });
    expect((await call(tokens['zoe'], 'GET', '/approvals/pending')).json().data).toEqual(expect.arrayContaining([expect.objectContaining({ call_id: 'call_delete', can_decide: false })]));
    expect((await call(tokens['bob'], 'GET', '/approvals/pending')).json().data).toEqual(expect.arrayContaining([expect.objectContaining({ call_id: 'call_delete', can_decide: true })]));
    // the second distinct approver's approval runs it
    const second = await frames(await decide('bob'));
    expect(second.find((frame) => frame.event === 'tool.result')).toBeDefined();
    expect(engine.mcp.replicas.has('api')).toBe(false);

    const row = await engine.engine.storage.approvals.get(conversationId, 'call_delete');
    expect(row?.policyVerdicts?.map((verdict) => [verdict.name, verdict.version, verdict.effect])).toEqual([
      ['prod warning', 1, 'warn'],
      ['two for deletes', 1, { require_approvers: 2 }],
    ]);
    const zoeId = (await call(tokens['zoe'], 'GET', '/auth/me')).json().id as string;
    const bobId = (await call(tokens['bob'], 'GET', '/auth/me')).json().id as string;
    const [decision] = await engine.engine.storage.audit.list({ limit: 5, action: 'approval.approved' });
    expect(decision).toMatchObject({
      actorId: bobId,
      subjectId: 'call_delete',
      details: expect.objectContaining({
        policies: [
          { name: 'prod warning', version: 1, verdict: 'warn', message: 'This is production.' },
          { name: 'two for deletes', version: 1, verdict: 'require 2 approvers other than the requester', message: 'Deletes are reviewed by two people.' },
        ],
        co_approvals: [expect.objectContaining({ user_id: zoeId })],
      }),
    });
    expect((await engine.engine.storage.audit.list({ limit: 5, action: 'approval.co_approved' }))[0]).toMatchObject({ actorId: zoeId, subjectId: 'call_delete', details: expect.objectContaining({ approvals: 1, required: 2 }) });
  });

  it('require_role: admin leaves an approver unable to approve, an admin able', async () => {
    const policy = await createPolicy({ name: 'admins scale', expression: 'tool == "k8s_scale" && args.replicas > 2', effect: { require_role: 'admin' } });
    const { conversationId, awaiting } = await chat('mia', 'scale web to 3');
    const byApprover = await call(tokens['ann'], 'POST', `/agent/approvals/${awaiting!['call_id']}`, { approve: true, conversation_id: conversationId, args_hash: awaiting!['args_hash'] });
    expect(byApprover.statusCode).toBe(403);
    expect(byApprover.json()).toMatchObject({ code: 'POLICY_ROLE_REQUIRED' });
    const byAdmin = await frames(await call(tokens['admin'], 'POST', `/agent/approvals/${awaiting!['call_id']}`, { approve: true, conversation_id: conversationId, args_hash: awaiting!['args_hash'] }));
    expect(byAdmin.find((frame) => frame.event === 'tool.result')).toBeDefined();
    expect(engine.mcp.replicas.get('web')).toBe(3);
    expect((await call(tokens['admin'], 'DELETE', `/policies/${policy.id}`)).statusCode).toBe(204);
  });

  it('what would this have done: a draft evaluated over the recorded calls lists the ones it matches', async () => {
    const draft = await call(tokens['admin'], 'POST', '/policies/evaluate', { expression: 'tool == "k8s_scale" && args.replicas >= 3 && requester.role == "member"', effect: 'deny', limit: 50 });
    expect(draft.statusCode, draft.body).toBe(200);
    const body = draft.json();
    expect(body.evaluated).toBe(3);
    expect(body.matched.map((entry: { call_id: string; verdict: string; cluster: string }) => [entry.call_id, entry.verdict, entry.cluster])).toEqual([
      ['call_three', 'deny', 'prod'],
      ['call_three', 'deny', 'prod'],
    ]);
    expect(body.errors).toEqual([]);
    const broken = await call(tokens['admin'], 'POST', '/policies/evaluate', { expression: 'tool ==' });
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toMatchObject({ code: 'INVALID_EXPRESSION' });
  });

  it('require_passkey: a plain click does not approve the call; the pending list offers it with a passkey', async () => {
    const policy = await createPolicy({ name: 'passkey for scales', expression: 'tool == "k8s_scale"', effect: 'require_passkey', message: 'prove it is you' });
    const { conversationId, awaiting } = await chat('mia', 'scale web to 3');
    const click = await call(tokens['ann'], 'POST', `/agent/approvals/${awaiting!['call_id']}`, { approve: true, conversation_id: conversationId, args_hash: awaiting!['args_hash'] });
    expect(click.statusCode).toBe(403);
    expect(click.json()).toMatchObject({ code: 'PASSKEY_REQUIRED', detail: expect.stringContaining('policy "passkey for scales" (v1) asks for it: prove it is you') });
    expect((await call(tokens['ann'], 'GET', '/approvals/pending')).json().data).toEqual(expect.arrayContaining([expect.objectContaining({ conversation_id: conversationId, passkey_required: true, approve_at: expect.stringContaining(conversationId) })]));
    // denying stays open
    const denied = await frames(await call(tokens['ann'], 'POST', `/agent/approvals/${awaiting!['call_id']}`, { approve: false, conversation_id: conversationId }));
    expect(denied.find((frame) => frame.event === 'tool.denied')).toBeDefined();
    expect((await call(tokens['admin'], 'DELETE', `/policies/${policy.id}`)).statusCode).toBe(204);
  });
});
