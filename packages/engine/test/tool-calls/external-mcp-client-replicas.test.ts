/**
 * Issue 77 item 2, the handles of `--confirm=skyflo` outlive the process that gave them: the `requestState` of the
 * input_required + retry path and the task id of the tasks path are sealed, self-contained handles (the engine's
 * call, the caller, the tool and arguments' hash, an expiry) with a key every replica derives alike from the same
 * configuration. So a task created on one MCP server is polled to completion on another (a replica), and the retry
 * of a call whose server was restarted in between still gets the engine's result.
 * The attacker's spellings: a tampered task id or state, another principal's, one sealed by a server with another
 * key (MCP_STATE_KEY), and a state sent with other arguments: refused as an unknown id would be, and nothing runs.
 *
 * Real pieces as in external-mcp-client-approval.test.ts (kube-sim read back with the real kubectl, the engine on
 * PGlite, llm-sim never asked), and `skyflo mcp --confirm=skyflo` started as processes of their own (main.ts, from
 * the environment a pod gets: SKYFLO_ENGINE_URL, SKYFLO_ENGINE_TOKEN, MCP_CLIENT_TOKEN, MCP_OAUTH_ISSUER).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientToken, startExternalClientStack, type ExternalClientStack } from './external-client-stack.ts';
import { callOf, rpc, startMcpServerProcess, taskCapable, textOf, urlCapable, type McpServerProcess, type RpcAnswer } from './mcp-wire.ts';

let stack: ExternalClientStack;
const started: McpServerProcess[] = [];

/** A replica of the IDE's MCP server: the same configuration (so the same key), its own process. */
async function replica(extraEnv: Record<string, string> = {}): Promise<McpServerProcess> {
  const server = await startMcpServerProcess({
    SKYFLO_ENGINE_URL: stack.baseUrl,
    SKYFLO_ENGINE_TOKEN: stack.proposerToken,
    MCP_CLIENT_TOKEN: clientToken,
    // replicas behind one address: the access tokens name that address as their audience
    MCP_OAUTH_ISSUER: stack.oauthIssuer,
    MCP_OAUTH_AUDIENCE: stack.ideMcp.url,
    MCP_OAUTH_REQUIRED_SCOPES: 'mcp:tools',
    KUBECONFIG: stack.kubeconfig,
    ...extraEnv,
  });
  started.push(server);
  return server;
}

const scaleArgs = (replicas: number) => ({ name: 'web', resource_type: 'deployment', replicas, namespace: 'default' });
const scale = (url: string, bearer: string, replicas: number, capabilities: Record<string, unknown> = taskCapable, extra: Record<string, unknown> = {}) => rpc(url, bearer, 'tools/call', { name: 'k8s_scale', arguments: scaleArgs(replicas), ...extra }, capabilities);

/** A task for k8s_scale on the server at `url`, and the engine's call it waits for. */
async function startTask(url: string, bearer: string, replicas: number): Promise<{ taskId: string; callId: string; conversationId: string }> {
  const created = await scale(url, bearer, replicas);
  expect(created.result, JSON.stringify(created.error)).toMatchObject({ resultType: 'task', status: 'input_required' });
  const taskId = created.result!['taskId'] as string;
  const waiting = await rpc(url, bearer, 'tasks/get', { taskId });
  expect(waiting.result).toMatchObject({ status: 'input_required', inputRequests: { approve: { params: { mode: 'url' } } } });
  return { taskId, ...callOf(waiting.result!['inputRequests'].approve.params.url as string) };
}

/** The call proposed on the input_required path: its state, and the engine's call behind the page. */
async function startRetryPath(url: string, bearer: string, replicas: number): Promise<{ requestState: string; callId: string; conversationId: string }> {
  const asked = await scale(url, bearer, replicas, urlCapable);
  expect(asked.result, JSON.stringify(asked.error)).toMatchObject({ resultType: 'input_required', requestState: expect.any(String), inputRequests: { approve: { params: { mode: 'url' } } } });
  return { requestState: asked.result!['requestState'] as string, ...callOf(asked.result!['inputRequests'].approve.params.url as string) };
}

/** The retry a client sends: the same arguments, the state, and its answer to the page. */
const retry = (url: string, bearer: string, replicas: number, requestState: string) => scale(url, bearer, replicas, urlCapable, { requestState, inputResponses: { approve: { action: 'accept' } } });

/** Flips one character of a handle's payload (before the MAC): what a client that edits its handle sends. */
function tampered(handle: string): string {
  const at = Math.floor(handle.lastIndexOf('.') / 2);
  return `${handle.slice(0, at)}${handle[at] === 'A' ? 'B' : 'A'}${handle.slice(at + 1)}`;
}

/** The refusal of an id nobody issued, with the id itself taken out (what the caller learns of the id). */
const refusalOf = (answer: RpcAnswer, id: string) => ({ result: answer.result, code: answer.error?.code, message: answer.error?.message.replace(id, 'ID') });

beforeAll(async () => {
  stack = await startExternalClientStack({ engineEnv: { ALLOW_REGISTRATION: 'true' }, engineApprovals: { taskPollMs: 100 } });
}, 120_000);

afterAll(async () => {
  for (const server of started.splice(0)) await server.stop().catch(() => undefined);
  await stack?.close();
});

describe("--confirm=skyflo's handles outlive the MCP server process that gave them", () => {
  it('a task created on one MCP server is polled to completion on a replica (another process) once the person approves', async () => {
    const before = await stack.replicas();
    const second = await replica();
    const { taskId, callId } = await startTask(stack.ideMcp.url, clientToken, before + 2);
    await rpc(stack.ideMcp.url, clientToken, 'tasks/update', { taskId, inputResponses: { approve: { action: 'accept' } } });
    // the replica knows the task from its id alone: it waits for a person (and does not ask for the page again)
    const waiting = (await rpc(second.url, clientToken, 'tasks/get', { taskId })).result;
    expect(waiting).toMatchObject({ taskId, status: 'working' });
    expect(waiting?.['statusMessage']).toContain(callId);
    await stack.decide(callId, true);
    let done: Record<string, any> | undefined;
    await expect.poll(async () => (done = (await rpc(second.url, clientToken, 'tasks/get', { taskId })).result)?.['status'], { timeout: 60_000, interval: 100 }).toBe('completed');
    expect(done?.['result']?.isError, textOf(done?.['result'])).toBeFalsy();
    expect(textOf(done?.['result'])).toMatch(/scaled|replicas/i);
    expect(await stack.replicas()).toBe(before + 2);
    expect(stack.sim.calls).toEqual([]);
  });

  it('restarted: the retry with the state the first process gave gets the result from the next one; a task too', async () => {
    const before = await stack.replicas();
    const first = await replica();
    const { requestState, callId } = await startRetryPath(first.url, clientToken, before + 3);
    const task = await startTask(first.url, clientToken, before + 4);
    // a rolling restart: the first process ends; the person approves while no MCP server runs at all
    await first.stop();
    await stack.decide(callId, true);
    const next = await replica();
    const answered = await retry(next.url, clientToken, before + 3, requestState);
    expect(answered.error).toBeUndefined();
    expect(answered.result?.['isError'], textOf(answered.result)).toBeFalsy();
    expect(textOf(answered.result)).toMatch(/scaled|replicas/i);
    expect(await stack.replicas()).toBe(before + 3);
    // the task survived the restart as well: denied in Skyflo, it ends so on the next process
    await stack.decide(task.callId, false);
    await expect.poll(async () => (await rpc(next.url, clientToken, 'tasks/get', { taskId: task.taskId })).result?.['statusMessage'], { timeout: 60_000, interval: 100 }).toBe('Denied by ops@example.com: not during the sale.');
    expect(await stack.replicas()).toBe(before + 3);
  });

  it("attacked: a tampered task id or state, another principal's, or one sealed with another key is refused as unknown on every replica, and gets nothing", async () => {
    const before = await stack.replicas();
    const second = await replica();
    const otherKey = await replica({ MCP_STATE_KEY: 'a-different-deployment-s-state-key-0123456789' });
    const unknown = await rpc(second.url, clientToken, 'tasks/get', { taskId: 'no-such-task' });
    expect(unknown.error?.code).toBe(-32602);
    const asUnknown = refusalOf(unknown, 'no-such-task');

    // the OAuth client "desktop" owns a task and a pending retry; the client token's holder learned both
    const desktop = await stack.oauthToken();
    const task = await startTask(stack.ideMcp.url, desktop, before + 5);
    const pending = await startRetryPath(stack.ideMcp.url, desktop, before + 6);
    for (const [server, bearer, taskId, why] of [
      [second, clientToken, task.taskId, "another principal's"],
      [second, desktop, tampered(task.taskId), 'tampered'],
      [otherKey, desktop, task.taskId, 'sealed with another key'],
    ] as const) {
      for (const [method, params] of [['tasks/get', { taskId }], ['tasks/update', { taskId, inputResponses: { approve: { action: 'decline' } } }], ['tasks/cancel', { taskId }]] as const) {
        expect(refusalOf(await rpc(server.url, bearer, method, params), taskId), `${why} ${method}`).toEqual(asUnknown);
      }
    }
    // the owner's own handle works on the replica: the task is untouched, its call still waits
    expect((await rpc(second.url, desktop, 'tasks/get', { taskId: task.taskId })).result).toMatchObject({ status: 'working' });
    expect((await stack.awaitingCalls()).map((call) => call.call_id)).toEqual(expect.arrayContaining([task.callId, pending.callId]));

    // the states: the person approved the call (the engine ran it), yet none of these retries gets its result
    await stack.decide(pending.callId, true);
    expect(await stack.replicas()).toBe(before + 6);
    for (const [server, bearer, state, why] of [
      [second, clientToken, pending.requestState, "another principal's state"],
      [second, desktop, tampered(pending.requestState), 'a tampered state'],
      [otherKey, desktop, pending.requestState, 'a state sealed with another key'],
      [second, desktop, task.taskId, 'a task id as a state'],
    ] as const) {
      const answer = await retry(server.url, bearer, before + 6, state);
      expect(answer.result, why).toBeUndefined();
      expect(answer.error?.code, why).toBe(-32602);
    }
    // sent with other arguments (by its own caller, to a replica): refused, and nothing runs
    const otherArguments = await retry(second.url, desktop, 42, pending.requestState);
    expect(otherArguments.result?.['isError']).toBe(true);
    expect(textOf(otherArguments.result)).toMatch(/given for another call \(other arguments\); nothing was run/);
    // its owner, on any replica, gets the engine's result; nothing else ran, nothing new was proposed
    const owner = await retry(second.url, desktop, before + 6, pending.requestState);
    expect(owner.result?.['isError'], textOf(owner.result)).toBeFalsy();
    expect(textOf(owner.result)).toMatch(/scaled|replicas/i);
    expect(await stack.replicas()).toBe(before + 6);
    expect((await stack.awaitingCalls()).map((call) => call.call_id)).toEqual([task.callId]);
    await stack.decide(task.callId, false);
  });
});
