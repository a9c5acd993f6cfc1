/**
 * Microsoft Teams approvals (issue 39), against teams-sim (the Bot Framework channel: OpenID metadata, JWKS, token
 * service, connector), llm-sim and the fake MCP server, through the same gate as Slack: a call waiting for a decision
 * is posted to the conversation as an Adaptive Card (diff, risks, requester, Approve / Deny); a click is an activity
 * whose channel JWT is verified with Microsoft's Bot Framework authentication, mapped to the Skyflo user with the same
 * e-mail, and decided through prepareDecision. No token, a foreign key, another audience, an expired token, a token
 * for another service URL and a replayed activity are refused (401); an unknown Teams user, a member without the
 * right, the requester under four-eyes and a stale card are refused on the card; the approver's click runs the call
 * and every card shows who decided, wherever the decision was made.
 * Issue 74 item 2: Teams does not authenticate who clicked (the activity's `from` is a body field its channel token
 * does not cover; one token serves many activities), so a Teams click approves only a call its named clicker asked
 * for: an activity forged with a captured token, naming another approver, no longer approves a scale to 0. Denying
 * still works. Issue 74 item 10: a connector outage is said as such on the card, not as "the database is unavailable".
 */
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { startSlackSim, type SlackSim, type SlackSimMessage } from '@skyflo/testkit/slack-sim';
import { startTeamsSim, type TeamsSim, type TeamsSimActivity } from '@skyflo/testkit/teams-sim';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readSse } from '../../src/testing/read-sse.ts';
import { startTeamEngine, type TeamEngine } from '../support/team-engine.ts';

const APP_ID = '6c1b9f43-0d6e-4a8e-9a43-7f2b1c0d5e11';
const APP_PASSWORD = 'teams-app-password~0123456789-abcd';
const CONVERSATION = '19:ops-approvals@thread.tacv2';

let llm: LlmSim;
let teams: TeamsSim;
let slack: SlackSim;
let team: TeamEngine;
let admin: string;
let mia: string;
let ann: string;
let cat: string;
let messagesUrl: string;

beforeAll(async () => {
  llm = await startLlmSim({ port: 0 });
  teams = await startTeamsSim({ appId: APP_ID, appPassword: APP_PASSWORD });
  slack = await startSlackSim();
  team = await startTeamEngine(llm, { APPROVAL_POLICY: 'approver', APPROVAL_FOUR_EYES: 'true', TEAMS_OPENID_METADATA_URL: teams.openIdMetadataUrl });
  messagesUrl = `${team.baseUrl}/api/v1/integrations/teams/messages`;
  admin = await team.engine.signUp('admin@example.com');
  mia = await team.member(admin, 'mia@example.com', 'member');
  ann = await team.member(admin, 'ann@example.com', 'approver');
  cat = await team.member(admin, 'cat@example.com', 'approver');
  await team.member(admin, 'bob@example.com', 'member');
  for (const [id, email] of [['29:ann', 'Ann@Example.com'], ['29:bob', 'bob@example.com'], ['29:eve', 'eve@example.com'], ['29:mia', 'mia@example.com'], ['29:cat', 'cat@example.com']] as const) {
    teams.addUser({ id, aadObjectId: `aad-${id.slice(3)}`, email, name: id.slice(3) });
  }
  llm.reset({
    rules: [
      { match: { toolName: 'load_toolset', userContains: 'scale' }, reply: { toolCalls: [{ id: 'call_scale', name: 'k8s_scale', arguments: { name: 'web', replicas: 5 } }] } },
      { match: { toolName: 'load_toolset', userContains: 'delete' }, reply: { toolCalls: [{ id: 'call_delete', name: 'k8s_delete', arguments: { name: 'old-web' } }] } },
      { match: { toolName: 'load_toolset', userContains: 'shrink' }, reply: { toolCalls: [{ id: 'call_shrink', name: 'k8s_scale', arguments: { name: 'web', replicas: 1 } }] } },
      { match: { toolName: 'load_toolset', userContains: 'grow' }, reply: { toolCalls: [{ id: 'call_grow', name: 'k8s_scale', arguments: { name: 'web', replicas: 6 } }] } },
      { match: { toolName: 'load_toolset', userContains: 'zero' }, reply: { toolCalls: [{ id: 'call_zero', name: 'k8s_scale', arguments: { name: 'web', replicas: 0 } }] } },
      { match: { toolName: 'k8s_scale' }, reply: 'Scaled web.' },
      { match: { toolName: 'k8s_delete' }, reply: 'Deleted old-web.' },
      { match: { always: true }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
    ],
  });
});

afterAll(async () => {
  await team?.close();
  await teams?.close();
  await slack?.close();
  await llm?.close();
});

const statusOf = async (conversationId: string, callId: string) => (await team.lite.query<{ status: string }>('SELECT status FROM approvals WHERE conversation_id = $1 AND call_id = $2', [conversationId, callId])).rows[0]?.status;
const cardOf = (activity: Record<string, unknown>) => JSON.stringify((activity['attachments'] as Array<{ content: unknown }> | undefined)?.[0]?.content ?? activity);
/** the card Teams shows the clicker after an Action.Execute: the invoke answer's card */
const answerCard = (body: string) => {
  const answer = JSON.parse(body) as { statusCode?: number; type?: string; value?: unknown };
  expect(answer).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
  return JSON.stringify(answer.value);
};
const cardFor = async (callId: string): Promise<TeamsSimActivity> => {
  let found: TeamsSimActivity | undefined;
  await vi.waitFor(() => {
    found = teams.activities.find((entry) => cardOf(entry.activity).includes(`"call_id":"${callId}"`));
    expect(found).toBeDefined();
  });
  return found!;
};

async function chat(token: string, content: string): Promise<string> {
  const frames = await readSse(new Response((await team.call(token, 'POST', '/agent/chat', { messages: [{ role: 'user', content }] })).body));
  return String(frames.find((frame) => frame.event === 'tool.awaiting_approval')!.data['conversation_id']);
}

describe('Teams approvals', () => {
  it('connects Teams (admin only; the app password never shown or stored in clear) and tests the bot', async () => {
    const body = { provider: 'teams', name: 'ops', metadata: { app_id: APP_ID, tenant_id: 'contoso-tenant', conversation_id: CONVERSATION, service_url: teams.serviceUrl, login_url: teams.loginUrl }, credentials: { app_password: APP_PASSWORD } };
    expect((await team.call(mia, 'POST', '/integrations', body)).statusCode).toBe(403);
    const created = await team.call(admin, 'POST', '/integrations', body);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ provider: 'teams', metadata: { app_id: APP_ID, conversation_id: CONVERSATION }, credentials: { set: true, app_password_last4: 'abcd' } });
    const listed = (await team.call(mia, 'GET', '/integrations')).body;
    expect(listed).toContain('"provider":"teams"');
    expect(listed).not.toContain(APP_PASSWORD);
    expect(JSON.stringify((await team.lite.query('SELECT value FROM settings')).rows)).not.toContain(APP_PASSWORD);
    expect(JSON.stringify((await team.lite.query('SELECT details FROM audit_events')).rows)).not.toContain(APP_PASSWORD);

    const tested = await team.call(admin, 'POST', `/integrations/${created.json().id}/test`);
    expect(tested.json()).toMatchObject({ ok: true });
    expect(teams.activities.at(-1)).toMatchObject({ conversationId: CONVERSATION, activity: { text: 'Skyflo test: approval requests will be posted in this conversation.' } });
    // the connector was called with a token the token service gave for the app's id and password
    expect(teams.calls.some((call) => call.method === 'POST' && call.path.startsWith('/v3/conversations/') && call.token?.startsWith('teams-sim-access-'))).toBe(true);
  });

  it('posts the card; refuses unsigned, forged, foreign, expired and replayed activities, unknown and unentitled users; the approver decides through the gate', async () => {
    team.engine.mcp.replicas.set('web', 2);
    const conversationId = await chat(mia, 'scale web to 5');
    const card = await cardFor('call_scale');
    expect(card.conversationId).toBe(CONVERSATION);
    const shown = cardOf(card.activity);
    expect(shown).toContain('Changes the cluster: scales default/web to 5 replicas');
    expect(shown).toContain('+  replicas: 5');
    expect(shown).toContain(`/chat/${conversationId}`);
    expect(shown).toContain('mia@example.com');
    expect(shown).toMatch(/"type":"Action.Execute","verb":"approve"/);
    expect(shown).toMatch(/"type":"Action.Execute","verb":"deny"/);

    const click = (userId: string, extra: Partial<Parameters<TeamsSim['click']>[0]> = {}) => teams.click({ url: messagesUrl, card, verb: 'approve', userId, ...extra });
    const unsigned = await click('29:ann', { omitToken: true });
    expect(unsigned.status).toBe(401);
    expect(unsigned.body).toContain('no Bot Framework token');
    const foreign = await click('29:ann', { signWithForeignKey: true });
    expect(foreign.status).toBe(401);
    expect(foreign.body).toContain('token was refused');
    const audience = await click('29:ann', { audience: 'another-bots-app-id' });
    expect(audience.status).toBe(401);
    expect(audience.body).toContain('Invalid AppId passed on token: another-bots-app-id');
    const expired = await click('29:ann', { expiresInSeconds: -600 });
    expect(expired.status).toBe(401);
    expect(expired.body).toContain('The token has expired');
    const elsewhere = await click('29:ann', { serviceUrlClaim: 'https://smba.trafficmanager.net/emea/' });
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.body).toContain('ServiceUrl claim do not match');

    // signed by the channel, refused by the gate: the refusal is on the card the clicker sees
    expect(answerCard((await click('29:eve')).body)).toContain('Skyflo did not record your decision: your Teams account (eve@example.com) has no active Skyflo account with the same e-mail');
    expect(answerCard((await click('29:nobody')).body)).toContain('your Teams account has no active Skyflo account');
    expect(answerCard((await click('29:bob')).body)).toContain(`Skyflo did not record your decision: Conversation ${conversationId} not found`);
    const own = answerCard((await click('29:mia')).body);
    expect(own).toMatch(/only users with the approver or admin role decide mutating calls/);
    expect(own).toMatch(/"verb":"approve"/);
    expect(await statusOf(conversationId, 'call_scale')).toBe('awaiting');
    expect(team.engine.mcp.replicas.get('web')).toBe(2);
    expect(card.updates).toHaveLength(0);

    // Issue 74 item 2: Teams does not prove who clicked, so ann's click cannot be the approver mia's call needs
    const approveInSkyflo = 'Teams does not prove who clicked, so an approval there counts only for the person who asked for the call; tool call call_scale was asked for by someone else, so approve it in the Command Center (denying in Teams still works).';
    const byAnn = answerCard((await click('29:ann')).body);
    expect(byAnn).toContain(`Skyflo did not record your decision: ${approveInSkyflo}`);
    expect(byAnn).toContain('"title":"Open in Skyflo"');
    expect(await statusOf(conversationId, 'call_scale')).toBe('awaiting');
    expect(team.engine.mcp.replicas.get('web')).toBe(2);

    // denying runs nothing, so Teams' word for who clicked is enough: ann denies through the gate
    const denied = await click('29:ann', { verb: 'deny' });
    expect(denied.status).toBe(200);
    expect(answerCard(denied.body)).toContain('Denied by ann@example.com');
    await vi.waitFor(async () => expect(await statusOf(conversationId, 'call_scale')).toBe('denied'));
    expect(team.engine.mcp.replicas.get('web')).toBe(2);
    // the same activity again (same id, same token) is a replay
    const replay = await teams.resend(denied.sent, messagesUrl);
    expect(replay.status).toBe(401);
    expect(replay.body).toContain('already received');
    // the card everyone sees now says who decided, without actions
    const updated = cardOf(card.activity);
    expect(card.updates).toHaveLength(1);
    expect(updated).toContain('Denied by ann@example.com');
    expect(updated).not.toContain('Action.Execute');
    // a stale card: another approver clicks the decided call's card as it was first shown
    const stale = answerCard((await click('29:cat', { stale: true, verb: 'deny' })).body);
    expect(stale).toContain('Skyflo did not record your decision: Tool call call_scale was already denied; nothing was executed again.');
    expect(card.updates).toHaveLength(1);

    await vi.waitFor(async () => {
      const timeline = (await team.call(mia, 'GET', `/conversations/${conversationId}`)).json().messages as Array<{ segments?: Array<{ kind: string; toolExecution?: { status: string; decided_by_email?: string } }> }>;
      const tool = timeline.flatMap((entry) => entry.segments ?? []).find((segment) => segment.kind === 'tool' && segment.toolExecution)?.toolExecution;
      expect(tool).toMatchObject({ decided_by_email: 'ann@example.com' });
    });
    const decision = (await team.lite.query<{ action: string; actor_id: string | null }>("SELECT action, actor_id FROM audit_events WHERE action = 'approval.denied' ORDER BY sequence")).rows;
    const annId = (await team.lite.query<{ id: string }>("SELECT id FROM users WHERE email = 'ann@example.com'")).rows[0]!.id;
    expect(decision.at(-1)?.actor_id).toBe(annId);

    const audit = (await team.lite.query<{ action: string; details: Record<string, unknown> }>("SELECT action, details FROM audit_events WHERE action LIKE 'teams.%' OR action LIKE 'approval.%' ORDER BY sequence")).rows;
    expect(audit.map((row) => row.action)).toEqual([
      'teams.posted',
      ...Array(5).fill('teams.request_rejected'),
      ...Array(5).fill('teams.click_refused'),
      'approval.denied',
      'teams.click_accepted',
      'teams.request_rejected',
      'teams.click_refused',
    ]);
    expect(audit[10]!.details).toMatchObject({ code: 'APPROVE_IN_COMMAND_CENTER', teams_user: 'aad-ann', reason: approveInSkyflo });
    expect(JSON.stringify((await team.lite.query("SELECT details FROM audit_events WHERE action LIKE 'teams.%'")).rows)).not.toContain(APP_PASSWORD);
  });

  it('the requester approves her own call from Teams when nobody else is needed: it runs', async () => {
    team.engine.mcp.replicas.set('web', 2);
    const conversationId = await chat(ann, 'grow web to 6');
    const card = await cardFor('call_grow');
    const approved = await teams.click({ url: messagesUrl, card, verb: 'approve', userId: '29:ann' });
    expect(approved.status).toBe(200);
    expect(answerCard(approved.body)).toContain('Approved by ann@example.com');
    await vi.waitFor(() => expect(team.engine.mcp.replicas.get('web')).toBe(6));
    await vi.waitFor(async () => expect(await statusOf(conversationId, 'call_grow')).toBe('executed'));
    await vi.waitFor(() => expect(cardOf(card.activity)).toContain('Approved by ann@example.com'));
  });

  // Issue 74 item 2, as found: one captured Bot Framework token; a new activity whose `from` names another approver.
  it('attack: an activity forged with a captured channel token, naming another approver, does not approve a scale to 0', async () => {
    team.engine.mcp.replicas.set('web', 3);
    const conversationId = await chat(ann, 'take web down to zero');
    const card = await cardFor('call_zero');
    // ann's own click: refused by four-eyes; its channel token is what the attacker captured (the channel reuses one)
    const own = await teams.click({ url: messagesUrl, card, verb: 'approve', userId: '29:ann' });
    expect(answerCard(own.body)).toContain('Four-eyes (APPROVAL_FOUR_EYES): this call is destructive');
    const captured = JSON.parse(own.sent.body) as Record<string, unknown>;
    const forged = { ...captured, id: 'f:forged-by-the-token-holder', from: { id: '29:cat', aadObjectId: 'aad-cat', name: 'cat' } };
    const answer = await teams.resend({ body: JSON.stringify(forged), headers: own.sent.headers }, messagesUrl);
    // the token is the channel's own, so the activity passes the channel check; who it names is not believed
    expect(answer.status).toBe(200);
    const shown = answerCard(answer.body);
    expect(shown).toContain('Skyflo did not record your decision: Teams does not prove who clicked');
    expect(shown).not.toContain('Approved by');
    expect(await statusOf(conversationId, 'call_zero')).toBe('awaiting');
    expect(team.engine.mcp.replicas.get('web')).toBe(3);
    const refusal = (await team.lite.query<{ action: string; details: Record<string, unknown> }>("SELECT action, details FROM audit_events WHERE action LIKE 'teams.%' ORDER BY sequence DESC LIMIT 1")).rows[0];
    expect(refusal).toMatchObject({ action: 'teams.click_refused', details: { teams_user: 'aad-cat', code: 'APPROVE_IN_COMMAND_CENTER', call_id: 'call_zero' } });
    // cat, signed in to the Command Center, approves it there
    const pending = (await team.call(cat, 'GET', '/approvals/pending')).json().data as Array<{ call_id: string; args_hash: string; diff_hash?: string }>;
    const call = pending.find((entry) => entry.call_id === 'call_zero')!;
    await readSse(new Response((await team.call(cat, 'POST', '/agent/approvals/call_zero', { approve: true, conversation_id: conversationId, args_hash: call.args_hash, diff_hash: call.diff_hash })).body));
    await vi.waitFor(() => expect(team.engine.mcp.replicas.get('web')).toBe(0));
    await vi.waitFor(() => expect(cardOf(card.activity)).toContain('Approved by cat@example.com'));
  });

  it('four-eyes: the requester cannot approve her destructive call from Teams (on the card, or by Action.Submit); a Command Center decision updates the card', async () => {
    team.engine.mcp.replicas.set('old-web', 1);
    const conversationId = await chat(ann, 'delete old-web');
    const card = await cardFor('call_delete');
    const own = answerCard((await teams.click({ url: messagesUrl, card, verb: 'approve', userId: '29:ann' })).body);
    expect(own).toContain('Skyflo did not record your decision');
    expect(own).toContain('Four-eyes (APPROVAL_FOUR_EYES): this call is destructive, so someone other than the person who asked for it must approve or deny it.');
    // Action.Submit (clients without Universal Actions): the refusal is a reply under the card
    const submitted = await teams.click({ url: messagesUrl, card, verb: 'approve', userId: '29:ann', submit: true });
    expect(submitted.status).toBe(200);
    await vi.waitFor(() => expect(teams.activities.find((entry) => entry.activity['replyToId'] === card.id)?.activity['text']).toMatch(/^Skyflo did not record the decision of ann: /));
    expect(await statusOf(conversationId, 'call_delete')).toBe('awaiting');
    expect(team.engine.mcp.replicas.has('old-web')).toBe(true);

    // decided elsewhere (the Command Center): the card follows
    const pending = (await team.call(cat, 'GET', '/approvals/pending')).json().data as Array<{ call_id: string; args_hash: string }>;
    const call = pending.find((entry) => entry.call_id === 'call_delete')!;
    await readSse(new Response((await team.call(cat, 'POST', '/agent/approvals/call_delete', { approve: true, conversation_id: conversationId, args_hash: call.args_hash })).body));
    await vi.waitFor(() => expect(team.engine.mcp.replicas.has('old-web')).toBe(false));
    await vi.waitFor(() => expect(cardOf(card.activity)).toContain('Approved by cat@example.com'));
    expect(cardOf(card.activity)).not.toContain('Action.Execute');
  });

  it('a decision made in Slack updates the Teams card too', async () => {
    const secret = 'slack-signing-secret-for-teams-test';
    const connected = await team.call(admin, 'POST', '/integrations', { provider: 'slack', name: 'ops', metadata: { channel: 'C_OPS', api_url: slack.apiUrl }, credentials: { bot_token: 'xoxb-teams-test-1234', signing_secret: secret } });
    expect(connected.statusCode).toBe(201);
    slack.addUser('U_CAT', 'cat@example.com');
    await chat(mia, 'shrink web');
    const card = await cardFor('call_shrink');
    let message: SlackSimMessage | undefined;
    await vi.waitFor(() => {
      message = [...slack.messages.values()].find((entry) => JSON.stringify(entry.blocks).includes('call_shrink'))!;
      expect(message).toBeDefined();
    });
    const before = team.engine.mcp.replicas.get('web');
    const denied = await slack.click({ url: `${team.baseUrl}/api/v1/integrations/slack/interactions`, signingSecret: secret, userId: 'U_CAT', message: message!, actionId: 'deny' });
    expect(JSON.parse(denied.body)).toEqual({ detail: 'decided' });
    await vi.waitFor(() => expect(cardOf(card.activity)).toContain('Denied by cat@example.com'));
    expect(cardOf(card.activity)).not.toContain('Action.Execute');
    expect(card.updates).toHaveLength(1);
    expect(team.engine.mcp.replicas.get('web')).toBe(before);
  });

  // Issue 74 item 10: Microsoft's connector down was answered "The database is unavailable" (503).
  it("a Teams connector outage is said on the card as Teams', not as the database's", async () => {
    // a card as first posted (it was decided since: its buttons are still on the screens that did not refresh)
    const card = teams.activities.find((entry) => cardOf(entry.posted).includes('"call_id":"call_shrink"'))!;
    // the bot's connector (its service URL) at an address nothing listens on
    const dead = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const integration = ((await team.call(admin, 'GET', '/integrations')).json() as Array<{ id: string; provider: string }>).find((entry) => entry.provider === 'teams')!;
    expect((await team.call(admin, 'DELETE', `/integrations/${integration.id}`)).statusCode).toBe(204);
    const connected = await team.call(admin, 'POST', '/integrations', { provider: 'teams', name: 'ops', metadata: { app_id: APP_ID, tenant_id: 'contoso-tenant', conversation_id: CONVERSATION, service_url: `http://127.0.0.1:${dead}/`, login_url: teams.loginUrl }, credentials: { app_password: APP_PASSWORD } });
    expect(connected.statusCode, connected.body).toBe(201);
    const clicked = await teams.click({ url: messagesUrl, card, verb: 'deny', userId: '29:cat', stale: true });
    expect(clicked.status).toBe(200);
    const shown = answerCard(clicked.body);
    expect(shown).toContain('Skyflo did not record your decision: Teams could not be asked who clicked (Teams member failed: the Bot Framework could not be reached (ECONNREFUSED))');
    expect(shown).not.toMatch(/database/i);
  });
});
