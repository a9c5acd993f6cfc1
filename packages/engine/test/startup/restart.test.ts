/**
 * Durability of approvals: the engine is restarted (closed and rebuilt on the same PGlite data dir, or the same
 * Postgres database) while a tool call waits for approval, and the approval still resumes the run from the
 * checkpoint. And two engines sharing Postgres + Redis (no sticky sessions): chat on one, approve and stop
 * through the other.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { startLlmSim, type LlmScript, type LlmSim } from '@skyflo/testkit/llm-sim';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEventBus } from '../../src/adapters/bus/create-event-bus.ts';
import { agentConfig } from '../../src/platform/config/agent.ts';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import type { ToolGateway } from '../../src/platform/ports/tool-gateway.ts';
import type { EventBus } from '../../src/platform/ports/index.ts';
import type { EngineStorage } from '../../src/app/graph/checkpoints.ts';
import { createPgliteStorage } from '../../src/adapters/storage/pglite/pglite-storage.ts';
import { createPostgresStorage } from '../../src/adapters/storage/postgres/postgres-storage.ts';
import { startAgentTestApp, type AgentTestApp } from '../../src/testing/agent-test-app.ts';
import { createSecretBox } from '../../src/platform/crypto/secret-box.ts';
import { startFakeMcpServer, type FakeMcpServer } from '../../src/testing/fake-mcp-server.ts';
import { createMemoryEventBus } from '../../src/adapters/bus/memory-event-bus.ts';
import { iterateSse, readSse, type SseFrame } from '../../src/testing/read-sse.ts';
import { testDatabaseName, testPostgresAdminUrl, testPostgresUrl, testRedisKeyPrefix, testRedisUrl } from '@skyflo/testkit/services';

const adminUrl = testPostgresAdminUrl();
let sim: LlmSim;
let mcp: FakeMcpServer;
let tools: ToolGateway;

const scaleScript: LlmScript = {
  rules: [
    { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
    { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_scale', name: 'k8s_scale', arguments: { name: 'web', replicas: 6 } }] } },
    { match: { toolName: 'k8s_scale' }, reply: 'Scaled web to 6.' },
    { match: { userContains: 'slow' }, reply: { mode: 'stream', tokens: 3000, tokensPerSecond: 100 } },
  ],
};

// One key for every engine of a test, as SKYFLO_ENCRYPTION_KEY (or the data dir's key) is for real restarts and replicas.
const secretBox = createSecretBox(randomBytes(32));

async function startEngine(storage: EngineStorage, bus: EventBus): Promise<AgentTestApp> {
  const provider = createOpenAICompatible({ baseURL: sim.url, name: 'sim', includeUsage: true });
  return startAgentTestApp({
    storage,
    bus,
    secretBox,
    tools,
    llm: { model: provider.chatModel('sim-model'), modelName: 'sim/sim-model' },
    config: agentConfig({ titleGeneration: false, retryBaseDelayMs: 1 }),
  });
}

async function post(app: AgentTestApp, pathname: string, body: unknown, userId: string): Promise<Response> {
  return fetch(`${app.url}${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-user': userId }, body: JSON.stringify(body) });
}

async function createUser(storage: EngineStorage): Promise<string> {
  const created = await storage.users.create({ email: `u${randomBytes(4).toString('hex')}@example.test`, hashedPassword: 'x', allowWhenUsersExist: true });
  if (!created.ok) throw new Error(created.reason);
  return created.user.id;
}

const find = (frames: SseFrame[], event: string) => frames.filter((frame) => frame.event === event).map((frame) => frame.data);

/** chat on `first`, restart (or switch) to `second`, approve there; asserts the call ran once and the timeline is whole */
async function chatThenApprove(first: AgentTestApp, getSecond: () => Promise<AgentTestApp>, userId: string, storageAfter: () => EngineStorage) {
  sim.reset(scaleScript);
  mcp.replicas.set('web', 2);
  mcp.calls.length = 0;
  const chat = await readSse(await post(first, '/agent/chat', { messages: [{ role: 'user', content: 'scale web to 6' }] }, userId));
  const conversationId = String(chat[0]!.data['conversation_id']);
  expect(find(chat, 'tool.awaiting_approval')[0]).toMatchObject({ call_id: 'call_scale' });
  const second = await getSecond();
  const approval = await readSse(await post(second, '/agent/approvals/call_scale', { approve: true, conversation_id: conversationId, args_hash: find(chat, 'tool.awaiting_approval')[0]!['args_hash'] }, userId));
  expect(approval.map((frame) => frame.event).filter((event) => event !== 'token')).toEqual([
    'ready',
    'tool.approved',
    'tool.executing',
    'tool.result',
    'generation.start',
    'ttft',
    'token.usage',
    'generation.complete',
    'completed',
  ]);
  expect(mcp.replicas.get('web')).toBe(6);
  expect(mcp.calls.filter((call) => call.name === 'k8s_scale')).toHaveLength(1);
  // the resumed model call saw the whole history from the checkpoint, including the load_toolset turn
  const messages = sim.calls.at(-1)!.messages;
  expect(messages.find((message) => message.role === 'user')?.content).toBe('scale web to 6');
  expect(messages.filter((message) => message.role === 'tool')).toHaveLength(2);
  const storage = storageAfter();
  expect(await storage.approvals.get(conversationId, 'call_scale')).toMatchObject({ status: 'executed', decidedBy: userId });
  const timeline = (await storage.conversations.get(conversationId))!.timeline;
  expect(timeline.map((entry) => entry.type)).toEqual(['user', 'assistant']);
  expect(timeline[1]!.content).toBe('Scaled web to 6.');
  return conversationId;
}

/** chat, close the engine and its storage, open both again on the same database, approve there */
async function restartWhileAwaiting(openStorage: () => Promise<EngineStorage>): Promise<void> {
  let storage = await openStorage();
  const userId = await createUser(storage);
  const first = await startEngine(storage, createMemoryEventBus());
  let second: AgentTestApp | undefined;
  try {
    await chatThenApprove(
      first,
      async () => {
        await first.close();
        await storage.close();
        storage = await openStorage();
        second = await startEngine(storage, createMemoryEventBus());
        return second;
      },
      userId,
      () => storage,
    );
  } finally {
    await second?.close();
    await storage.close();
  }
}

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  mcp = await startFakeMcpServer();
  tools = createToolGateway({ client: mcp.client });
});

afterAll(async () => {
  await tools.close();
  await mcp.close();
  await sim.close();
});

describe('restart while awaiting approval', () => {
  it('PGlite: a new engine on the same data dir resumes the run', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'skyflo-restart-'));
    try {
      await restartWhileAwaiting(() => createPgliteStorage({ dataDir }));
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  describe('Postgres', () => {
    const database = testDatabaseName('restart');
    const url = testPostgresUrl(database);
    const redisPrefix = testRedisKeyPrefix('restart');
    beforeAll(async () => {
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${database}`);
      await admin.end();
    });
    afterAll(async () => {
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    });

    it('a new engine on the same database resumes the run', async () => {
      await restartWhileAwaiting(() => createPostgresStorage({ url }));
    });

    it('two engines on Postgres + Redis: chat on one, approve on the other, stop across them', async () => {
      const storageA = await createPostgresStorage({ url });
      const storageB = await createPostgresStorage({ url });
      const busA = await createEventBus({ redisUrl: testRedisUrl(), keyPrefix: redisPrefix });
      const busB = await createEventBus({ redisUrl: testRedisUrl(), keyPrefix: redisPrefix });
      await Promise.all([busA.ready(), busB.ready()]);
      const engineA = await startEngine(storageA, busA);
      const engineB = await startEngine(storageB, busB);
      try {
        const userId = await createUser(storageA);
        const conversationId = await chatThenApprove(engineA, async () => engineB, userId, () => storageA);

        // a stop posted to B ends a run streaming on A
        const response = await post(engineA, '/agent/chat', { messages: [{ role: 'user', content: 'slow answer please' }], conversation_id: conversationId }, userId);
        let tokens = 0;
        let ready: Record<string, unknown> = {};
        const frames: SseFrame[] = [];
        for await (const frame of iterateSse(response)) {
          frames.push(frame);
          if (frame.event === 'ready') ready = frame.data;
          if (frame.event === 'token' && ++tokens === 2) {
            const stop = await post(engineB, '/agent/stop', { conversation_id: conversationId, run_id: ready['run_id'] }, userId);
            expect(stop.status).toBe(200);
          }
        }
        expect(frames.at(-1)).toMatchObject({ event: 'completed', data: { status: 'stopped' } });
        // The answer is 3,000 tokens: the stop from B cut it short, and A's request to the model was cancelled.
        expect(tokens).toBeLessThan(3000);
        await vi.waitFor(() => expect(sim.calls.findLast((call) => JSON.stringify(call.messages).includes('slow answer please'))).toMatchObject({ aborted: true }));
      } finally {
        await engineA.close();
        await engineB.close();
        await busA.close();
        await busB.close();
        await storageA.close();
        await storageB.close();
      }
    });
  });
});
