/**
 * Issue 81 item 4: the second incident like a resolved one gets the earlier resolution in the model's request, fenced
 * and cited "Seen before"; another member's similar conversation never gets it. The whole engine on PGlite (full text
 * on its tsvectors), llm-sim as the model (its request log is what the model was sent), the fake MCP server.
 */
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTeamEngine, type TeamEngine } from '../support/team-engine.ts';

let sim: LlmSim;
let team: TeamEngine;
let admin: string;
let mia: string;
let leo: string;

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  team = await startTeamEngine(sim);
  admin = await team.engine.signUp('admin@example.com');
  mia = await team.member(admin, 'mia@example.com', 'member');
  leo = await team.member(admin, 'leo@example.com', 'member');
  sim.reset({
    rules: [
      { match: { toolName: 'k8s_scale' }, reply: 'Scaled web to 3 replicas; the OOMKilled checkout pods recovered once the load spread. token=sk-live-abcdefghijklmnop1234' },
      { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ name: 'k8s_scale', arguments: { name: 'web', replicas: 3 } }] } },
      { match: { userContains: 'FIRST' }, reply: { toolCalls: [{ name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
    ],
    fallback: 'Looking into it.',
  });
});

afterAll(async () => {
  await team?.close();
  await sim?.close();
});

async function chat(token: string, content: string): Promise<string> {
  const conversationId = (await team.call(token, 'POST', '/conversations', {})).json().id as string;
  const answered = await team.call(token, 'POST', '/agent/chat', { conversation_id: conversationId, messages: [{ role: 'user', content }] });
  expect(answered.statusCode, answered.body).toBe(200);
  return conversationId;
}

/** the system prompt of the newest model request */
const lastSystemPrompt = () => {
  const body = sim.calls.at(-1)!.body as { messages: Array<{ role: string; content: unknown }> };
  return JSON.stringify(body.messages.filter((message) => message.role === 'system'));
};

describe('seen before', () => {
  it('cites the requester\'s own resolved incident to the model, redacted; never another member\'s', async () => {
    const first = await chat(mia, 'FIRST: checkout pods OOMKilled and crashlooping in namespace shop after the sale started');
    const [awaiting] = (await team.lite.query<{ call_id: string; args_hash: string }>("SELECT call_id, args_hash FROM approvals WHERE conversation_id = $1 AND status = 'awaiting'", [first])).rows;
    const approved = await team.call(mia, 'POST', `/agent/approvals/${awaiting!.call_id}`, { approve: true, conversation_id: first, args_hash: awaiting!.args_hash });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(team.engine.mcp.replicas.get('web')).toBe(3);
    expect(lastSystemPrompt()).not.toContain('<past-incident');

    // Mia's second incident like it: the earlier resolution is in the request, fenced, with how to cite it
    const second = await chat(mia, 'checkout pods are OOMKilled and crashlooping again in shop');
    const prompt = lastSystemPrompt();
    // the answer names what it was given (memory.used): the Command Center's "Seen before" chip, kept in the timeline
    const answer = ((await team.call(mia, 'GET', `/conversations/${second}`)).json().messages as Array<Record<string, unknown>>).find((entry) => entry['type'] === 'assistant');
    expect(answer?.['seen_before']).toEqual([{ conversation_id: first, title: expect.stringContaining('FIRST: checkout pods OOMKilled'), date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), resolved_by: 'Scale a workload (name=web, replicas=3)' }]);
    expect(prompt).toContain('<past-incident');
    expect(prompt).toContain('Seen before: <title>, <date>, resolved by <resolved_by>');
    expect(prompt).toMatch(/resolved_by=\\"[^"\\]*web[^"\\]*\\"/);
    expect(prompt).toContain('OOMKilled checkout pods recovered');
    expect(prompt).not.toContain('sk-live-abcdefghijklmnop1234');

    // Leo asks the same: Mia's incident is not his to see
    await chat(leo, 'checkout pods are OOMKilled and crashlooping again in shop');
    expect(lastSystemPrompt()).not.toContain('<past-incident');
    // nor is an unrelated question of Mia's given it
    const unrelated = await chat(mia, 'how do I rotate the ingress certificate?');
    expect(lastSystemPrompt()).not.toContain('<past-incident');

    // the resolved conversation drafts a runbook; an unresolved one does not; others' are not theirs to draft
    const drafted = await team.call(mia, 'POST', `/conversations/${first}/runbook-draft`);
    expect(drafted.statusCode, drafted.body).toBe(200);
    const draft = drafted.json();
    expect(draft).toMatchObject({ conversation_id: first, change: ['Scale a workload (name=web, replicas=3)'] });
    expect(draft.symptoms[0]).toContain('checkout pods OOMKilled');
    expect(draft.verification.join('\n')).toContain('OOMKilled checkout pods recovered');
    expect(draft.markdown).toContain('## Fix\n\n1. Scale a workload (name=web, replicas=3)');
    expect(draft.markdown).not.toContain('sk-live-abcdefghijklmnop1234');
    expect((await team.call(mia, 'POST', `/conversations/${unrelated}/runbook-draft`)).statusCode).toBe(409);
    expect((await team.call(leo, 'POST', `/conversations/${first}/runbook-draft`)).statusCode).toBe(404);
    expect((await team.call(undefined, 'POST', `/conversations/${first}/runbook-draft`)).statusCode).toBe(401);

    // a draft is used only once a person saves it through the runbook API
    expect((await team.call(admin, 'GET', '/runbooks')).json().data).toEqual([]);
    const saved = await team.call(admin, 'POST', '/runbooks', { name: draft.name, markdown: draft.markdown });
    expect(saved.statusCode, saved.body).toBe(201);
    expect(saved.json()).toMatchObject({ name: draft.name, title: draft.title });
  });
});
