/**
 * Issue 20, item 2: who may see and act on a conversation is one rule (src/tool-calls/decide/conversation-access.ts), and every
 * surface answers by it: the conversation routes, GET /approvals/pending, and the agent API (decide, stop, re-attach).
 * The table below is the rule; the engine test checks each surface against it for every role under both policies,
 * and that a call someone may see but not decide comes with the engine's reason (the same words a refused decision
 * answers with).
 */
import { randomUUID } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { newTestPglite } from '../support/test-databases.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { conversationAccess, type AccessGrant, type ApprovalPolicyName, type ConversationAction } from '../../src/domain/tool-calls/decide/conversation-access.ts';
import type { Role } from '../../src/platform/ports/index.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';

type Row = [policy: ApprovalPolicyName, role: Role, owner: boolean, read: AccessGrant | undefined, change: AccessGrant | undefined, act: AccessGrant | undefined];

// The behaviour before the rules were merged: owners do everything; admins read anyone's conversation; with
// APPROVAL_POLICY=approver approvers read them too, and approvers and admins act on their calls and runs.
const table: Row[] = [
  ['self', 'member', true, 'owner', 'owner', 'owner'],
  ['self', 'approver', true, 'owner', 'owner', 'owner'],
  ['self', 'admin', true, 'owner', 'owner', 'owner'],
  ['self', 'member', false, undefined, undefined, undefined],
  ['self', 'approver', false, undefined, undefined, undefined],
  ['self', 'admin', false, 'admin', undefined, undefined],
  ['approver', 'member', true, 'owner', 'owner', 'owner'],
  ['approver', 'approver', true, 'owner', 'owner', 'owner'],
  ['approver', 'admin', true, 'owner', 'owner', 'owner'],
  ['approver', 'member', false, undefined, undefined, undefined],
  ['approver', 'approver', false, 'approver', undefined, 'approver'],
  ['approver', 'admin', false, 'admin', undefined, 'admin'],
];

describe('conversationAccess: roles × policy × owner', () => {
  it.each(table)('policy %s, %s, owner %s: read %s, change %s, act %s', (policy, role, owner, read, change, act) => {
    const input = { policy, actor: { id: 'actor', role }, conversationOwnerId: owner ? 'actor' : 'someone-else', reach: { actorScope: undefined, conversationCluster: undefined } };
    const answers = Object.fromEntries((['read', 'change', 'act'] as ConversationAction[]).map((action) => [action, conversationAccess(input, action)]));
    expect(answers).toEqual({ read, change, act });
  });
});

const engines: Array<{ engine: TestEngine; lite: PGlite }> = [];
afterAll(async () => {
  for (const { engine, lite } of engines) {
    await engine.close();
    await lite.close();
  }
});

describe.each(['self', 'approver'] as const)('every surface follows the rule (APPROVAL_POLICY=%s)', (policy) => {
  it('conversation routes, pending approvals and the agent API agree with conversationAccess for each role', { timeout: 120_000 }, async () => {
    const lite = await newTestPglite();
    const engine = await startTestEngine({ lite, env: { TITLE_GENERATION_ENABLED: 'false', APPROVAL_POLICY: policy, ...(policy === 'approver' ? { APPROVAL_FOUR_EYES: 'true' } : {}) } });
    engines.push({ engine, lite });
    const call = (token: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: Record<string, unknown>) =>
      engine.request({ method, url: `/api/v1${url}`, token, ...(payload ? { payload } : {}) });
    const admin = await engine.signUp('ada@example.com');
    const member = async (email: string, role: Role) => {
      const added = await call(admin, 'POST', '/team/members', { email, role, password: 'initial-pass-42-x' });
      expect(added.statusCode, added.body).toBe(201);
      const login = await engine.login(email, 'initial-pass-42-x');
      return { id: added.json().id as string, token: login.json().access_token as string };
    };
    const mia = await member('mia@example.com', 'member');
    const max = await member('max@example.com', 'member');
    const ann = await member('ann@example.com', 'approver');
    const adaId = (await engine.engine.storage.users.findByEmail('ada@example.com'))!.id;

    // Mia's conversation, with a destructive call she asked for, waiting for a decision.
    const conversation = await engine.engine.storage.conversations.create({ userId: mia.id, title: 'scale web to 0' });
    await engine.engine.storage.approvals.request({
      conversationId: conversation.id,
      callId: 'call_scale',
      runId: randomUUID(),
      tool: 'k8s_scale',
      args: { name: 'web', replicas: 0 },
      argsHash: 'sha256:args',
      resolution: [],
      risks: [],
      destructive: true,
      requestedBy: mia.id,
    });
    await engine.engine.storage.conversations.updateTimeline(conversation.id, () => [{ id: 'u1', type: 'user', content: 'web is in ImagePullBackOff, scale it to 0', timestamp: 1 }]);

    const viewers: Array<{ name: string; id: string; role: Role; token: string }> = [
      { name: 'mia (owner)', id: mia.id, role: 'member', token: mia.token },
      { name: 'max (member)', id: max.id, role: 'member', token: max.token },
      { name: 'ann (approver)', id: ann.id, role: 'approver', token: ann.token },
      { name: 'ada (admin)', id: adaId, role: 'admin', token: admin },
    ];
    for (const viewer of viewers) {
      const access = (action: ConversationAction) => conversationAccess({ policy, actor: { id: viewer.id, role: viewer.role }, conversationOwnerId: mia.id, reach: { actorScope: undefined, conversationCluster: undefined } }, action);
      const read = await call(viewer.token, 'GET', `/conversations/${conversation.id}`);
      expect(read.statusCode, `${viewer.name} reads`).toBe(access('read') ? 200 : 404);
      // search (issue 37) finds her conversation's content exactly for those who may read it
      const found = (await call(viewer.token, 'GET', '/conversations/search?q=ImagePullBackOff')).json().data as Array<{ id: string }>;
      expect(found.map((item) => item.id), `${viewer.name} searches`).toEqual(access('read') ? [conversation.id] : []);
      const rename = await call(viewer.token, 'PATCH', `/conversations/${conversation.id}`, { title: `renamed by ${viewer.name}` });
      expect(rename.statusCode, `${viewer.name} renames`).toBe(access('change') ? 200 : 404);
      const pending = (await call(viewer.token, 'GET', '/approvals/pending')).json().data as Array<{ call_id: string }>;
      expect(pending.map((item) => item.call_id), `${viewer.name} lists`).toEqual(access('act') ? ['call_scale'] : []);
      // Stopping and re-attaching to a run that does not exist: a conversation they may act on says the run is
      // unknown; any other answers as if the conversation did not exist.
      const stop = await call(viewer.token, 'POST', '/agent/stop', { conversation_id: conversation.id, run_id: randomUUID() });
      const events = await call(viewer.token, 'GET', `/agent/runs/${randomUUID()}/events?conversation_id=${conversation.id}`);
      for (const [what, response] of [['stops', stop], ['re-attaches', events]] as const) {
        const hidden = response.statusCode === 404 && /Conversation .* not found/.test(response.json().detail);
        expect(hidden, `${viewer.name} ${what}: ${response.statusCode} ${response.body}`).toBe(!access('act'));
      }
    }
    // Chatting stays the owner's, whatever the policy: nobody else may start a run in Mia's conversation.
    const chat = await call(ann.token, 'POST', '/agent/chat', { conversation_id: conversation.id, messages: [{ role: 'user', content: 'hi' }] });
    expect(chat.statusCode).toBe(404);

    if (policy === 'approver') {
      // The reason a visible call cannot be decided is the one a refused decision answers with: Mia, a member, may
      // not decide in approver mode; Ann may not decide the destructive call she asked for herself (four-eyes).
      const anns = await engine.engine.storage.conversations.create({ userId: ann.id, title: 'delete ns' });
      await engine.engine.storage.approvals.request({ conversationId: anns.id, callId: 'call_delete', runId: randomUUID(), tool: 'k8s_delete', args: { name: 'tmp' }, argsHash: 'sha256:d', resolution: [], risks: [], destructive: true, requestedBy: ann.id });
      const cases = [
        { who: mia, conversationId: conversation.id, callId: 'call_scale', reason: /^APPROVAL_POLICY=approver: only users with the approver or admin role decide/ },
        { who: ann, conversationId: anns.id, callId: 'call_delete', reason: /^Four-eyes \(APPROVAL_FOUR_EYES\): this call is destructive/ },
      ];
      for (const { who, conversationId, callId, reason } of cases) {
        const listed = ((await call(who.token, 'GET', '/approvals/pending')).json().data as Array<{ call_id: string; can_decide: boolean; cannot_decide_reason?: string }>).find((item) => item.call_id === callId);
        expect(listed).toMatchObject({ can_decide: false, cannot_decide_reason: expect.stringMatching(reason) });
        const refused = await call(who.token, 'POST', `/agent/approvals/${callId}`, { conversation_id: conversationId, approve: false, reason: 'no' });
        expect(refused.statusCode).toBe(403);
        expect(refused.json().detail).toBe(listed!.cannot_decide_reason);
      }
      // Ada may decide both; a call one may decide carries no reason
      const queue = (await call(admin, 'GET', '/approvals/pending')).json().data as Array<Record<string, unknown>>;
      expect(queue.map((item) => [item.call_id, item.can_decide, item.cannot_decide_reason]).sort()).toEqual([['call_delete', true, undefined], ['call_scale', true, undefined]]);
    }
    expect((await engine.engine.storage.approvals.get(conversation.id, 'call_scale'))?.status).toBe('awaiting');
  });
});
