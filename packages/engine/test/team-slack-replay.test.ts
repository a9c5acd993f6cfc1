/**
 * Slack replay protection holds across engine processes (issue 24): two engines on one database (as replicas behind
 * a load balancer). An approver's signed click accepted by the first is refused by the second when replayed to it —
 * 401 "already received", recorded as a rejected request, nothing decided twice — because the accepted signature is
 * remembered in the database, not in one process's memory.
 */
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { startSlackSim, type SlackSim } from '@skyflo/testkit/slack-sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readSse } from '../src/testing/read-sse.ts';
import { simModel, startTestEngine, type TestEngine } from './auth-test-engine.ts';
import { startTeamEngine, type TeamEngine } from './team-test-support.ts';

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
  sim.reset({
    rules: [
      { match: { toolName: 'load_toolset', userContains: 'scale' }, reply: { toolCalls: [{ id: 'call_scale', name: 'k8s_scale', arguments: { name: 'web', replicas: 5 } }] } },
      { match: { toolName: 'k8s_scale' }, reply: 'Scaled web to 5.' },
      { match: { always: true }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
    ],
  });
});

afterAll(async () => {
  await second?.close();
  await first?.close();
  await slack?.close();
  await sim?.close();
});

describe('Slack replay protection across engines', () => {
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
});
