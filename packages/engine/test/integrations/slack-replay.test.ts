/**
 * Slack across engine processes (issue 24): two engines on one database (as replicas behind a load balancer).
 * - Replay protection: an approver's signed click accepted by the first is refused by the second when replayed to it
 *   — 401 "already received", recorded as a rejected request, nothing decided twice — because the accepted signature
 *   is remembered in the database, not in one process's memory.
 * - The message of a request posted by the first engine is updated when the call is decided on the second (in the
 *   Command Center): which message shows which call is kept in the database too.
 */
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { startSlackSim, type SlackSim } from '@skyflo/testkit/slack-sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readSse } from '../../src/testing/read-sse.ts';
import { simModel, startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { startTeamEngine, type TeamEngine, scaleWebTo5Script } from '../support/team-engine.ts';

const SIGNING_SECRET = 'slack-signing-secret-replay-0123456789';
const BOT_TOKEN = 'xoxb-skyflo-replay-token-4321';

let sim: LlmSim;
let slack: SlackSim;
let first: TeamEngine;
let second: TestEngine;
let secondUrl: string;

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  slack = await startSlackSim({ botToken: BOT_TOKEN });
  first = await startTeamEngine(sim, { APPROVAL_POLICY: 'approver' });
  // the second engine: its own process state, the same database
  second = await startTestEngine({ lite: first.lite, llm: simModel(sim), env: { TITLE_GENERATION_ENABLED: 'false', APPROVAL_POLICY: 'approver' } });
  secondUrl = await second.engine.app.listen({ port: 0, host: '127.0.0.1' });
  sim.reset(scaleWebTo5Script);
});

afterAll(async () => {
  await second?.close();
  await first?.close();
  await slack?.close();
  await sim?.close();
});

describe('Slack across engines', () => {
  it('a click accepted by one engine and replayed to another is refused there', async () => {
    const admin = await first.engine.signUp('admin@example.com');
    const mia = await first.member(admin, 'mia@example.com', 'member');
    await first.member(admin, 'ann@example.com', 'approver');
    slack.addUser('U_ANN', 'ann@example.com');
    const created = await first.call(admin, 'POST', '/integrations', { provider: 'slack', name: 'ops', metadata: { channel: 'C_OPS', api_url: slack.apiUrl }, credentials: { bot_token: BOT_TOKEN, signing_secret: SIGNING_SECRET } });
    expect(created.statusCode, created.body).toBe(201);

    first.engine.mcp.replicas.set('web', 2);
    const chat = await readSse(new Response((await first.call(mia, 'POST', '/agent/chat', { messages: [{ role: 'user', content: 'scale web to 5' }] })).body));
    const conversationId = String(chat.find((frame) => frame.event === 'tool.awaiting_approval')!.data['conversation_id']);
    await vi.waitFor(() => expect(slack.messages.size).toBe(1));
    const message = [...slack.messages.values()][0]!;

    const accepted = await slack.click({ url: `${first.baseUrl}/api/v1/integrations/slack/interactions`, signingSecret: SIGNING_SECRET, userId: 'U_ANN', message, actionId: 'approve' });
    expect(accepted.status).toBe(200);
    expect(JSON.parse(accepted.body)).toEqual({ detail: 'decided' });
    await vi.waitFor(() => expect(first.engine.mcp.replicas.get('web')).toBe(5));

    // the same signed request, within Slack's 5 minutes, to the other engine
    const replayed = await slack.resend(accepted.sent, `${secondUrl}/api/v1/integrations/slack/interactions`);
    expect(replayed.status).toBe(401);
    expect(replayed.body).toContain('already received');
    // no second attempt at a decision reached the gate, and the clicker got no second reply
    expect(slack.ephemeral).toEqual([]);

    const audit = (await first.lite.query<{ action: string; details: Record<string, unknown> }>("SELECT action, details FROM audit_events WHERE action LIKE 'slack.%' OR action LIKE 'approval.%' ORDER BY sequence")).rows;
    expect(audit.map((row) => row.action)).toEqual(['slack.posted', 'approval.approved', 'slack.click_accepted', 'slack.request_rejected']);
    expect(audit.at(-1)!.details['reason']).toBe('this signed request was already received (a replay)');
    const decided = (await first.lite.query<{ status: string }>('SELECT status FROM approvals WHERE conversation_id = $1 AND call_id = $2', [conversationId, 'call_scale'])).rows;
    expect(decided).toHaveLength(1);
  });

  it('a call posted by one engine and decided on the other updates its Slack message', async () => {
    // the first test signed everyone up and connected Slack (ann is an approver, mia a member)
    const mia = (await first.engine.login('mia@example.com', 'mia-pass-4242')).json().access_token as string;
    const ann = (await first.engine.login('ann@example.com', 'ann-pass-4242')).json().access_token as string;
    // both engines' clusters (each its own fake MCP server) show web at 2: the preview ann approves is still true there
    first.engine.mcp.replicas.set('web', 2);
    second.mcp.replicas.set('web', 2);
    const before = new Set(slack.messages.keys());
    const chat = await readSse(new Response((await first.call(mia, 'POST', '/agent/chat', { messages: [{ role: 'user', content: 'scale web to 5 again' }] })).body));
    const awaiting = chat.find((frame) => frame.event === 'tool.awaiting_approval')!;
    const conversationId = String(awaiting.data['conversation_id']);
    await vi.waitFor(() => expect(slack.messages.size).toBe(before.size + 1));
    const posted = [...slack.messages.values()].find((message) => !before.has(message.ts))!;
    expect(JSON.stringify(posted.blocks)).toContain('"action_id":"approve"');

    // ann approves in the Command Center served by the second engine: the resumed run runs there
    const decided = await second.request({ method: 'POST', url: '/api/v1/agent/approvals/call_scale', token: ann, payload: { approve: true, conversation_id: conversationId, args_hash: awaiting.data['args_hash'] } });
    expect(decided.statusCode, decided.body).toBe(200);
    await vi.waitFor(() => expect(second.mcp.replicas.get('web')).toBe(5));

    // the message the first engine posted now says who decided, without buttons (updated once, by the second engine)
    await vi.waitFor(() => expect(JSON.stringify(slack.messages.get(posted.ts)!.blocks)).toContain('Approved by ann@example.com'));
    expect(JSON.stringify(slack.messages.get(posted.ts)!.blocks)).not.toContain('"action_id":"approve"');
    expect(slack.calls.filter((call) => call.method === 'chat.update' && call.body['ts'] === posted.ts)).toHaveLength(1);
  });
});
