/**
 * P4: an approval reads the state its run resumes from once it has claimed the conversation (while it records the
 * decision), and hands that read to the run it starts (approvals/resume-checkpoint.ts): the run's graph reads no
 * checkpoint of its own. What must not change: calls are decided in the model's order (DECIDE_IN_ORDER, nothing run,
 * the conversation not left claimed), and the resumed run continues from the state the approval was decided on.
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryEventBus } from '../../src/adapters/bus/memory-event-bus.ts';
import { agentConfig } from '../../src/platform/config/agent.ts';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import type { ToolGateway } from '../../src/platform/ports/tool-gateway.ts';
import type { AgentStorage, EngineStorage } from '../../src/app/graph/checkpoints.ts';
import { createPgliteStorage } from '../../src/adapters/storage/pglite/pglite-storage.ts';
import { startAgentTestApp, type AgentTestApp } from '../../src/testing/agent-test-app.ts';
import { startFakeMcpServer, type FakeMcpServer } from '../../src/testing/fake-mcp-server.ts';
import { createInMemoryStorage } from '../../src/testing/in-memory-storage.ts';
import { readSse, type SseFrame } from '../../src/testing/read-sse.ts';

let sim: LlmSim;
let mcp: FakeMcpServer;
let tools: ToolGateway;

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  mcp = await startFakeMcpServer({ replicas: { web: 2, api: 1 } });
  tools = createToolGateway({ client: mcp.client, cacheMs: 60_000 });
});

afterAll(async () => {
  await tools.close();
  await mcp.close();
  await sim.close();
});

/**
 * The storages, and how many checkpoint reads a decision makes: the order check's read, and once claimed the state to
 * resume from — on PGlite that second read is the first one's answer when its checkpointer knows nothing was written
 * since (graph/resume-checkpoint.ts, readAgain), so it is not counted.
 */
const storages: Array<[string, () => Promise<AgentStorage>, number]> = [
  ['in-memory storage', async () => createInMemoryStorage(), 2],
  ['PGlite', async () => createPgliteStorage({}), 1],
];

describe.each(storages)('approval resumes from the checkpoint it read (%s)', (_label, makeStorage, decisionReads) => {
  let storage: AgentStorage;
  let app: AgentTestApp;
  /** checkpoint reads made by anyone (the decision and the graph) */
  let checkpointReads = 0;

  /** the requester: an account on storages that keep accounts */
  let userId = 'alice';

  beforeAll(async () => {
    storage = await makeStorage();
    const users = (storage as Partial<EngineStorage>).users;
    if (users) {
      const created = await users.create({ email: 'alice@example.test', hashedPassword: 'x', allowWhenUsersExist: true });
      if (!created.ok) throw new Error(created.reason);
      userId = created.user.id;
    }
    const counted: AgentStorage = {
      ...storage,
      checkpointer: async () => {
        const saver = await storage.checkpointer();
        const getTuple = saver.getTuple.bind(saver);
        saver.getTuple = (config) => {
          checkpointReads += 1;
          return getTuple(config);
        };
        return saver;
      },
    };
    const provider = createOpenAICompatible({ baseURL: sim.url, name: 'sim', includeUsage: true });
    app = await startAgentTestApp({ storage: counted, bus: createMemoryEventBus(), tools, llm: { model: provider.chatModel('sim-model'), modelName: 'sim' }, config: agentConfig({ titleGeneration: false, heartbeatMs: 60_000 }) });
  });

  afterAll(async () => {
    await app.close();
    await storage.close();
  });

  const post = (path: string, body: unknown) => fetch(`${app.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-user': userId }, body: JSON.stringify(body) });
  const names = (frames: SseFrame[]) => frames.map((frame) => frame.event).filter((event) => event !== 'token' && event !== 'thinking');

  it('refuses a later call while an earlier one waits, runs nothing, frees the conversation, then runs both in order', async () => {
    mcp.replicas.set('web', 2);
    mcp.replicas.set('api', 1);
    sim.reset({
      rules: [
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        {
          match: { toolName: 'load_toolset' },
          reply: {
            toolCalls: [
              { id: 'call_a', name: 'k8s_scale', arguments: { name: 'web', replicas: 3 } },
              { id: 'call_b', name: 'k8s_scale', arguments: { name: 'api', replicas: 4 } },
            ],
          },
        },
        { match: { lastRole: 'tool' }, reply: 'Both scaled.' },
      ],
    });
    const chat = await readSse(await post('/agent/chat', { messages: [{ role: 'user', content: 'scale web to 3 and api to 4' }] }));
    const conversationId = String(chat[0]!.data['conversation_id']);
    const shown = new Map(chat.filter((frame) => frame.event === 'tool.awaiting_approval').map((frame) => [String(frame.data['call_id']), String(frame.data['args_hash'])]));
    expect([...shown.keys()]).toEqual(['call_a', 'call_b']);
    const executedBefore = mcp.calls.filter((call) => call.name === 'k8s_scale').length;

    const outOfOrder = await post('/agent/approvals/call_b', { approve: true, conversation_id: conversationId, args_hash: shown.get('call_b') });
    expect(outOfOrder.status).toBe(409);
    expect((await outOfOrder.json()) as { detail: string }).toMatchObject({ detail: expect.stringContaining('decide call_a first') });
    expect(mcp.calls.filter((call) => call.name === 'k8s_scale')).toHaveLength(executedBefore);
    expect(await storage.approvals.get(conversationId, 'call_b')).toMatchObject({ status: 'awaiting' });

    // the refused approval released its claim: the first call can be decided at once, and its run goes on from
    // the paused turn (call_a runs, the gate stops again at call_b)
    const readsBefore = checkpointReads;
    const first = await readSse(await post('/agent/approvals/call_a', { approve: true, conversation_id: conversationId, args_hash: shown.get('call_a') }));
    expect(names(first)).toEqual(['ready', 'tool.approved', 'tool.executing', 'tool.result', 'tool.awaiting_approval', 'completed']);
    expect(first.find((frame) => frame.event === 'tool.awaiting_approval')!.data).toMatchObject({ call_id: 'call_b', context: { approval_decisions: { call_a: true } } });
    // the decision's reads (the order check, and once claimed the state to resume from); the run reads none
    expect(checkpointReads - readsBefore).toBe(decisionReads);
    expect(mcp.replicas.get('web')).toBe(3);
    expect(mcp.replicas.get('api')).toBe(1);

    const second = await readSse(await post('/agent/approvals/call_b', { approve: true, conversation_id: conversationId, args_hash: shown.get('call_b') }));
    expect(names(second)).toContain('tool.executing');
    expect(second.at(-1)).toMatchObject({ event: 'completed', data: { status: 'completed' } });
    expect(mcp.replicas.get('api')).toBe(4);
    // the model saw each call's result once, in its order
    const toolResults = sim.calls.at(-1)!.messages.filter((message) => message.role === 'tool').map((message) => JSON.stringify(message));
    expect(toolResults.filter((text) => text.includes('call_a'))).toHaveLength(1);
    expect(toolResults.filter((text) => text.includes('call_b'))).toHaveLength(1);
  });
});
