/**
 * P4: deciding an approval checks who may act on the conversation from its owner (and its pinned cluster) alone
 * (conversations.access), not from the whole row: a long conversation's timeline is megabytes for the database to
 * read and send, and an approval needs none of it. The checks themselves do not change (approval-binding and
 * clusters tests); this pins that the timeline is not read and that `access` answers what `get` would.
 */
import { randomUUID } from 'node:crypto';
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
import { readSse } from '../../src/testing/read-sse.ts';

let sim: LlmSim;
let mcp: FakeMcpServer;
let tools: ToolGateway;
let storage: EngineStorage;
let app: AgentTestApp;
let userId: string;
/** conversations.get calls (whole rows, timeline included) */
let wholeRowReads = 0;

beforeAll(async () => {
  sim = await startLlmSim({
    port: 0,
    script: {
      rules: [
        { match: { lastRole: 'user' }, reply: { toolCalls: [{ name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ name: 'k8s_scale', arguments: { name: 'web', replicas: 3 } }] } },
        { match: { always: true }, reply: 'done' },
      ],
    },
  });
  mcp = await startFakeMcpServer();
  tools = createToolGateway({ client: mcp.client });
  storage = await createPgliteStorage({});
  const created = await storage.users.create({ email: 'access@example.test', hashedPassword: 'x', allowWhenUsersExist: true });
  if (!created.ok) throw new Error(created.reason);
  userId = created.user.id;
  const counted: AgentStorage = {
    ...storage,
    conversations: {
      ...storage.conversations,
      get: (id) => {
        wholeRowReads += 1;
        return storage.conversations.get(id);
      },
    },
  };
  const provider = createOpenAICompatible({ baseURL: sim.url, name: 'sim', includeUsage: true });
  app = await startAgentTestApp({ storage: counted, bus: createMemoryEventBus(), tools, llm: { model: provider.chatModel('sim-model'), modelName: 'sim' }, config: agentConfig({ titleGeneration: false, heartbeatMs: 60_000 }) });
});

afterAll(async () => {
  await app.close();
  await storage.close();
  await tools.close();
  await mcp.close();
  await sim.close();
});

const post = (path: string, body: unknown) => fetch(`${app.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-user': userId }, body: JSON.stringify(body) });

describe('the access check of a decision', () => {
  it('reads the owner, not the timeline, and still runs the approved call once', async () => {
    const chat = await readSse(await post('/agent/chat', { messages: [{ role: 'user', content: 'scale web' }] }));
    const awaiting = chat.find((frame) => frame.event === 'tool.awaiting_approval');
    expect(awaiting).toBeDefined();
    const conversationId = String(chat[0]!.data['conversation_id']);
    const before = wholeRowReads;
    const decided = await readSse(await post(`/agent/approvals/${String(awaiting!.data['call_id'])}`, { approve: true, conversation_id: conversationId, args_hash: awaiting!.data['args_hash'] }));
    expect(decided.map((frame) => frame.event)).toContain('tool.executing');
    expect(wholeRowReads - before).toBe(0);
    expect(mcp.calls.filter((call) => call.name === 'k8s_scale')).toHaveLength(1);
    // another user still gets "not found", as before
    const stranger = await fetch(`${app.url}/agent/approvals/${String(awaiting!.data['call_id'])}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-test-user': randomUUID() },
      body: JSON.stringify({ approve: true, conversation_id: conversationId, args_hash: awaiting!.data['args_hash'] }),
    });
    expect(stranger.status).toBe(404);
  });

  it('access answers the owner, pinned cluster and title that get answers; nothing for unknown or deleted conversations', async () => {
    const pinned = await storage.conversations.create({ userId, cluster: 'alpha', title: 'checkout in prod' });
    const unpinned = await storage.conversations.create({ userId });
    for (const conversation of [pinned, unpinned]) {
      const whole = await storage.conversations.get(conversation.id);
      expect(await storage.conversations.access!(conversation.id)).toEqual({ userId: whole!.userId, title: whole!.title, ...(whole!.cluster ? { cluster: whole!.cluster } : {}) });
    }
    expect(await storage.conversations.access!(pinned.id)).toEqual({ userId, cluster: 'alpha', title: 'checkout in prod' });
    expect(await storage.conversations.access!(randomUUID())).toBeUndefined();
    expect(await storage.conversations.access!('not-a-uuid')).toBeUndefined();
    await storage.conversations.delete(pinned.id);
    expect(await storage.conversations.access!(pinned.id)).toBeUndefined();
  });
});
