/**
 * Slack approvals (issue 24), against slack-sim, llm-sim and the fake MCP server: a call waiting for a decision is
 * posted to the channel (diff, risks, Approve / Deny); a click is verified with the signing secret, mapped to the
 * Skyflo user with the same e-mail, and decided through the same gate as the HTTP decision — a forged, replayed or
 * stale click, a Slack user without a Skyflo account, and a member without the right are all refused (nothing is
 * decided); the approver's click executes the call, and the message and the conversation show who decided.
 */
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { slackSignature, startSlackSim, type SlackSim } from '@skyflo/testkit/slack-sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readSse } from '../../src/testing/read-sse.ts';
import { startTeamEngine, type TeamEngine, scaleWebTo5Script } from '../support/team-engine.ts';

const SIGNING_SECRET = 'slack-signing-secret-0123456789';
const BOT_TOKEN = 'xoxb-skyflo-test-token-9876';

let sim: LlmSim;
let slack: SlackSim;
let team: TeamEngine;
let admin: string;
let mia: string;
let interactionsUrl: string;

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  slack = await startSlackSim({ botToken: BOT_TOKEN });
  team = await startTeamEngine(sim, { APPROVAL_POLICY: 'approver' });
  interactionsUrl = `${team.baseUrl}/api/v1/integrations/slack/interactions`;
  admin = await team.engine.signUp('admin@example.com');
  mia = await team.member(admin, 'mia@example.com', 'member');
  await team.member(admin, 'ann@example.com', 'approver');
  await team.member(admin, 'bob@example.com', 'member');
  slack.addUser('U_ANN', 'Ann@Example.com');
  slack.addUser('U_BOB', 'bob@example.com');
  slack.addUser('U_EVE', 'eve@example.com');
  sim.reset(scaleWebTo5Script);
});

afterAll(async () => {
  await team?.close();
  await slack?.close();
  await sim?.close();
});

const awaitingStatus = async (conversationId: string) => (await team.lite.query<{ status: string }>('SELECT status FROM approvals WHERE conversation_id = $1 AND call_id = $2', [conversationId, 'call_scale'])).rows[0]?.status;

describe('Slack approvals', () => {
  it('connects Slack (admin only; credentials never shown)', async () => {
    const body = { provider: 'slack', name: 'ops', metadata: { channel: 'C_OPS', api_url: slack.apiUrl }, credentials: { bot_token: BOT_TOKEN, signing_secret: SIGNING_SECRET } };
    expect((await team.call(mia, 'POST', '/integrations', body)).statusCode).toBe(403);
    const created = await team.call(admin, 'POST', '/integrations', body);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ provider: 'slack', metadata: { channel: 'C_OPS' }, credentials: { set: true, bot_token_last4: '9876' } });
    const listed = (await team.call(mia, 'GET', '/integrations')).body;
    expect(listed).not.toContain(BOT_TOKEN);
    expect(listed).not.toContain(SIGNING_SECRET);
    expect(JSON.stringify((await team.lite.query('SELECT value FROM settings')).rows)).not.toContain(SIGNING_SECRET);
  });

  it('posts the request; refuses forged, unknown, unentitled, replayed and stale clicks; the approver decides through the gate', async () => {
    team.engine.mcp.replicas.set('web', 2);
    const chat = await readSse(new Response((await team.call(mia, 'POST', '/agent/chat', { messages: [{ role: 'user', content: 'scale web to 5' }] })).body));
    const awaiting = chat.find((frame) => frame.event === 'tool.awaiting_approval')!;
    const conversationId = String(awaiting.data['conversation_id']);

    await vi.waitFor(() => expect(slack.calls.filter((call) => call.method === 'chat.postMessage')).toHaveLength(1));
    const post = slack.calls.find((call) => call.method === 'chat.postMessage')!;
    expect(post.token).toBe(BOT_TOKEN);
    expect(post.body['channel']).toBe('C_OPS');
    const message = [...slack.messages.values()][0]!;
    const text = JSON.stringify(message.blocks);
    expect(text).toContain('Changes the cluster: scales default/web to 5 replicas');
    expect(text).toContain(`/chat/${conversationId}`);
    expect(text).toContain('asked by mia@example.com');
    expect(text).toMatch(/"action_id":"approve"/);
    expect(text).toMatch(/"action_id":"deny"/);

    // a forged click: signed with another secret
    const forged = await slack.click({ url: interactionsUrl, signingSecret: 'not-the-app-secret-at-all', userId: 'U_ANN', message, actionId: 'approve' });
    expect(forged.status).toBe(401);
    expect(forged.body).toContain('signature does not match');
    // a stale click: correctly signed, 10 minutes old
    const stale = await slack.click({ url: interactionsUrl, signingSecret: SIGNING_SECRET, userId: 'U_ANN', message, actionId: 'approve', timestamp: Math.floor(Date.now() / 1000) - 600 });
    expect(stale.status).toBe(401);
    expect(stale.body).toContain('more than 5 minutes');
    // a Slack user with no Skyflo account
    const eve = await slack.click({ url: interactionsUrl, signingSecret: SIGNING_SECRET, userId: 'U_EVE', message, actionId: 'approve' });
    expect(eve.status).toBe(200);
    // a member: under APPROVAL_POLICY=approver she cannot even see mia's conversation
    const bob = await slack.click({ url: interactionsUrl, signingSecret: SIGNING_SECRET, userId: 'U_BOB', message, actionId: 'approve' });
    expect(bob.status).toBe(200);
    expect(slack.ephemeral).toEqual([
      { userId: 'U_EVE', text: 'Skyflo did not record your decision: your Slack account (eve@example.com) has no active Skyflo account with the same e-mail; decide in the Command Center instead.' },
      { userId: 'U_BOB', text: `Skyflo did not record your decision: Conversation ${conversationId} not found` },
    ]);
    // the requester cannot approve her own call from Slack either (only approvers decide)
    slack.addUser('U_MIA', 'mia@example.com');
    await slack.click({ url: interactionsUrl, signingSecret: SIGNING_SECRET, userId: 'U_MIA', message, actionId: 'approve' });
    expect(slack.ephemeral.at(-1)?.text).toMatch(/only users with the approver or admin role decide mutating calls/);
    expect(await awaitingStatus(conversationId)).toBe('awaiting');
    expect(team.engine.mcp.replicas.get('web')).toBe(2);

    const ann = await slack.click({ url: interactionsUrl, signingSecret: SIGNING_SECRET, userId: 'U_ANN', message, actionId: 'approve' });
    expect(ann).toMatchObject({ status: 200 });
    expect(JSON.parse(ann.body)).toEqual({ detail: 'decided' });
    await vi.waitFor(() => expect(team.engine.mcp.replicas.get('web')).toBe(5));
    // the same signed click again is a replay
    const replay = await slack.resend(ann.sent, interactionsUrl);
    expect(replay.status).toBe(401);
    expect(replay.body).toContain('already received');

    // the message now says who decided, without buttons
    const updated = slack.messages.get(message.ts)!;
    expect(JSON.stringify(updated.blocks)).toContain('Approved by ann@example.com');
    expect(JSON.stringify(updated.blocks)).not.toContain('"action_id":"approve"');
    // the Command Center shows the same decision
    await vi.waitFor(async () => {
      const timeline = (await team.call(mia, 'GET', `/conversations/${conversationId}`)).json().messages as Array<{ segments?: Array<{ kind: string; toolExecution?: { status: string; decided_by_email?: string } }> }>;
      const tool = timeline.flatMap((entry) => entry.segments ?? []).find((segment) => segment.kind === 'tool' && segment.toolExecution)?.toolExecution;
      expect(tool).toMatchObject({ status: 'completed', decided_by_email: 'ann@example.com' });
    });
    expect((await team.call(admin, 'GET', '/approvals/pending')).json().data).toEqual([]);

    const audit = (await team.lite.query<{ action: string; details: Record<string, unknown> }>("SELECT action, details FROM audit_events WHERE action LIKE 'slack.%' OR action = 'approval.approved' ORDER BY sequence")).rows;
    expect(audit.map((row) => row.action)).toEqual([
      'slack.posted',
      'slack.request_rejected',
      'slack.request_rejected',
      'slack.click_refused',
      'slack.click_refused',
      'slack.click_refused',
      'approval.approved',
      'slack.click_accepted',
      'slack.request_rejected',
    ]);
  });

  it('issue 76: under a policy asking for two approvers, the first Slack approval is recorded and the call waits; the second runs it', async () => {
    const policy = await team.call(admin, 'POST', '/policies', { name: 'two for seven', expression: 'tool == "k8s_scale" && args.replicas == 7', effect: { require_approvers: 2 } });
    expect(policy.statusCode, policy.body).toBe(201);
    sim.reset({
      rules: [
        { match: { toolName: 'load_toolset', userContains: 'seven' }, reply: { toolCalls: [{ id: 'call_seven', name: 'k8s_scale', arguments: { name: 'web', replicas: 7 } }] } },
        { match: { toolName: 'k8s_scale' }, reply: 'Scaled web to 7.' },
        { match: { always: true }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
      ],
    });
    const posted = slack.messages.size;
    await readSse(new Response((await team.call(mia, 'POST', '/agent/chat', { messages: [{ role: 'user', content: 'scale web to seven' }] })).body));
    await vi.waitFor(() => expect(slack.messages.size).toBe(posted + 1));
    const message = [...slack.messages.values()].at(-1)!;

    await slack.click({ url: interactionsUrl, signingSecret: SIGNING_SECRET, userId: 'U_ANN', message, actionId: 'approve' });
    expect(slack.ephemeral.at(-1)?.text).toMatch(/^Your approval of tool call call_seven is recorded \(1 of 2\); it runs once 1 more approver other than the requester approves it\.$/);
    expect(team.engine.mcp.replicas.get('web')).toBe(5);
    expect(JSON.stringify(slack.messages.get(message.ts)!.blocks)).toContain('"action_id":"approve"');

    slack.addUser('U_ADMIN', 'admin@example.com');
    await slack.click({ url: interactionsUrl, signingSecret: SIGNING_SECRET, userId: 'U_ADMIN', message, actionId: 'approve' });
    await vi.waitFor(() => expect(team.engine.mcp.replicas.get('web')).toBe(7));
    expect(JSON.stringify(slack.messages.get(message.ts)!.blocks)).toContain('Approved by admin@example.com');
  });
});

it("slack-sim signs as Slack's documentation example does", () => {
  // the worked example of https://api.slack.com/authentication/verifying-requests-from-slack
  const body =
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
  expect(slackSignature('8f742231b10e8888abcd99yyyzzz85a5', 1531420618, body)).toBe('v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503');
});
