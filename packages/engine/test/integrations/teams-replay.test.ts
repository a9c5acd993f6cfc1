/**
 * Teams across engine processes (issue 39), as Slack's (slack-replay.test.ts): two engines on one database.
 * - An activity accepted by the first is refused by the second when replayed to it (401 "already received", audited,
 *   nothing decided twice): the accepted activity ids are remembered in the database, not in one process's memory.
 * - The card the first engine posted is updated when the call is decided on the second (in the Command Center), once.
 */
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { startTeamsSim, type TeamsSim } from '@skyflo/testkit/teams-sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readSse } from '../../src/testing/read-sse.ts';
import { simModel, startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { startTeamEngine, type TeamEngine, scaleWebTo5Script } from '../support/team-engine.ts';

const APP_ID = '0f7e6d5c-4b3a-4291-8f7e-6d5c4b3a2918';
const APP_PASSWORD = 'teams-replay-app-password-2468';
const CONVERSATION = '19:replay@thread.tacv2';

let llm: LlmSim;
let teams: TeamsSim;
let first: TeamEngine;
let second: TestEngine;
let secondUrl: string;

beforeAll(async () => {
  llm = await startLlmSim({ port: 0 });
  teams = await startTeamsSim({ appId: APP_ID, appPassword: APP_PASSWORD });
  const env = { APPROVAL_POLICY: 'approver', TEAMS_OPENID_METADATA_URL: teams.openIdMetadataUrl };
  first = await startTeamEngine(llm, env);
  second = await startTestEngine({ lite: first.lite, llm: simModel(llm), env: { TITLE_GENERATION_ENABLED: 'false', ...env } });
  secondUrl = await second.engine.app.listen({ port: 0, host: '127.0.0.1' });
  teams.addUser({ id: '29:ann', aadObjectId: 'aad-ann', email: 'ann@example.com', name: 'ann' });
  llm.reset(scaleWebTo5Script);
});

afterAll(async () => {
  await second?.close();
  await first?.close();
  await teams?.close();
  await llm?.close();
});

const cardText = (activity: Record<string, unknown>) => JSON.stringify((activity['attachments'] as Array<{ content: unknown }> | undefined)?.[0]?.content);

describe('Teams across engines', () => {
  it('an activity accepted by one engine and replayed to another is refused there', async () => {
    const admin = await first.engine.signUp('admin@example.com');
    await first.member(admin, 'mia@example.com', 'member');
    // ann asks and approves her own call: a Teams click approves only for its requester (issue 74 item 2)
    const ann = await first.member(admin, 'ann@example.com', 'approver');
    const created = await first.call(admin, 'POST', '/integrations', { provider: 'teams', name: 'ops', metadata: { app_id: APP_ID, tenant_id: 'contoso', conversation_id: CONVERSATION, service_url: teams.serviceUrl, login_url: teams.loginUrl }, credentials: { app_password: APP_PASSWORD } });
    expect(created.statusCode, created.body).toBe(201);

    first.engine.mcp.replicas.set('web', 2);
    const chat = await readSse(new Response((await first.call(ann, 'POST', '/agent/chat', { messages: [{ role: 'user', content: 'scale web to 5' }] })).body));
    const conversationId = String(chat.find((frame) => frame.event === 'tool.awaiting_approval')!.data['conversation_id']);
    await vi.waitFor(() => expect(teams.activities).toHaveLength(1));
    const card = teams.activities[0]!;

    const accepted = await teams.click({ url: `${first.baseUrl}/api/v1/integrations/teams/messages`, card, verb: 'approve', userId: '29:ann' });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toContain('Approved by ann@example.com');
    await vi.waitFor(() => expect(first.engine.mcp.replicas.get('web')).toBe(5));

    const replayed = await teams.resend(accepted.sent, `${secondUrl}/api/v1/integrations/teams/messages`);
    expect(replayed.status).toBe(401);
    expect(replayed.body).toContain('already received');

    const audit = (await first.lite.query<{ action: string; details: Record<string, unknown> }>("SELECT action, details FROM audit_events WHERE action LIKE 'teams.%' OR action LIKE 'approval.%' ORDER BY sequence")).rows;
    expect(audit.map((row) => row.action)).toEqual(['teams.posted', 'approval.approved', 'teams.click_accepted', 'teams.request_rejected']);
    expect(audit.at(-1)!.details['reason']).toBe('this activity was already received (a replay)');
    expect((await first.lite.query('SELECT status FROM approvals WHERE conversation_id = $1 AND call_id = $2', [conversationId, 'call_scale'])).rows).toEqual([{ status: 'executed' }]);
  });

  it('a card posted by one engine and decided on the other is updated once', async () => {
    const mia = (await first.engine.login('mia@example.com', 'mia-pass-4242')).json().access_token as string;
    const ann = (await first.engine.login('ann@example.com', 'ann-pass-4242')).json().access_token as string;
    first.engine.mcp.replicas.set('web', 2);
    second.mcp.replicas.set('web', 2);
    const chat = await readSse(new Response((await first.call(ann, 'POST', '/agent/chat', { messages: [{ role: 'user', content: 'scale web to 5 again' }] })).body));
    const awaiting = chat.find((frame) => frame.event === 'tool.awaiting_approval')!;
    const conversationId = String(awaiting.data['conversation_id']);
    await vi.waitFor(() => expect(teams.activities).toHaveLength(2));
    const card = teams.activities[1]!;
    expect(cardText(card.activity)).toContain('"verb":"approve"');

    const decided = await second.request({ method: 'POST', url: '/api/v1/agent/approvals/call_scale', token: ann, payload: { approve: true, conversation_id: conversationId, args_hash: awaiting.data['args_hash'] } });
    expect(decided.statusCode, decided.body).toBe(200);
    await vi.waitFor(() => expect(second.mcp.replicas.get('web')).toBe(5));
    await vi.waitFor(() => expect(cardText(card.activity)).toContain('Approved by ann@example.com'));
    expect(cardText(card.activity)).not.toContain('Action.Execute');
    expect(card.updates).toHaveLength(1);
    expect(teams.calls.filter((call) => call.method === 'PUT' && call.path.endsWith(`/activities/${card.id}`))).toHaveLength(1);
  });
});
