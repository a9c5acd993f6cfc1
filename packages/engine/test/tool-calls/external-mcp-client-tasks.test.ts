/**
 * Issue 77 item 2, the long wait as a task: an MCP client on 2026-07-28 that declares the tasks extension
 * (`io.modelcontextprotocol/tasks`) calls k8s_scale on `skyflo mcp --confirm=skyflo` and gets a task handle at once
 * instead of retrying; `tasks/get` says it waits for a person (input_required with the approval page, then working)
 * until the person decides in Skyflo: completed with the engine's result, or completed with an error result naming
 * who denied it. `tasks/cancel` before a decision closes the call in the engine (out of the queue, never run).
 * The attacker's spelling: another principal's `tasks/get`, `tasks/update` and `tasks/cancel` of a task id it holds
 * are answered as for an unknown id, and the engine's cancel route refuses another person the same way.
 *
 * The client speaks the wire itself (JSON-RPC over Streamable HTTP with the 2026-07-28 envelope): the SDK v2 client
 * (2.4.0) has no runtime for the extension and refuses a `resultType: "task"` result. Real pieces as in
 * external-mcp-client-approval.test.ts: kube-sim read back with the real kubectl, the real MCP server over HTTP
 * twice, the engine on PGlite, llm-sim (never asked).
 */
import type { McpHttpServer } from '@skyflo/mcp-server';
import type { LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TestEngine } from '../support/test-engine.ts';
import { clientToken, ORIGIN, startExternalClientStack, type ExternalClientStack } from './external-client-stack.ts';
import { callOf, rpc as wireRpc, TASKS, textOf } from './mcp-wire.ts';

let stack: ExternalClientStack;
let engine: TestEngine;
let sim: LlmSim;
let ideMcp: McpHttpServer;
let baseUrl: string;
let session: string;
let proposerToken: string;

const replicas = () => stack.replicas();
const api: ExternalClientStack['api'] = (token, method, pathname, body) => stack.api(token, method, pathname, body);
const decide = (callId: string, approve: boolean) => stack.decide(callId, approve);
const awaitingCalls = () => stack.awaitingCalls();
const oauthToken = () => stack.oauthToken();

/** One 2026-07-28 request to the IDE's MCP server, as a task-capable client sends it (mcp-wire.ts). */
const rpc = (bearer: string, method: string, params: Record<string, unknown>, capabilities?: Record<string, unknown>) => wireRpc(ideMcp.url, bearer, method, params, capabilities);

const scale = (bearer: string, replicasWanted: number) => rpc(bearer, 'tools/call', { name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: replicasWanted, namespace: 'default' } });
const taskGet = (bearer: string, taskId: string) => rpc(bearer, 'tasks/get', { taskId });
/** A new task for k8s_scale, and the engine's call it waits for (from the page the task hands the client). */
async function startTask(bearer: string, replicasWanted: number): Promise<{ taskId: string; page: string; callId: string; conversationId: string }> {
  const created = await scale(bearer, replicasWanted);
  expect(created.error).toBeUndefined();
  expect(created.result).toMatchObject({ resultType: 'task', status: 'input_required', ttlMs: expect.any(Number), pollIntervalMs: expect.any(Number) });
  const taskId = created.result!['taskId'] as string;
  const waiting = await taskGet(bearer, taskId);
  expect(waiting.result).toMatchObject({ resultType: 'complete', taskId, status: 'input_required', inputRequests: { approve: { method: 'elicitation/create', params: { mode: 'url' } } } });
  const page = waiting.result!['inputRequests'].approve.params.url as string;
  return { taskId, page, ...callOf(page) };
}

/** Polls the task (as its client would, at no fixed pace of its own) until it is no longer waiting. */
async function settled(bearer: string, taskId: string): Promise<Record<string, any>> {
  let last: Record<string, any> | undefined;
  await vi.waitFor(async () => {
    last = (await taskGet(bearer, taskId)).result;
    expect(['completed', 'failed', 'cancelled']).toContain(last?.['status']);
  }, { timeout: 60_000, interval: 50 });
  return last!;
}

beforeAll(async () => {
  stack = await startExternalClientStack({ engineEnv: { ALLOW_REGISTRATION: 'true' }, engineApprovals: { taskPollMs: 100 } });
  ({ engine, sim, ideMcp, baseUrl, session, proposerToken } = stack);
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

describe("an external MCP client's change waits for its approval as a task (tasks extension)", () => {
  it('the server declares the extension', async () => {
    const discovered = await rpc(clientToken, 'server/discover', {});
    expect(discovered.result?.['capabilities']?.extensions).toHaveProperty([TASKS]);
  });

  it('gets a task at once; tasks/get shows it waiting for a person; approved in Skyflo → completed with the engine\'s result, and the cluster changed', async () => {
    const before = await replicas();
    const { taskId, page, callId, conversationId } = await startTask(clientToken, before + 3);
    expect(`${new URL(page).origin}${new URL(page).pathname}`).toBe(`${ORIGIN}/approvals`);
    // the engine recorded it through its own gate, awaiting; nothing ran yet
    expect(await (await api(proposerToken, 'GET', `/agent/external-calls/${callId}?conversation_id=${conversationId}`)).json()).toMatchObject({ status: 'awaiting', tool: 'k8s_scale' });
    expect(await replicas()).toBe(before);
    // the client opened the page: the task now works (waits), the page in its status message
    expect((await rpc(clientToken, 'tasks/update', { taskId, inputResponses: { approve: { action: 'accept' } } })).result).toMatchObject({ resultType: 'complete' });
    const working = (await taskGet(clientToken, taskId)).result!;
    expect(working).toMatchObject({ status: 'working', taskId });
    expect(working['statusMessage']).toContain(page);
    expect(working).not.toHaveProperty('result');
    // the person approves on the page
    await decide(callId, true);
    const done = await settled(clientToken, taskId);
    expect(done['status']).toBe('completed');
    expect(done['result']?.isError, textOf(done['result'])).toBeFalsy();
    expect(textOf(done['result'])).toMatch(/scaled|replicas/i);
    expect(await replicas()).toBe(before + 3);
    expect(sim.calls).toEqual([]);
  });

  it('denied in Skyflo → the task ends with an error result naming who denied it and why; nothing changed', async () => {
    const before = await replicas();
    const { taskId, callId } = await startTask(clientToken, before + 4);
    await decide(callId, false);
    const done = await settled(clientToken, taskId);
    // a tool-level refusal: `completed` with an isError result (the extension keeps `failed` for JSON-RPC errors)
    expect(done['status']).toBe('completed');
    expect(done['result']?.isError).toBe(true);
    expect(textOf(done['result'])).toMatch(/ops@example\.com denied k8s_scale in Skyflo: not during the sale; nothing was run/);
    expect(done['statusMessage']).toBe('Denied by ops@example.com: not during the sale.');
    expect(await replicas()).toBe(before);
  });

  it('tasks/cancel before a decision closes the call in the engine: out of the queue, cancelled, never run', async () => {
    const before = await replicas();
    const { taskId, callId, conversationId } = await startTask(clientToken, before + 5);
    expect((await awaitingCalls()).map((call) => call.call_id)).toContain(callId);
    // its card in the team's Slack channel, with Approve and Deny
    let cardTs: string | undefined;
    await vi.waitFor(() => expect((cardTs = [...stack.slack.messages.entries()].find(([, message]) => JSON.stringify(message).includes(callId))?.[0])).toBeDefined(), { timeout: 30_000 });
    expect((await rpc(clientToken, 'tasks/cancel', { taskId })).result).toMatchObject({ resultType: 'complete' });
    expect((await taskGet(clientToken, taskId)).result).toMatchObject({ status: 'cancelled', taskId });
    expect((await awaitingCalls()).map((call) => call.call_id)).not.toContain(callId);
    expect(await (await api(proposerToken, 'GET', `/agent/external-calls/${callId}?conversation_id=${conversationId}`)).json()).toMatchObject({ status: 'cancelled', result: expect.stringMatching(/cancelled by the MCP client that proposed it/) });
    // its card in the conversation says so too, and so does its card in the team's Slack channel (no buttons left)
    const conversation = await (await api(session, 'GET', `/conversations/${conversationId}`)).json();
    expect(JSON.stringify(conversation)).toContain('cancelled by the MCP client that proposed it');
    await vi.waitFor(() => expect(JSON.stringify(stack.slack.messages.get(cardTs!))).toContain('Closed without a decision: cancelled by the MCP client that proposed it (with ops@example.com'), { timeout: 30_000 });
    expect(JSON.stringify(stack.slack.messages.get(cardTs!))).not.toContain('"action_id":"approve"');
    // nobody can approve it any more
    const late = await api(session, 'POST', `/agent/approvals/${callId}`, { approve: false, conversation_id: conversationId });
    expect(late.status).toBe(409);
    expect(await replicas()).toBe(before);
  });

  it('declining the page (tasks/update) cancels the task and its call too', async () => {
    const before = await replicas();
    const { taskId, callId } = await startTask(clientToken, before + 6);
    await rpc(clientToken, 'tasks/update', { taskId, inputResponses: { approve: { action: 'decline' } } });
    expect((await taskGet(clientToken, taskId)).result).toMatchObject({ status: 'cancelled' });
    expect((await awaitingCalls()).map((call) => call.call_id)).not.toContain(callId);
    expect(await replicas()).toBe(before);
  });

  it("attacked: another principal's tasks/get, tasks/update and tasks/cancel of a task id it holds are answered as for an unknown id, and change nothing", async () => {
    const before = await replicas();
    // the OAuth client "desktop" owns the task; the client token's holder learned its id
    const desktop = await oauthToken();
    const { taskId, callId } = await startTask(desktop, before + 7);
    const unknown = await taskGet(clientToken, 'no-such-task');
    expect(unknown.error?.code).toBe(-32602);
    for (const [method, params] of [['tasks/get', { taskId }], ['tasks/update', { taskId, inputResponses: { approve: { action: 'decline' } } }], ['tasks/cancel', { taskId }]] as const) {
      const answer = await rpc(clientToken, method, params);
      expect(answer.result, method).toBeUndefined();
      // the same answer as for an id nobody issued, but for the id itself: nothing of the task is revealed
      expect({ code: answer.error?.code, message: answer.error?.message.replace(taskId, 'ID') }).toEqual({ code: -32602, message: unknown.error!.message.replace('no-such-task', 'ID') });
    }
    // the owner's task is untouched and still waits; its call is still in the queue
    expect((await taskGet(desktop, taskId)).result).toMatchObject({ status: 'input_required' });
    expect((await awaitingCalls()).map((call) => call.call_id)).toContain(callId);
    // a client that did not declare the extension is told which capability tasks/get needs (-32021)
    const undeclared = await rpc(desktop, 'tasks/get', { taskId }, { elicitation: { url: {} } });
    expect(undeclared.error?.code).toBe(-32021);
    await decide(callId, false);
    expect(await replicas()).toBe(before);
  });

  it("attacked: the engine's cancel route refuses another person as for a call that does not exist, and the call still waits", async () => {
    const before = await replicas();
    const { taskId, callId, conversationId } = await startTask(clientToken, before + 8);
    const other = await engine.signUp('someone-else@example.com');
    const refused = await api(other, 'POST', `/agent/external-calls/${callId}/cancel`, { conversation_id: conversationId });
    expect(refused.status).toBe(404);
    const nowhere = await api(other, 'POST', '/agent/external-calls/mcp-nothing/cancel', { conversation_id: conversationId });
    expect(nowhere.status).toBe(404);
    expect((await refused.json()).detail.replace(callId, 'ID')).toBe((await nowhere.json()).detail.replace('mcp-nothing', 'ID'));
    expect((await awaitingCalls()).map((call) => call.call_id)).toContain(callId);
    expect((await taskGet(clientToken, taskId)).result).toMatchObject({ status: 'input_required' });
    await decide(callId, false);
    expect(await replicas()).toBe(before);
  });

  it('a client that does not declare the extension keeps the input_required + retry path', async () => {
    const answer = await rpc(clientToken, 'tools/call', { name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: 1, namespace: 'default' } }, { elicitation: { url: {} } });
    expect(answer.result).toMatchObject({ resultType: 'input_required', requestState: expect.any(String), inputRequests: { approve: { params: { mode: 'url' } } } });
    for (const call of await awaitingCalls()) await decide(call.call_id, false);
  });
});
