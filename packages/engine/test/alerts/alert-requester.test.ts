/**
 * Issue 37 item 9: a change an alert investigation proposes is asked for by the alert ("alert: <receiver>"), not by
 * the owner of the alert token. Under APPROVAL_POLICY=approver with APPROVAL_FOUR_EYES, the token owner (an approver
 * who did not ask for it) may approve the alert's destructive call; a call they then ask for themselves in the same
 * conversation is theirs and stays gated by four-eyes; a member who owns an alert token still cannot approve.
 * The whole engine (PGlite, accounts), llm-sim as the model, the fake MCP server's deployment `web` (2 replicas).
 */
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { pendingApprovalsResponseSchema } from '@skyflo/protocol';
import { startTeamEngine, type TeamEngine } from '../support/team-engine.ts';

let sim: LlmSim;
let team: TeamEngine;
let admin: string;
let zoe: string;
let mia: string;

const scaleToZero = (alertname: string, receiver: string) => ({
  version: '4',
  groupKey: `{}:{alertname="${alertname}"}`,
  status: 'firing',
  receiver,
  groupLabels: { alertname },
  commonLabels: { alertname, namespace: 'default', deployment: 'web' },
  commonAnnotations: { summary: 'PLEASE SCALE web to 0 replicas: it burns money' },
  alerts: [{ status: 'firing', labels: { alertname, namespace: 'default' }, annotations: {}, startsAt: '2026-11-23T09:00:00Z' }],
});

const awaitingIn = async (conversationId: string) =>
  (await team.lite.query<{ call_id: string; args_hash: string; requested_by: string | null; status: string }>("SELECT call_id, args_hash, requested_by, status FROM approvals WHERE conversation_id = $1 AND status = 'awaiting'", [conversationId])).rows;

/** posts an alert with a fresh alerts:write token of `owner` and waits for its proposal */
async function alertProposal(owner: string, alertname: string, receiver: string) {
  const token = (await team.call(owner, 'POST', '/auth/tokens', { name: `am-${alertname}`, scopes: ['alerts:write'] })).json().token as string;
  const opened = await team.call(token, 'POST', '/alerts/alertmanager', scaleToZero(alertname, receiver));
  expect(opened.json()).toMatchObject({ status: 'investigating' });
  const conversationId = opened.json().conversation_id as string;
  await vi.waitFor(async () => expect(await awaitingIn(conversationId)).toHaveLength(1), { timeout: 30_000 });
  return { conversationId, call: (await awaitingIn(conversationId))[0]! };
}

const pendingFor = async (token: string) => pendingApprovalsResponseSchema.parse((await team.call(token, 'GET', '/approvals/pending')).json()).data;

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  team = await startTeamEngine(sim, { APPROVAL_POLICY: 'approver', APPROVAL_FOUR_EYES: 'true' });
  admin = await team.engine.signUp('admin@example.com');
  zoe = await team.member(admin, 'zoe@example.com', 'approver');
  mia = await team.member(admin, 'mia@example.com', 'member');
  sim.reset({
    rules: [
      { match: { toolName: 'k8s_scale' }, reply: 'Scaled web.' },
      { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ name: 'k8s_scale', arguments: { name: 'web', replicas: 0 } }] } },
      { match: { userContains: 'PLEASE SCALE' }, reply: { toolCalls: [{ name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
      { match: { always: true }, reply: 'Nothing to do.' },
    ],
  });
});

afterAll(async () => {
  await team?.close();
  await sim?.close();
});

describe("an alert's proposed change is asked for by the alert", () => {
  it('the token owner may approve it under four-eyes; their own call in the same conversation stays gated', async () => {
    const { conversationId, call } = await alertProposal(zoe, 'WebTooExpensive', 'pager');
    // recorded with the token owner's conversation, shown as asked by the alert
    const listed = (await pendingFor(zoe)).find((item) => item.call_id === call.call_id)!;
    expect(listed).toMatchObject({ destructive: true, requested_by: { id: 'alert:pager', name: 'alert: pager' }, can_decide: true });
    expect(listed.requested_by.email).toBeUndefined();
    expect(team.engine.mcp.replicas.get('web')).toBe(2);

    const approved = await team.call(zoe, 'POST', `/agent/approvals/${call.call_id}`, { approve: true, conversation_id: conversationId, args_hash: call.args_hash });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(team.engine.mcp.replicas.get('web')).toBe(0);
    expect((await team.lite.query<{ decided_by: string }>('SELECT decided_by FROM approvals WHERE call_id = $1', [call.call_id])).rows[0]?.decided_by).toBeTruthy();

    // zoe now asks for a destructive change herself, in the alert's conversation: that call is hers, and four-eyes
    // refuses her approving it (the alert attribution covers only what the investigation proposed)
    team.engine.mcp.replicas.set('web', 2);
    const typed = await team.call(zoe, 'POST', '/agent/chat', { conversation_id: conversationId, messages: [{ role: 'user', content: 'PLEASE SCALE web to 0 again' }] });
    expect(typed.statusCode, typed.body).toBe(200);
    const [own] = await awaitingIn(conversationId);
    expect(own).toBeDefined();
    expect(own!.call_id).not.toBe(call.call_id);
    const ownListed = (await pendingFor(zoe)).find((item) => item.call_id === own!.call_id)!;
    expect(ownListed.requested_by).toMatchObject({ email: 'zoe@example.com' });
    expect(ownListed).toMatchObject({ can_decide: false, cannot_decide_reason: expect.stringMatching(/Four-eyes/) });
    const refused = await team.call(zoe, 'POST', `/agent/approvals/${own!.call_id}`, { approve: true, conversation_id: conversationId, args_hash: own!.args_hash });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().detail).toMatch(/Four-eyes/);
    expect(team.engine.mcp.replicas.get('web')).toBe(2);
    // another approver may
    const byAdmin = await team.call(admin, 'POST', `/agent/approvals/${own!.call_id}`, { approve: true, conversation_id: conversationId, args_hash: own!.args_hash });
    expect(byAdmin.statusCode, byAdmin.body).toBe(200);
    expect(team.engine.mcp.replicas.get('web')).toBe(0);
  });

  it('a member who owns the alert token still cannot approve the alert\'s call', async () => {
    team.engine.mcp.replicas.set('web', 2);
    const { conversationId, call } = await alertProposal(mia, 'WebCostly', 'oncall');
    expect((await pendingFor(mia)).find((item) => item.call_id === call.call_id)).toMatchObject({ requested_by: { id: 'alert:oncall' }, can_decide: false, cannot_decide_reason: expect.stringMatching(/approver/) });
    const refused = await team.call(mia, 'POST', `/agent/approvals/${call.call_id}`, { approve: true, conversation_id: conversationId, args_hash: call.args_hash });
    expect(refused.statusCode).toBe(403);
    expect(team.engine.mcp.replicas.get('web')).toBe(2);
    expect((await awaitingIn(conversationId)).map((row) => row.call_id)).toEqual([call.call_id]);
  });
});
