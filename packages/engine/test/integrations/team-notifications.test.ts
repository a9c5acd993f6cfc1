/**
 * The per-user notification stream (issue 24): GET /notifications/stream tells whoever may decide a call that it
 * waits (can_decide true), its requester that it waits (can_decide false under APPROVAL_POLICY=approver), and both
 * how it was decided; other members hear nothing. An API token needs approvals:read for it.
 */
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readSse } from '../../src/testing/read-sse.ts';
import { openNotificationStream, startTeamEngine, type LiveStream, type TeamEngine, scaleWebTo5Script } from '../support/team-engine.ts';

let sim: LlmSim;
let team: TeamEngine;
let admin: string;
let mia: string; // member who asks
let ann: string; // approver
let bob: string; // another member
const streams: LiveStream[] = [];

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  team = await startTeamEngine(sim, { APPROVAL_POLICY: 'approver' });
  admin = await team.engine.signUp('admin@example.com');
  mia = await team.member(admin, 'mia@example.com', 'member');
  ann = await team.member(admin, 'ann@example.com', 'approver');
  bob = await team.member(admin, 'bob@example.com', 'member');
  sim.reset(scaleWebTo5Script);
});

afterAll(async () => {
  for (const stream of streams) stream.close();
  await team?.close();
  await sim?.close();
});

const open = async (token: string | undefined) => {
  const stream = await openNotificationStream(team.baseUrl, token);
  streams.push(stream);
  return stream;
};

describe('notification stream', () => {
  it('needs a session or an API token with approvals:read', async () => {
    expect((await open(undefined)).status).toBe(401);
    const chatOnly = (await team.call(ann, 'POST', '/auth/tokens', { name: 'chat', scopes: ['chat'] })).json().token as string;
    expect((await open(chatOnly)).status).toBe(403);
  });

  it('announces a waiting call to the approver (can decide) and the requester, then who decided it; others hear nothing', async () => {
    const annReader = (await team.call(ann, 'POST', '/auth/tokens', { name: 'pager', scopes: ['approvals:read'] })).json().token as string;
    const annStream = await open(annReader);
    const miaStream = await open(mia);
    const bobStream = await open(bob);
    for (const stream of [annStream, miaStream, bobStream]) {
      expect(stream.status).toBe(200);
      await vi.waitFor(() => expect(stream.frames[0]?.event).toBe('ready'));
    }

    team.engine.mcp.replicas.set('web', 2);
    const chat = await readSse(new Response((await team.call(mia, 'POST', '/agent/chat', { messages: [{ role: 'user', content: 'scale web to 5' }] })).body));
    const awaiting = chat.find((frame) => frame.event === 'tool.awaiting_approval')!;
    const conversationId = String(awaiting.data['conversation_id']);

    await vi.waitFor(() => expect(annStream.notifications().map((item) => item['kind'])).toContain('approval.requested'));
    expect(annStream.notifications().find((item) => item['kind'] === 'approval.requested')).toMatchObject({
      conversation_id: conversationId,
      call_id: 'call_scale',
      tool: 'k8s_scale',
      can_decide: true,
      summary: 'Changes the cluster: scales default/web to 5 replicas',
    });
    await vi.waitFor(() => expect(miaStream.notifications().find((item) => item['kind'] === 'approval.requested')).toMatchObject({ call_id: 'call_scale', can_decide: false, cannot_decide_reason: expect.stringMatching(/^APPROVAL_POLICY=approver: only users with the approver or admin role decide/) }));
    // the requester also hears that her run now waits
    await vi.waitFor(() => expect(miaStream.notifications().find((item) => item['kind'] === 'run.completed')).toMatchObject({ conversation_id: conversationId, summary: 'The run is waiting for a decision.' }));

    const decided = await readSse(new Response((await team.call(ann, 'POST', '/agent/approvals/call_scale', { approve: true, conversation_id: conversationId, args_hash: awaiting.data['args_hash'] })).body));
    expect(decided.at(-1)).toMatchObject({ event: 'completed', data: { status: 'completed' } });
    expect(team.engine.mcp.replicas.get('web')).toBe(5);
    for (const stream of [annStream, miaStream]) {
      await vi.waitFor(() =>
        expect(stream.notifications().find((item) => item['kind'] === 'approval.decided')).toMatchObject({ call_id: 'call_scale', outcome: 'approved', decided_by_email: 'ann@example.com' }),
      );
    }
    // ordered as it happened
    const kinds = annStream.notifications().map((item) => item['kind']);
    expect(kinds.indexOf('approval.requested')).toBeLessThan(kinds.indexOf('approval.decided'));
    // bob may not see mia's conversation: nothing reached him, though the decision reached everyone else
    expect(bobStream.notifications()).toEqual([]);
  });
});
