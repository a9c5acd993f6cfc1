/**
 * Issue 19, item 10: a lone UTF-16 surrogate ("\ud800") in a chat message hung the stream after `ready` (PGlite and
 * Postgres refuse it: "invalid input syntax for type json"), heartbeating forever. Now:
 *  - the boundary refuses a lone surrogate anywhere in a JSON body (keys and values) with a 400, like NUL;
 *  - as a rule, a storage error during a run (the user's entry, a timeline write mid-run, the approval row) ends that
 *    run with `workflow.error` + `completed(error)`, and the message never carries the query's parameters.
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { PGlite } from '@electric-sql/pglite';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMemoryEventBus } from '../../src/adapters/bus/memory-event-bus.ts';
import { agentConfig } from '../../src/platform/config/agent.ts';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import type { ToolGateway } from '../../src/platform/ports/tool-gateway.ts';
import type { AgentStorage } from '../../src/app/graph/checkpoints.ts';
import { startAgentTestApp, type AgentTestApp } from '../../src/testing/agent-test-app.ts';
import { startFakeMcpServer, type FakeMcpServer } from '../../src/testing/fake-mcp-server.ts';
import { createInMemoryStorage } from '../../src/testing/in-memory-storage.ts';
import { readSse, type SseFrame } from '../../src/testing/read-sse.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';

describe('a lone UTF-16 surrogate in a request', () => {
  let lite: PGlite;
  let engine: TestEngine;
  let token: string;
  beforeAll(async () => {
    ({ lite } = await createTestPglite());
    engine = await startTestEngine({ lite });
    token = await engine.signUp('admin@example.com');
  });
  afterAll(async () => {
    await engine?.close();
    await lite?.close();
  });

  it('is refused with a 400 naming the field, in a value or a key; nothing is stored and the stream never starts', async () => {
    // the JSON text exactly as an attacker sends it: `\ud800` is valid JSON escaping, but half of a character
    const body = '{"messages":[{"role":"user","content":"list pods \\ud800 now"}]}';
    const chat = await engine.request({ method: 'POST', url: '/api/v1/agent/chat', token, payload: body, headers: { 'content-type': 'application/json' } });
    expect(chat.statusCode).toBe(400);
    expect(chat.headers['content-type']).toMatch(/application\/json/);
    expect(chat.json().detail).toBe('body.messages[0].content contains a lone UTF-16 surrogate (half of a character) (U+D800) at position 10; remove it and send the request again.');

    const lowHalf = await engine.request({ method: 'POST', url: '/api/v1/conversations', token, payload: '{"title":"end \\udc00"}', headers: { 'content-type': 'application/json' } });
    expect(lowHalf.statusCode).toBe(400);
    expect(lowHalf.json().detail).toMatch(/^body\.title contains a lone UTF-16 surrogate \(half of a character\) \(U\+DC00\)/);

    const inKey = await engine.request({ method: 'POST', url: '/api/v1/conversations', token, payload: '{"k\\ud83d":1}', headers: { 'content-type': 'application/json' } });
    expect(inKey.statusCode).toBe(400);
    expect(inKey.json().detail).toMatch(/body\.\(key "k\?"\) contains a lone UTF-16 surrogate/);

    expect((await engine.request({ method: 'GET', url: '/api/v1/conversations', token })).json().data).toEqual([]);

    // a whole pair (an emoji) is ordinary text
    const conversation = (await engine.request({ method: 'POST', url: '/api/v1/conversations', token, payload: {} })).json().id as string;
    const emoji = await engine.request({ method: 'PATCH', url: `/api/v1/conversations/${conversation}`, token, payload: '{"title":"deploy \\ud83d\\ude80"}', headers: { 'content-type': 'application/json' } });
    expect(emoji.statusCode, emoji.body).toBe(200);
    expect(emoji.json().title).toBe('deploy 🚀');
  });
});

/** What the database says when it refuses a value: Drizzle's wrapper (whose message holds the parameters) around the driver's error. */
const refused = (params: unknown[]) => new DrizzleQueryError('update "conversations" set "timeline" = $1', params, new Error('invalid input syntax for type json'));

/** The in-memory storage with one method made to fail whenever `when(callNumber)` says so. */
function failing<T extends object>(target: T, method: keyof T & string, when: (call: number, args: unknown[]) => boolean): T {
  let calls = 0;
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver) as unknown;
      if (property !== method || typeof value !== 'function') return typeof value === 'function' ? value.bind(object) : value;
      return async (...args: unknown[]) => {
        calls += 1;
        if (when(calls, args)) throw refused(['private chat text hunter2']);
        return (value as (...a: unknown[]) => unknown).apply(object, args);
      };
    },
  });
}

describe('a storage error during a run', () => {
  let sim: LlmSim;
  let mcp: FakeMcpServer;
  let tools: ToolGateway;
  let harness: AgentTestApp | undefined;

  beforeAll(async () => {
    sim = await startLlmSim({ port: 0 });
    mcp = await startFakeMcpServer();
    tools = createToolGateway({ client: mcp.client, cacheMs: 60_000 });
  });
  afterAll(async () => {
    await harness?.close();
    await tools?.close();
    await mcp?.close();
    await sim?.close();
  });

  async function start(storage: AgentStorage): Promise<AgentTestApp> {
    await harness?.close();
    const provider = createOpenAICompatible({ baseURL: sim.url, name: 'sim', includeUsage: true });
    harness = await startAgentTestApp({
      storage,
      bus: createMemoryEventBus(),
      tools,
      llm: { model: provider.chatModel('sim-model'), modelName: 'sim/sim-model' },
      // heartbeats every 100 ms: a stream that hangs shows them and never ends
      config: agentConfig({ titleGeneration: false, retryBaseDelayMs: 1, heartbeatMs: 100 }),
    });
    return harness;
  }

  async function chat(app: AgentTestApp, content: string): Promise<SseFrame[]> {
    const response = await fetch(`${app.url}/agent/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-test-user': 'alice' },
      body: JSON.stringify({ messages: [{ role: 'user', content }] }),
      // a hung stream fails the test instead of blocking it
      signal: AbortSignal.timeout(20_000),
    });
    expect(response.status).toBe(200);
    return readSse(response);
  }

  const ending = (frames: SseFrame[]) => frames.filter((frame) => frame.event !== 'heartbeat').slice(-2);
  const expectEndedByStorage = (frames: SseFrame[]) => {
    const [error, completed] = ending(frames);
    expect(error?.event).toBe('workflow.error');
    expect(error?.data).toMatchObject({ code: 'STORAGE_UNAVAILABLE', error: expect.stringContaining('the database said: invalid input syntax for type json') });
    expect(completed?.event).toBe('completed');
    expect(completed?.data).toMatchObject({ status: 'error' });
    expect(JSON.stringify(frames)).not.toContain('hunter2');
  };

  it('ends the run when the user entry cannot be saved (what a lone surrogate did), instead of heartbeats forever', async () => {
    sim.reset({ rules: [{ match: { sequence: 1 }, reply: 'never asked' }] });
    const memory = createInMemoryStorage();
    const app = await start({ ...memory, conversations: failing(memory.conversations, 'updateTimeline', (call) => call === 1) });
    const frames = await chat(app, 'list pods');
    expect(frames[0]!.event).toBe('ready');
    expectEndedByStorage(frames);
    expect(sim.calls).toHaveLength(0);
  });

  it('ends the run when a timeline write fails mid-run, after the answer started', async () => {
    sim.reset({
      rules: [
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_get', name: 'k8s_get', arguments: { resource_type: 'deployments' } }] } },
        { match: { toolName: 'k8s_get' }, reply: 'web runs 2/2 replicas.' },
      ],
    });
    const memory = createInMemoryStorage();
    // the user entry is write 1; the first batch of run events is write 2
    const app = await start({ ...memory, conversations: failing(memory.conversations, 'updateTimeline', (call) => call === 2) });
    const frames = await chat(app, 'how many replicas does web have?');
    expect(frames.map((frame) => frame.event)).toContain('generation.start');
    expectEndedByStorage(frames);
  });

  it('ends the run when the approval row cannot be written', async () => {
    sim.reset({
      rules: [
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_scale', name: 'k8s_scale', arguments: { name: 'web', replicas: 5 } }] } },
      ],
    });
    const memory = createInMemoryStorage();
    const app = await start({ ...memory, approvals: failing(memory.approvals, 'request', () => true) });
    const frames = await chat(app, 'scale web to 5');
    expect(frames.map((frame) => frame.event)).toContain('toolset.loaded');
    expect(frames.map((frame) => frame.event)).not.toContain('tool.awaiting_approval');
    expectEndedByStorage(frames);
    expect(mcp.calls.filter((call) => call.name === 'k8s_scale')).toEqual([]);
  });

  it('a decision whose timeline writes the database refused (a full disk): once it takes writes again, the card shows what the approval row recorded', async () => {
    sim.reset({
      rules: [
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_scale', name: 'k8s_scale', arguments: { name: 'web', replicas: 5 } }] } },
        { match: { toolName: 'k8s_scale' }, reply: 'Scaled web to 5.' },
      ],
    });
    const memory = createInMemoryStorage();
    let diskFull = false;
    const refusing = () => diskFull;
    const conversations = failing(failing(memory.conversations, 'updateTimeline', refusing), 'updateTimelineAndFinishRun', refusing);
    await harness?.close();
    const provider = createOpenAICompatible({ baseURL: sim.url, name: 'sim', includeUsage: true });
    // a short lease: the reconciler ends the run whose claim was left to lapse within a second or two
    harness = await startAgentTestApp({ storage: { ...memory, conversations }, bus: createMemoryEventBus(), tools, llm: { model: provider.chatModel('sim-model'), modelName: 'sim/sim-model' }, config: agentConfig({ titleGeneration: false, retryBaseDelayMs: 1, heartbeatMs: 100, runLeaseMs: 1_000 }) });
    const asked = await chat(harness, 'scale web to 5');
    const awaiting = asked.find((frame) => frame.event === 'tool.awaiting_approval')!.data as { conversation_id: string; args_hash: string };
    const conversationId = awaiting.conversation_id;
    diskFull = true;
    const response = await fetch(`${harness.url}/agent/approvals/call_scale`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-user': 'alice' }, body: JSON.stringify({ approve: true, conversation_id: conversationId, args_hash: awaiting.args_hash }), signal: AbortSignal.timeout(20_000) });
    const decided = await readSse(response);
    // the change ran and its row says so; the run could not write its timeline and ended saying the database failed
    expect(decided.map((frame) => frame.event)).toContain('tool.result');
    expect(ending(decided)[0]).toMatchObject({ event: 'workflow.error', data: { code: 'STORAGE_UNAVAILABLE' } });
    expect(mcp.calls.filter((call) => call.name === 'k8s_scale')).toHaveLength(1);
    expect((await memory.approvals.listForConversation(conversationId)).find((row) => row.callId === 'call_scale')?.status).toBe('executed');
    const card = async () => (await memory.conversations.get(conversationId))?.timeline.flatMap((entry) => (entry.type === 'assistant' ? entry.segments : [])).find((segment) => segment.kind === 'tool' && segment.id === 'call_scale');
    expect(await card()).toMatchObject({ toolExecution: { status: 'awaiting_approval' } });
    // the disk is freed: the card shows what ran, not an approval that waits for ever
    diskFull = false;
    await vi.waitFor(async () => expect(await card()).toMatchObject({ toolExecution: { status: 'completed' } }), { timeout: 30_000, interval: 100 });
  });
});
