/**
 * End-to-end through HTTP: a listening Fastify app with the agent routes, llm-sim as the model through the real
 * AI SDK client, and an MCP server (the fake one in src/testing; the real server is exercised in
 * tool-calls/real-mcp-server.test.ts). Asserts event order and payloads, what the MCP server actually executed, the
 * approval audit rows and the persisted timeline.
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { parseAgentEvent } from '@skyflo/protocol';
import { startLlmSim, type LlmScript, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { agentConfig, type AgentConfig } from '../../src/platform/config/agent.ts';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import type { ToolGateway } from '../../src/platform/ports/tool-gateway.ts';
import type { AgentStorage } from '../../src/app/graph/checkpoints.ts';
import { startAgentTestApp, type AgentTestApp } from '../../src/testing/agent-test-app.ts';
import { startFakeMcpServer, type FakeMcpServer } from '../../src/testing/fake-mcp-server.ts';
import { createMemoryEventBus } from '../../src/adapters/bus/memory-event-bus.ts';
import { createInMemoryStorage } from '../../src/testing/in-memory-storage.ts';
import { iterateSse, readSse, type SseFrame } from '../../src/testing/read-sse.ts';

type Rules = NonNullable<LlmScript['rules']>;

let sim: LlmSim;
let mcp: FakeMcpServer;
let tools: ToolGateway;
let storage: AgentStorage;
let harness: AgentTestApp;
/** the engine's bus, so a test can see where in a run's event order a stop landed */
let bus: ReturnType<typeof createMemoryEventBus>;

const alice = 'alice';

async function startApp(overrides: Partial<AgentConfig> = {}, llm: { secrets?: string[] } = {}) {
  await harness?.close();
  storage = createInMemoryStorage();
  // as the engine makes it (create-event-bus.ts): the replay buffer joins a run's token events into its text so far
  bus = createMemoryEventBus({ coalesceText: true });
  const provider = createOpenAICompatible({ baseURL: sim.url, name: 'sim', includeUsage: true });
  harness = await startAgentTestApp({
    storage,
    bus,
    tools,
    llm: { model: provider.chatModel('sim-model'), modelName: 'sim/sim-model', ...llm },
    config: agentConfig({ titleGeneration: false, retryBaseDelayMs: 1, heartbeatMs: 60_000, ...overrides }),
  });
}

/** user '' = anonymous */
function post(path: string, body: unknown, user: string = alice): Promise<Response> {
  return fetch(`${harness.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(user ? { 'x-test-user': user } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The args_hash of each call as its tool.awaiting_approval showed it: what a client echoes to approve. */
const shownArgsHash = new Map<string, string>();

/** Reads the stream and checks every frame against the protocol's zod schemas (what the UI will parse). */
async function readValid(response: Response): Promise<SseFrame[]> {
  const frames = await readSse(response);
  for (const frame of frames) expect(() => parseAgentEvent(frame.event, frame.data), `${frame.event} ${JSON.stringify(frame.data)}`).not.toThrow();
  for (const frame of frames) if (frame.event === 'tool.awaiting_approval') shownArgsHash.set(String(frame.data['call_id']), String(frame.data['args_hash']));
  return frames;
}

async function chat(content: string, conversationId?: string): Promise<SseFrame[]> {
  const response = await post('/agent/chat', { messages: [{ role: 'user', content }], ...(conversationId ? { conversation_id: conversationId } : {}) });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  return readValid(response);
}

async function decide(callId: string, conversationId: string, approve: boolean, reason?: string): Promise<SseFrame[]> {
  const response = await post(`/agent/approvals/${callId}`, { approve, conversation_id: conversationId, args_hash: shownArgsHash.get(callId), ...(reason ? { reason } : {}) });
  expect(response.status).toBe(200);
  return readValid(response);
}

const names = (frames: SseFrame[]) => frames.map((frame) => frame.event).filter((event) => event !== 'token' && event !== 'thinking');
const find = (frames: SseFrame[], event: string) => frames.filter((frame) => frame.event === event);
const conversationOf = (frames: SseFrame[]) => frames[0]!.data['conversation_id'] as string;
const lastToolMessage = () => {
  const messages = sim.calls.at(-1)!.messages;
  return messages.filter((message) => message.role === 'tool').map((message) => String(message.content));
};

function script(rules: Rules, extra: Partial<LlmScript> = {}): LlmScript {
  return { rules, ...extra };
}

/** The model first loads the Kubernetes write tools (not offered by default), then follows `rules`. */
function withWriteTools(rules: Rules): LlmScript {
  return script([
    { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
    ...rules,
  ]);
}

const loadEvents = ['ready', 'generation.start', 'ttft', 'token.usage', 'generation.complete', 'toolset.loaded'];

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  mcp = await startFakeMcpServer();
  tools = createToolGateway({ client: mcp.client, cacheMs: 60_000 });
  await startApp();
});

afterAll(async () => {
  await harness?.close();
  await tools.close();
  await mcp.close();
  await sim.close();
});

beforeEach(() => {
  mcp.replicas.clear();
  mcp.replicas.set('web', 2);
  mcp.replicas.set('api', 1);
  mcp.calls.length = 0;
});

describe('read-only turn', () => {
  it('streams the spec event order, runs the read-only tool without approval and persists the timeline', async () => {
    sim.reset(
      script([
        { match: { sequence: 1 }, reply: { reasoning: 'Look first.', toolCalls: [{ id: 'call_get', name: 'k8s_get', arguments: { resource_type: 'deployments' } }] } },
        { match: { toolName: 'k8s_get' }, reply: 'web runs 2/2 replicas.' },
      ]),
    );
    const frames = await chat('How many replicas does web have?');
    expect(names(frames)).toEqual([
      'ready',
      'generation.start',
      'ttft',
      'token.usage',
      'thinking.complete',
      'generation.complete',
      'tools.pending',
      'tool.executing',
      'tool.result',
      'generation.start',
      'token.usage',
      'generation.complete',
      'completed',
    ]);
    expect(find(frames, 'thinking').map((frame) => frame.data['text']).join('')).toBe('Look first.');
    expect(find(frames, 'token').map((frame) => frame.data['text']).join('')).toBe('web runs 2/2 replicas.');
    const pending = find(frames, 'tools.pending')[0]!.data['tools'] as Array<Record<string, unknown>>;
    expect(pending).toMatchObject([{ call_id: 'call_get', tool: 'k8s_get', title: 'Get resources', requires_approval: false }]);
    expect(find(frames, 'tool.result')[0]!.data['result']).toEqual([{ type: 'text', text: 'NAME  READY\nweb  2/2\napi  1/1' }]);
    const completed = find(frames, 'completed')[0]!.data;
    expect(completed).toMatchObject({ status: 'completed', type: 'completed' });
    expect(completed['awaiting_approval']).toBeUndefined();
    // every event carries the run fields and an increasing SSE id
    const runId = frames[0]!.data['run_id'];
    for (const frame of frames.slice(1)) expect(frame.data).toMatchObject({ run_id: runId, conversation_id: conversationOf(frames) });
    const ids = frames.slice(1).map((frame) => frame.id!);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(mcp.calls.map((call) => call.name)).toEqual(['k8s_get']);
    // the second model call got the tool result
    expect(lastToolMessage()[0]).toContain('web  2/2');

    const conversation = await storage.conversations.get(conversationOf(frames));
    expect(conversation?.userId).toBe(alice);
    const [user, assistant] = conversation!.timeline;
    expect(user).toMatchObject({ type: 'user', content: 'How many replicas does web have?' });
    expect(assistant).toMatchObject({ type: 'assistant', content: 'web runs 2/2 replicas.' });
    if (assistant?.type !== 'assistant') throw new Error('expected an assistant entry');
    expect(assistant.segments.map((segment) => segment.kind)).toEqual(['thinking', 'tool', 'text']);
    expect(assistant.segments[1]).toMatchObject({ kind: 'tool', id: 'call_get', toolExecution: { status: 'completed', requires_approval: false } });
    expect(assistant.token_usage).toMatchObject({ model: 'sim/sim-model' });
    expect(Number(assistant.token_usage?.['prompt_tokens'])).toBeGreaterThan(0);
    expect(Number(assistant.token_usage?.['ttr_ms'])).toBeGreaterThanOrEqual(Number(assistant.token_usage?.['ttft_ms']));
  });

  it('continues a conversation with only the new message as input and the history from the checkpoint', async () => {
    sim.reset(script([{ match: { userContains: 'first' }, reply: 'One.' }, { match: { userContains: 'second' }, reply: 'Two.' }]));
    const first = await chat('first question');
    const conversationId = conversationOf(first);
    const second = await chat('second question', conversationId);
    expect(find(second, 'completed')[0]!.data['status']).toBe('completed');
    const sent = sim.calls.at(-1)!.messages.map((message) => `${message.role}:${String(message.content)}`);
    expect(sent.slice(1)).toEqual(['user:first question', 'assistant:One.', 'user:second question']);
    const timeline = (await storage.conversations.get(conversationId))!.timeline;
    expect(timeline.map((entry) => `${entry.type}:${entry.content}`)).toEqual(['user:first question', 'assistant:One.', 'user:second question', 'assistant:Two.']);
  });
});

describe('approval gate', () => {
  const scaleScript = (replicas: number) =>
    withWriteTools([
      { match: { toolName: 'load_toolset' }, reply: { text: 'Scaling web.', toolCalls: [{ id: 'call_scale', name: 'k8s_scale', arguments: { name: 'web', replicas } }] } },
      { match: { toolName: 'k8s_scale', toolResultContains: 'scaled' }, reply: { toolCalls: [{ id: 'call_verify', name: 'k8s_get', arguments: { resource_type: 'deployments', name: 'web' } }] } },
      { match: { toolName: 'k8s_get' }, reply: 'Verified: web now runs the requested replicas.' },
      { match: { toolResultContains: 'denied by the user' }, reply: 'Understood, I will not scale web.' },
    ]);

  it('waits for approval with a diff, executes exactly once after approval and verifies', async () => {
    sim.reset(scaleScript(5));
    const first = await chat('Scale web to 5');
    const conversationId = conversationOf(first);
    expect(names(first)).toEqual([...loadEvents, 'generation.start', 'token.usage', 'generation.complete', 'tools.pending', 'tool.awaiting_approval', 'completed']);
    expect((find(first, 'tools.pending')[0]!.data['tools'] as unknown[])[0]).toMatchObject({ tool: 'k8s_scale', requires_approval: true });
    const awaiting = find(first, 'tool.awaiting_approval')[0]!.data;
    expect(awaiting).toMatchObject({ call_id: 'call_scale', tool: 'k8s_scale', args: { name: 'web', replicas: 5 }, context: { conversation_id: conversationId } });
    expect(awaiting['diff']).toContain('-  replicas: 2\n+  replicas: 5');
    expect(awaiting['args_hash']).toMatch(/^[0-9a-f]{64}$/);
    expect(find(first, 'completed')[0]!.data).toMatchObject({ status: 'completed', awaiting_approval: true });
    expect(mcp.replicas.get('web')).toBe(2);
    expect(mcp.calls.map((call) => call.name)).toEqual(['k8s_diff']);
    expect(mcp.calls[0]!.args).toEqual({ operation: 'scale', name: 'web', replicas: 5 });
    expect(await storage.approvals.get(conversationId, 'call_scale')).toMatchObject({ status: 'awaiting', argsHash: awaiting['args_hash'], diff: awaiting['diff'] });

    // a new message while a call awaits approval is refused, and nothing changes
    const blocked = await post('/agent/chat', { messages: [{ role: 'user', content: 'hello?' }], conversation_id: conversationId });
    expect(blocked.status).toBe(409);
    expect((await blocked.json()).detail).toContain('call_scale');

    // a decision about different arguments than the ones shown is refused
    const wrongHash = await post('/agent/approvals/call_scale', { approve: true, conversation_id: conversationId, args_hash: '0'.repeat(64) });
    expect(wrongHash.status).toBe(409);
    expect((await wrongHash.json()).detail).toContain('not the call you were shown');
    expect(await storage.approvals.get(conversationId, 'call_scale')).toMatchObject({ status: 'awaiting' });

    const response = await post('/agent/approvals/call_scale', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] });
    expect(response.status).toBe(200);
    const second = await readValid(response);
    expect(names(second)).toEqual([
      'ready',
      'tool.approved',
      'tool.executing',
      'tool.result',
      'generation.start',
      'ttft',
      'token.usage',
      'generation.complete',
      'tools.pending',
      'tool.executing',
      'tool.result',
      'generation.start',
      'token.usage',
      'generation.complete',
      'completed',
    ]);
    // the approval run picked up the write tools loaded by the first run (from the checkpoint)
    expect(sim.calls.at(-1)!.toolNames).toContain('k8s_scale');
    expect(find(second, 'tool.approved')[0]!.data).toMatchObject({ call_id: 'call_scale', decided_by: alice });
    expect(mcp.replicas.get('web')).toBe(5);
    expect((find(second, 'tool.result')[1]!.data['result'] as Array<{ text: string }>)[0]!.text).toContain('web  5/5');
    expect(await storage.approvals.get(conversationId, 'call_scale')).toMatchObject({ status: 'executed', decidedBy: alice });

    // a second approval executes nothing
    const again = await post('/agent/approvals/call_scale', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] });
    expect(again.status).toBe(409);
    expect((await again.json()).detail).toMatch(/already executed/);
    expect(mcp.calls.filter((call) => call.name === 'k8s_scale')).toHaveLength(1);

    const timeline = (await storage.conversations.get(conversationId))!.timeline;
    expect(timeline).toHaveLength(2);
    const assistant = timeline[1]!;
    if (assistant.type !== 'assistant') throw new Error('expected assistant');
    const tool = assistant.segments.find((segment) => segment.kind === 'tool' && segment.id === 'call_scale');
    expect(tool).toMatchObject({ toolExecution: { status: 'completed', requires_approval: true, diff: awaiting['diff'] } });
    expect(assistant.content).toContain('Verified: web now runs');
  });

  it('deny: nothing executes and the model is told why', async () => {
    sim.reset(scaleScript(7));
    const first = await chat('Scale web to 7');
    const conversationId = conversationOf(first);
    const second = await decide('call_scale', conversationId, false, 'not during business hours');
    expect(names(second)).toEqual(['ready', 'tool.denied', 'generation.start', 'ttft', 'token.usage', 'generation.complete', 'completed']);
    expect(find(second, 'tool.denied')[0]!.data).toMatchObject({ call_id: 'call_scale', reason: 'not during business hours', decided_by: alice });
    expect(mcp.replicas.get('web')).toBe(2);
    expect(mcp.calls.some((call) => call.name === 'k8s_scale')).toBe(false);
    expect(lastToolMessage().join('\n')).toContain('Tool call was denied by the user: not during business hours');
    expect(await storage.approvals.get(conversationId, 'call_scale')).toMatchObject({ status: 'denied', reason: 'not during business hours' });
    const assistant = (await storage.conversations.get(conversationId))!.timeline[1]!;
    if (assistant.type !== 'assistant') throw new Error('expected assistant');
    expect(assistant.segments.find((segment) => segment.kind === 'tool')).toMatchObject({ toolExecution: { status: 'denied' } });
  });

  it('a batch of two mutating calls asks for each in order (approve one, deny the other)', async () => {
    sim.reset(
      withWriteTools([
        {
          match: { toolName: 'load_toolset' },
          reply: {
            toolCalls: [
              { id: 'call_a', name: 'k8s_scale', arguments: { name: 'web', replicas: 3 } },
              { id: 'call_ro', name: 'k8s_get', arguments: { resource_type: 'deployments' } },
              { id: 'call_b', name: 'k8s_scale', arguments: { name: 'api', replicas: 4 } },
            ],
          },
        },
        { match: { lastRole: 'tool' }, reply: 'Done with the batch.' },
      ]),
    );
    const first = await chat('Scale web to 3 and api to 4');
    const conversationId = conversationOf(first);
    // every mutating call of the turn is previewed before any can be decided (issue 19): both cards have a diff
    expect(find(first, 'tool.awaiting_approval').map((frame) => frame.data['call_id'])).toEqual(['call_a', 'call_b']);
    expect(find(first, 'tool.awaiting_approval').map((frame) => typeof frame.data['diff'])).toEqual(['string', 'string']);
    const second = await decide('call_a', conversationId, true);
    // call_a runs, then the read-only call, then the gate stops again at call_b
    expect(names(second)).toEqual(['ready', 'tool.approved', 'tool.executing', 'tool.result', 'tool.executing', 'tool.result', 'tool.awaiting_approval', 'completed']);
    expect(find(second, 'tool.awaiting_approval')[0]!.data).toMatchObject({ call_id: 'call_b', context: { approval_decisions: { call_a: true } } });
    expect(find(second, 'tools.pending')).toHaveLength(0);
    const third = await decide('call_b', conversationId, false);
    expect(names(third)).toEqual(['ready', 'tool.denied', 'generation.start', 'ttft', 'token.usage', 'generation.complete', 'completed']);
    expect(mcp.replicas.get('web')).toBe(3);
    expect(mcp.replicas.get('api')).toBe(1);
    // the model saw one result per call, in a valid order
    const toolMessages = sim.calls.at(-1)!.messages.filter((message) => message.role === 'tool');
    expect(toolMessages).toHaveLength(4);
  });

  it('a tool without annotations needs approval even after write tools are loaded (fail closed)', async () => {
    sim.reset(
      script([
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_mystery', name: 'k8s_mystery', arguments: { name: 'web' } }] } },
      ]),
    );
    const frames = await chat('Do the mystery thing to web');
    expect(find(frames, 'toolset.loaded')[0]!.data).toMatchObject({ toolset: 'k8s', include_write_tools: true });
    // load_toolset is internal: not in tools.pending
    expect(find(frames, 'tools.pending').flatMap((frame) => (frame.data['tools'] as Array<{ tool: string }>).map((tool) => tool.tool))).toEqual(['k8s_mystery']);
    expect(find(frames, 'tool.awaiting_approval')[0]!.data).toMatchObject({ call_id: 'call_mystery', tool: 'k8s_mystery' });
    // the first model call offered only read-only tools; the second also the write tools
    expect(sim.calls[0]!.toolNames.sort()).toEqual(['k8s_diff', 'k8s_get', 'load_toolset', 'wait_for_x_seconds']);
    expect(sim.calls[1]!.toolNames).toContain('k8s_scale');
    expect(mcp.replicas.has('web')).toBe(true);
  });
});

describe('tool exposure', () => {
  it('a write tool that is not loaded is refused with a hint to load it, and never executes', async () => {
    sim.reset(
      script([
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_early', name: 'k8s_scale', arguments: { name: 'web', replicas: 9 } }] } },
        { match: { lastRole: 'tool' }, reply: 'I need to load the write tools first.' },
      ]),
    );
    const frames = await chat('scale web to 9');
    expect(find(frames, 'tool.error')[0]!.data['error']).toContain("Call load_toolset with toolset 'k8s' and include_write_tools true first");
    expect(find(frames, 'tool.awaiting_approval')).toHaveLength(0);
    expect(mcp.calls).toHaveLength(0);
    expect(mcp.replicas.get('web')).toBe(2);
  });
});

describe('bad model output', () => {
  it('malformed arguments and unknown tools become tool errors the model sees; the run goes on', async () => {
    sim.reset(
      script([
        {
          match: { sequence: 1 },
          reply: {
            toolCalls: [
              { id: 'call_bad', name: 'k8s_get', arguments: '{"resource_type": "pods"' },
              { id: 'call_unknown', name: 'k8s_nuke_cluster', arguments: { really: true } },
            ],
          },
        },
        { match: { lastRole: 'tool' }, reply: 'Sorry, let me fix that.' },
      ]),
    );
    const frames = await chat('list pods');
    const errors = find(frames, 'tool.error').map((frame) => frame.data);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ call_id: 'call_bad' });
    expect(String(errors[0]!['error'])).toContain("Invalid arguments for 'k8s_get'");
    expect(String(errors[1]!['error'])).toContain("Unknown tool 'k8s_nuke_cluster'");
    expect(find(frames, 'completed')[0]!.data['status']).toBe('completed');
    expect(mcp.calls).toHaveLength(0);
    const told = lastToolMessage().join('\n');
    expect(told).toContain('Invalid arguments');
    expect(told).toContain('Unknown tool');
  });
});

describe('model errors', () => {
  it('a 429 emits rate_limit and the retry succeeds', async () => {
    sim.reset(script([{ match: { always: true }, reply: 'Recovered.' }], { failures: [{ kind: 'status', status: 429, retryAfterSeconds: 0 }] }));
    const frames = await chat('hello');
    expect(names(frames)).toEqual(['ready', 'generation.start', 'rate_limit', 'ttft', 'token.usage', 'generation.complete', 'completed']);
    expect(find(frames, 'rate_limit')[0]!.data).toMatchObject({ attempt: 1, max_retries: 3, retry_in: 0 });
    expect(find(frames, 'completed')[0]!.data['status']).toBe('completed');
  });

  it('a persistent 500 surfaces as workflow.error and completed(error), and the conversation stays usable', async () => {
    const failures = Array.from({ length: 4 }, () => ({ kind: 'status' as const, status: 500, message: 'upstream exploded' }));
    sim.reset(script([{ match: { always: true }, reply: 'Back again.' }], { failures }));
    const frames = await chat('hello');
    expect(names(frames)).toEqual(['ready', 'generation.start', 'transient_error', 'transient_error', 'transient_error', 'workflow.error', 'completed']);
    expect(String(find(frames, 'workflow.error')[0]!.data['error'])).toContain('upstream exploded');
    expect(find(frames, 'completed')[0]!.data).toMatchObject({ status: 'error' });
    const conversationId = conversationOf(frames);
    const after = await chat('try again', conversationId);
    expect(find(after, 'completed')[0]!.data['status']).toBe('completed');
    const timeline = (await storage.conversations.get(conversationId))!.timeline;
    expect(timeline.map((entry) => entry.type)).toEqual(['user', 'assistant', 'user', 'assistant']);
    // the failure is kept as the answer's error (shown as an error with Retry after a reload), not as answer text
    const failed = timeline[1] as { content: string; error?: string };
    expect(failed.error).toContain('upstream exploded');
    expect(failed.content).toBe('');
    expect(timeline[3]!.content).toBe('Back again.');
  });

  it('never relays a provider key that an error body echoes: not in the stream, not in the timeline', async () => {
    const key = 'sk-proj-live-4f9c2a7e1b8d6035';
    await startApp({}, { secrets: [key, 'short'] });
    try {
      sim.reset(script([{ match: { always: true }, reply: 'unused' }], { failures: [{ kind: 'status', status: 401, message: `Incorrect API key provided: ${key}` }] }));
      const frames = await chat('hello');
      const error = String(find(frames, 'workflow.error')[0]!.data['error']);
      expect(error).toContain('Incorrect API key provided: [REDACTED]');
      expect(JSON.stringify(frames)).not.toContain(key);
      const conversation = await storage.conversations.get(conversationOf(frames));
      expect(JSON.stringify(conversation!.timeline)).not.toContain(key);
      expect(JSON.stringify(conversation!.timeline)).toContain('[REDACTED]');
    } finally {
      await startApp();
    }
  });

  it('a 401 from the provider is not retried', async () => {
    sim.reset(script([{ match: { always: true }, reply: 'unused' }], { failures: [{ kind: 'status', status: 401, message: 'Incorrect API key provided' }] }));
    const frames = await chat('hello');
    expect(names(frames)).toEqual(['ready', 'generation.start', 'workflow.error', 'completed']);
    expect(String(find(frames, 'workflow.error')[0]!.data['error'])).toContain('Incorrect API key provided');
  });
});

describe('iteration limit', () => {
  it('stops after LLM_MAX_ITERATIONS model turns with a clear workflow.error', async () => {
    await startApp({ maxIterations: 2 });
    try {
      sim.reset(script([{ match: { always: true }, reply: { toolCalls: [{ name: 'k8s_get', arguments: { resource_type: 'deployments' } }] } }]));
      const frames = await chat('loop forever');
      expect(find(frames, 'generation.start')).toHaveLength(2);
      expect(find(frames, 'workflow.error')[0]!.data).toMatchObject({ code: 'ITERATION_LIMIT' });
      expect(String(find(frames, 'workflow.error')[0]!.data['error'])).toContain('maximum number of iterations of 2');
      expect(frames.at(-1)).toMatchObject({ event: 'completed', data: { status: 'error' } });
      // every call got its result, so the next turn works
      sim.reset(script([{ match: { always: true }, reply: 'ok' }]));
      const next = await chat('now answer', conversationOf(frames));
      expect(find(next, 'completed')[0]!.data['status']).toBe('completed');
    } finally {
      await startApp();
    }
  });
});

describe('token budget', () => {
  it('stops a runaway conversation before the next model call once AGENT_TOKEN_BUDGET is spent, and keeps it stopped', async () => {
    // Each model turn costs what llm-sim reports; the budget is smaller than two turns.
    await startApp({ tokenBudget: 1 });
    try {
      sim.reset(script([{ match: { always: true }, reply: { toolCalls: [{ name: 'k8s_get', arguments: { resource_type: 'deployments' } }] } }]));
      const frames = await chat('investigate forever');
      const spent = find(frames, 'token.usage').reduce((sum, frame) => sum + Number(frame.data['total_tokens']), 0);
      expect(spent).toBeGreaterThan(1);
      expect(find(frames, 'generation.start')).toHaveLength(1);
      expect(find(frames, 'budget.exceeded')[0]!.data).toMatchObject({ budget_tokens: 1, used_tokens: spent });
      expect(find(frames, 'workflow.error')[0]!.data).toMatchObject({ code: 'BUDGET_EXCEEDED' });
      expect(String(find(frames, 'workflow.error')[0]!.data['error'])).toContain(`used ${spent} tokens of its 1-token budget (AGENT_TOKEN_BUDGET)`);
      expect(frames.at(-1)).toMatchObject({ event: 'completed', data: { status: 'error' } });

      // the next message in the same conversation does not reach the model at all
      const callsBefore = sim.calls.length;
      const next = await chat('try again', conversationOf(frames));
      expect(find(next, 'budget.exceeded')[0]!.data).toMatchObject({ budget_tokens: 1, used_tokens: spent });
      expect(sim.calls.length).toBe(callsBefore);
      // a new conversation has its own budget
      sim.reset(script([{ match: { always: true }, reply: 'fresh' }]));
      expect(find(await chat('hello'), 'completed')[0]!.data['status']).toBe('completed');
    } finally {
      await startApp();
    }
  });
});

describe('stop', () => {
  it('aborts a streaming model call: no token follows the stop, and completed(stopped) ends the stream', async () => {
    sim.reset(script([{ match: { always: true }, reply: { mode: 'stream', tokens: 2000, tokensPerSecond: 100 } }]));
    const response = await post('/agent/chat', { messages: [{ role: 'user', content: 'write a novel' }] });
    let runId = '';
    let conversationId = '';
    let tokens = 0;
    let stopResponse: Promise<Response> | undefined;
    // the index of the last event the engine had published when the stop reached its bus
    let lastPublished = 0;
    let publishedWhenStopLanded: number | undefined;
    const frames: SseFrame[] = [];
    for await (const frame of iterateSse(response)) {
      frames.push(frame);
      if (frame.event === 'ready') {
        ({ run_id: runId, conversation_id: conversationId } = frame.data as { run_id: string; conversation_id: string });
        await bus.subscribe(runId, (message) => (lastPublished = message.index));
        await bus.onStop(runId, () => (publishedWhenStopLanded ??= lastPublished));
      }
      if (frame.event === 'token' && ++tokens === 3) stopResponse = post('/agent/stop', { conversation_id: conversationId, run_id: runId });
    }
    expect(await (await stopResponse!).json()).toEqual({ status: 'stopped', conversation_id: conversationId, run_id: runId });
    expect(frames.at(-1)).toMatchObject({ event: 'completed', data: { status: 'stopped' } });
    // order, not time: once the stop landed, the stream carried no further token, only its end
    expect(publishedWhenStopLanded).toBeDefined();
    const afterStop = frames.filter((frame) => frame.id! > publishedWhenStopLanded!).map((frame) => frame.event);
    expect(afterStop.filter((event) => event === 'token')).toEqual([]);
    expect(afterStop.at(-1) ?? frames.at(-1)!.event).toBe('completed');
    await harness.service.idle();
    // the HTTP request to the model was really cancelled, not just ignored
    await vi.waitFor(() => expect(sim.calls.at(-1)!.aborted).toBe(true));
  });

  it('aborts a running tool and records the cancellation for the model', async () => {
    sim.reset(
      script([
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_wait', name: 'wait_for_x_seconds', arguments: { seconds: 30 } }] } },
        { match: { always: true }, reply: 'next turn' },
      ]),
    );
    const response = await post('/agent/chat', { messages: [{ role: 'user', content: 'wait a bit' }] });
    let ready: Record<string, unknown> = {};
    const frames: SseFrame[] = [];
    for await (const frame of iterateSse(response)) {
      frames.push(frame);
      if (frame.event === 'ready') ready = frame.data;
      if (frame.event === 'tool.executing') void post('/agent/stop', { conversation_id: ready['conversation_id'], run_id: ready['run_id'] });
    }
    // the 30 s wait did not finish: the stream ended with the stop, before any result of the tool
    expect(frames.at(-1)).toMatchObject({ event: 'completed', data: { status: 'stopped' } });
    expect(names(frames).slice(names(frames).indexOf('tool.executing') + 1).filter((event) => event === 'tool.result')).toEqual([]);
    const next = await chat('what happened?', String(ready['conversation_id']));
    expect(find(next, 'completed')[0]!.data['status']).toBe('completed');
    expect(lastToolMessage().join('\n')).toContain('cancelled');
    // the tool was really aborted (the fake's wait ended early) and the timeline shows the cancellation
    const assistant = (await storage.conversations.get(String(ready['conversation_id'])))!.timeline[1]!;
    if (assistant.type !== 'assistant') throw new Error('expected assistant');
    expect(assistant.segments.find((segment) => segment.kind === 'tool')).toMatchObject({ toolExecution: { status: 'error', error: expect.stringContaining('cancelled') } });
  });
});

describe('titles', () => {
  it('names a new conversation with the model and emits conversation.title.generated before completed', async () => {
    await startApp({ titleGeneration: true });
    try {
      sim.reset(
        script([
          { match: { userContains: 'Assistant:' }, reply: '{"title": "Checking Web Deployment Replicas"}' },
          { match: { always: true }, reply: 'web has 2 replicas.' },
        ]),
      );
      const frames = await chat('how many replicas does web have');
      expect(names(frames).slice(-2)).toEqual(['conversation.title.generated', 'completed']);
      expect(find(frames, 'conversation.title.generated')[0]!.data['title']).toBe('Checking Web Deployment Replicas');
      expect((await storage.conversations.get(conversationOf(frames)))!.title).toBe('Checking Web Deployment Replicas');
      // falls back to the first six words when the model's reply is not JSON
      sim.reset(script([{ match: { userContains: 'Assistant:' }, reply: 'no json here' }, { match: { always: true }, reply: 'ok' }]));
      const fallback = await chat('please restart the payments deployment in prod now');
      expect(find(fallback, 'conversation.title.generated')[0]!.data['title']).toBe('please restart the payments deployment in');
    } finally {
      await startApp();
    }
  });

  it('names a conversation stopped before its first answer from its first message (issue 37)', async () => {
    await startApp({ titleGeneration: true });
    try {
      sim.reset(script([{ match: { always: true }, reply: { mode: 'stream', tokens: 2000, tokensPerSecond: 20 } }]));
      const response = await post('/agent/chat', { messages: [{ role: 'user', content: 'why is postgres-primary in CrashLoopBackOff since noon' }] });
      const frames: SseFrame[] = [];
      for await (const frame of iterateSse(response)) {
        frames.push(frame);
        if (frame.event === 'ready') void post('/agent/stop', { conversation_id: frame.data['conversation_id'], run_id: frame.data['run_id'] });
      }
      expect(frames.at(-1)).toMatchObject({ event: 'completed', data: { status: 'stopped' } });
      // the stream ended with the stop; the run names the conversation as it unwinds
      await harness.service.idle();
      expect((await storage.conversations.get(conversationOf(frames)))!.title).toBe('why is postgres-primary in CrashLoopBackOff since');
    } finally {
      await startApp();
    }
  });
});

describe('bad requests', () => {
  it('answers clear 4xx errors', async () => {
    sim.reset(script([{ match: { always: true }, reply: 'hi' }]));
    const cases: Array<[string, unknown, string, number, RegExp]> = [
      ['/agent/chat', { messages: [] }, alice, 400, /at least one message/],
      ['/agent/chat', { messages: [{ role: 'user', content: '   ' }] }, alice, 400, /non-empty content/],
      ['/agent/chat', { messages: [{ role: 'user', content: 'hi' }], conversation_id: 'nope' }, alice, 400, /UUID/],
      ['/agent/chat', { messages: [{ role: 'user', content: 'hi' }], conversation_id: '5d9c1b1e-9a57-4c57-8f7a-3b8f9b0f7c11' }, alice, 404, /not found/],
      ['/agent/chat', { messages: [{ role: 'user', content: 'hi' }] }, '', 401, /Not authenticated/],
      ['/agent/approvals/call_x', { approve: true, conversation_id: '5d9c1b1e-9a57-4c57-8f7a-3b8f9b0f7c11', args_hash: 'a'.repeat(64) }, alice, 404, /not found/],
      ['/agent/approvals/call_x', { approve: true, conversation_id: '5d9c1b1e-9a57-4c57-8f7a-3b8f9b0f7c11' }, alice, 400, /approve needs args_hash/],
      ['/agent/approvals/call_x', { approve: 'yes', conversation_id: '5d9c1b1e-9a57-4c57-8f7a-3b8f9b0f7c11' }, alice, 400, /approve/],
      ['/agent/stop', { conversation_id: '5d9c1b1e-9a57-4c57-8f7a-3b8f9b0f7c11' }, alice, 400, /run_id/],
    ];
    for (const [path, body, user, status, detail] of cases) {
      const response = await post(path, body, user);
      expect({ path, status: response.status }).toEqual({ path, status });
      expect((await response.json()).detail).toMatch(detail);
    }
  });

  it("another user's conversation is not found, and approval of an unknown call in your own is 404", async () => {
    sim.reset(script([{ match: { always: true }, reply: 'hi' }]));
    const frames = await chat('hello');
    const conversationId = conversationOf(frames);
    const foreign = await post('/agent/chat', { messages: [{ role: 'user', content: 'hi' }], conversation_id: conversationId }, 'mallory');
    expect(foreign.status).toBe(404);
    const stop = await post('/agent/stop', { conversation_id: conversationId, run_id: 'x' }, 'mallory');
    expect(stop.status).toBe(404);
    const unknownCall = await post('/agent/approvals/call_missing', { approve: true, conversation_id: conversationId, args_hash: 'a'.repeat(64) });
    expect(unknownCall.status).toBe(404);
    expect((await unknownCall.json()).detail).toContain('call_missing');
  });

  it('GET /agent/tools lists names, titles, annotations and tags', async () => {
    const response = await fetch(`${harness.url}/agent/tools`, { headers: { 'x-test-user': alice } });
    expect(response.status).toBe(200);
    const list = (await response.json()) as Array<{ name: string }>;
    expect(list.find((tool) => tool.name === 'k8s_get')).toEqual({ name: 'k8s_get', title: 'Get resources', annotations: { readOnlyHint: true, destructiveHint: false }, tags: ['k8s', 'metrics'] });
    expect((await fetch(`${harness.url}/agent/tools`)).status).toBe(401);
  });
});

describe('streams and persistence', () => {
  it('a client that disconnects loses nothing: the run finishes and the timeline is complete', async () => {
    sim.reset(script([{ match: { always: true }, reply: { text: 'A long careful answer that keeps streaming after the client left.', tokenDelayMs: 5 } }]));
    const controller = new AbortController();
    const response = await fetch(`${harness.url}/agent/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-test-user': alice },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'explain slowly' }] }),
      signal: controller.signal,
    });
    let conversationId = '';
    try {
      for await (const frame of iterateSse(response)) {
        if (frame.event === 'ready') conversationId = String(frame.data['conversation_id']);
        if (frame.event === 'token') controller.abort();
      }
    } catch {
      // the abort ends the read
    }
    await harness.service.idle();
    const timeline = (await storage.conversations.get(conversationId))!.timeline;
    expect(timeline[1]).toMatchObject({ type: 'assistant', content: 'A long careful answer that keeps streaming after the client left.' });
    expect(Number((timeline[1] as { token_usage?: Record<string, unknown> }).token_usage?.['ttr_ms'])).toBeGreaterThan(0);
  });

  it('an approval stream that fails after the decision still executes and persists the call (issue #76)', async () => {
    sim.reset(
      withWriteTools([
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_scale', name: 'k8s_scale', arguments: { name: 'api', replicas: 3 } }] } },
        { match: { toolName: 'k8s_scale' }, reply: { text: 'api scaled to 3.', delayMs: 50 } },
      ]),
    );
    const first = await chat('scale api to 3');
    const conversationId = conversationOf(first);
    const controller = new AbortController();
    const response = await fetch(`${harness.url}/agent/approvals/call_scale`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-test-user': alice },
      body: JSON.stringify({ approve: true, conversation_id: conversationId, args_hash: shownArgsHash.get('call_scale') }),
      signal: controller.signal,
    });
    try {
      for await (const frame of iterateSse(response)) if (frame.event === 'ready') controller.abort();
    } catch {
      // the abort ends the read
    }
    await harness.service.idle();
    expect(mcp.replicas.get('api')).toBe(3);
    const assistant = (await storage.conversations.get(conversationId))!.timeline[1]!;
    if (assistant.type !== 'assistant') throw new Error('expected assistant');
    expect(assistant.segments.find((segment) => segment.kind === 'tool' && segment.id === 'call_scale')).toMatchObject({ toolExecution: { status: 'completed' } });
    expect(assistant.content).toBe('api scaled to 3.');
  });

  it('a dropped client re-attaches with Last-Event-ID and gets exactly the rest of the answer', async () => {
    const text = 'one two three four five six seven eight nine ten eleven twelve';
    sim.reset(script([{ match: { always: true }, reply: { text, tokenDelayMs: 10 } }]));
    const controller = new AbortController();
    const response = await fetch(`${harness.url}/agent/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-test-user': alice },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'count' }] }),
      signal: controller.signal,
    });
    const before: SseFrame[] = [];
    try {
      for await (const frame of iterateSse(response)) {
        before.push(frame);
        if (find(before, 'token').length === 3) controller.abort();
      }
    } catch {
      // dropped on purpose
    }
    const { run_id: runId, conversation_id: conversationId } = before[0]!.data as { run_id: string; conversation_id: string };
    const lastId = before.at(-1)!.id!;
    const foreign = await fetch(`${harness.url}/agent/runs/${runId}/events?conversation_id=${conversationId}`, { headers: { 'x-test-user': 'mallory' } });
    expect(foreign.status).toBe(404);
    const resumed = await fetch(`${harness.url}/agent/runs/${runId}/events?conversation_id=${conversationId}`, { headers: { 'x-test-user': alice, 'last-event-id': String(lastId) } });
    expect(resumed.status).toBe(200);
    const after = await readValid(resumed);
    expect(after[0]!.event).toBe('ready');
    // the tokens it missed may come joined in one frame (the replay buffer keeps the text so far, not a frame per
    // token), whose id is the last token's: ids only go up, and nothing before the stream's Last-Event-ID comes again
    const ids = after.slice(1).map((frame) => frame.id!);
    expect(ids[0]).toBeGreaterThan(lastId);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    expect(after.at(-1)!.event).toBe('completed');
    expect(find(after, 'token').length).toBeGreaterThan(0);
    expect([...find(before, 'token'), ...find(after, 'token')].map((frame) => frame.data['text']).join('')).toBe(text);
  });

  it('sends a heartbeat when nothing happens for the configured time', async () => {
    await startApp({ heartbeatMs: 40 });
    try {
      sim.reset(script([{ match: { always: true }, reply: { text: 'late', delayMs: 150 } }]));
      const frames = await chat('anyone there?');
      const heartbeat = find(frames, 'heartbeat')[0];
      expect(heartbeat?.data['timestamp']).toEqual(expect.any(Number));
      expect(frames.at(-1)!.event).toBe('completed');
    } finally {
      await startApp();
    }
  });

  it('only the owner decides an approval: another member and an admin both get 404 and nothing runs', async () => {
    sim.reset(
      withWriteTools([{ match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_owner', name: 'k8s_scale', arguments: { name: 'web', replicas: 8 } }] } }]),
    );
    const conversationId = conversationOf(await chat('scale web to 8'));
    for (const user of ['mallory', 'root:admin']) {
      const response = await post('/agent/approvals/call_owner', { approve: true, conversation_id: conversationId, args_hash: shownArgsHash.get('call_owner') }, user);
      expect(response.status).toBe(404);
    }
    expect(await storage.approvals.get(conversationId, 'call_owner')).toMatchObject({ status: 'awaiting' });
    expect(mcp.replicas.get('web')).toBe(2);
  });
});

describe('degraded dependencies', () => {
  it('no LLM configured: the chat says what to set instead of failing silently; the MCP server down: /agent/tools is 502', async () => {
    const degraded = await startAgentTestApp({
      storage: createInMemoryStorage(),
      bus: createMemoryEventBus(),
      tools: {
        listTools: async () => {
          throw new Error('connect ECONNREFUSED 127.0.0.1:8888');
        },
        callTool: async () => {
          throw new Error('unreachable');
        },
        preview: async () => undefined,
        close: async () => {},
      },
      llm: { model: undefined, modelName: 'unconfigured', problem: 'No LLM configured: set LLM_MODEL (e.g. openai/gpt-4o) and OPENAI_API_KEY' },
      config: agentConfig({ titleGeneration: false }),
    });
    try {
      const response = await fetch(`${degraded.url}/agent/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-test-user': alice },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'hello' }] }),
      });
      const frames = await readValid(response);
      expect(names(frames)).toEqual(['ready', 'workflow.error', 'completed']);
      expect(find(frames, 'workflow.error')[0]!.data).toMatchObject({ code: 'LLM_NOT_CONFIGURED', error: expect.stringContaining('LLM_MODEL') });
      expect(frames.at(-1)!.data).toMatchObject({ status: 'error' });

      const tools = await fetch(`${degraded.url}/agent/tools`, { headers: { 'x-test-user': alice } });
      expect(tools.status).toBe(502);
      expect((await tools.json()).detail).toContain('MCP_SERVER_URL');

      const malformed = await fetch(`${degraded.url}/agent/chat`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-user': alice }, body: '{"messages": [' });
      expect(malformed.status).toBe(400);
    } finally {
      await degraded.close();
    }
  });
});
