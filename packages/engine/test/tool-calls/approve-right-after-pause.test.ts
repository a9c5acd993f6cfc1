/**
 * Issue 32, item 4: approving right after the pause answered 409 RUN_IN_PROGRESS (6 of 60 users who approved at once
 * on `completed{awaiting_approval: true}`): the paused run still held the conversation's claim, which it released only
 * after `completed` had gone out. Now the claim is released before `completed` is sent, so a client following the
 * protocol is never refused.
 * Two engine replicas on one Postgres database (of the suite's own) and one event bus, no sticky sessions: every run
 * streams from the busy replica (a small pool, 30 runs at once) and every decision lands on the idle one, which can
 * claim the conversation before the busy one's release gets a connection: how the refusals happened under load.
 */
import { randomBytes } from 'node:crypto';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryEventBus } from '../../src/adapters/bus/memory-event-bus.ts';
import { createSecretBox } from '../../src/platform/crypto/secret-box.ts';
import { agentConfig } from '../../src/platform/config/agent.ts';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import type { ToolGateway } from '../../src/platform/ports/tool-gateway.ts';
import type { EngineStorage } from '../../src/app/graph/checkpoints.ts';
import { createPostgresStorage } from '../../src/adapters/storage/postgres/postgres-storage.ts';
import { startAgentTestApp, type AgentTestApp } from '../../src/testing/agent-test-app.ts';
import { startFakeMcpServer, type FakeMcpServer } from '../../src/testing/fake-mcp-server.ts';
import { iterateSse, readSse, type SseFrame } from '../../src/testing/read-sse.ts';
import { createTestPostgresDatabase, type TestPostgresDatabase } from '../support/test-databases.ts';

let sim: LlmSim;
let mcp: FakeMcpServer;
let tools: ToolGateway;
let database: TestPostgresDatabase;
let busyStorage: EngineStorage;
let idleStorage: EngineStorage;
let busy: AgentTestApp;
let idle: AgentTestApp;
let user: string;

const post = (engine: AgentTestApp, path: string, body: unknown) =>
  fetch(`${engine.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-user': user }, body: JSON.stringify(body), signal: AbortSignal.timeout(180_000) });

beforeAll(async () => {
  [sim, mcp, database] = await Promise.all([startLlmSim({ port: 0 }), startFakeMcpServer(), createTestPostgresDatabase()]);
  tools = createToolGateway({ client: mcp.client, cacheMs: 60_000 });
  [busyStorage, idleStorage] = await Promise.all([createPostgresStorage({ url: database.url, poolSize: 2 }), createPostgresStorage({ url: database.url })]);
  const created = await busyStorage.users.create({ email: 'ops@example.com', hashedPassword: 'x', allowWhenUsersExist: true });
  if (!created.ok) throw new Error(created.reason);
  user = created.user.id;
  const provider = createOpenAICompatible({ baseURL: sim.url, name: 'sim', includeUsage: true });
  const bus = createMemoryEventBus();
  // replicas share the key that seals calls awaiting approval (SKYFLO_ENCRYPTION_KEY), or one could not run what the other recorded
  const secretBox = createSecretBox(randomBytes(32));
  const replica = (storage: EngineStorage) =>
    startAgentTestApp({
      storage,
      bus,
      secretBox,
      // the decisions are recorded as skyflo serve records them
      audit: storage.audit,
      tools,
      llm: { model: provider.chatModel('sim-model'), modelName: 'sim/sim-model' },
      config: agentConfig({ titleGeneration: false, retryBaseDelayMs: 1, heartbeatMs: 60_000, maxRunsPerUser: 100 }),
    });
  [busy, idle] = await Promise.all([replica(busyStorage), replica(idleStorage)]);
}, 60_000);

afterAll(async () => {
  await busy?.close();
  await idle?.close();
  await tools?.close();
  await mcp?.close();
  await busyStorage?.close();
  await idleStorage?.close();
  await database?.drop();
  await sim?.close();
});

/**
 * Streams one run and, the moment it ends with `completed{awaiting_approval}`, approves the call it waits for (what a
 * client following the protocol does); returns the decision's answer, or undefined when the run did not pause.
 */
async function approveOnPause(stream: Response, on: AgentTestApp): Promise<Response | undefined> {
  const frames: SseFrame[] = [];
  let decision: Promise<Response> | undefined;
  for await (const frame of iterateSse(stream)) {
    frames.push(frame);
    if (frame.event === 'completed' && frame.data['awaiting_approval'] === true) {
      const awaiting = frames.findLast((seen) => seen.event === 'tool.awaiting_approval')!;
      decision = post(on, `/agent/approvals/${String(awaiting.data['call_id'])}`, { approve: true, conversation_id: frame.data['conversation_id'], args_hash: awaiting.data['args_hash'] });
    }
  }
  return decision;
}

describe('approving the moment the run pauses', () => {
  it('is never refused: 30 conversations at once, each approving two calls on the other replica as soon as completed{awaiting_approval} arrives', async () => {
    // each conversation changes a deployment of its own (named in its message), so no preview goes stale under another
    for (let index = 0; index < 30; index += 1) mcp.replicas.set(`web-${index}`, 2);
    sim.reset({
      rules: [
        { match: { lastRole: 'user' }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_scale', name: 'k8s_scale', arguments: { name: '{{lastUserMessage}}', replicas: 3 } }] } },
        // the run the first approval starts pauses again, for a second call
        { match: { toolName: 'k8s_scale' }, reply: { toolCalls: [{ id: 'call_delete', name: 'k8s_delete', arguments: { name: '{{lastUserMessage}}' } }] } },
        { match: { toolName: 'k8s_delete' }, reply: 'Done.' },
      ],
    });
    const refusals: string[] = [];
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, async (_, index) => {
        const first = await approveOnPause(await post(busy, '/agent/chat', { messages: [{ role: 'user', content: `web-${index}` }] }), idle);
        if (first?.status !== 200) return refusals.push(`first: ${first?.status} ${await first?.text()}`);
        // the first decision's run streams from the idle replica; the second decision goes to the busy one
        const second = await approveOnPause(first, busy);
        if (second?.status !== 200) return refusals.push(`second: ${second?.status} ${await second?.text()}`);
        return (await readSse(second)).at(-1);
      }),
    );
    expect(refusals).toEqual([]);
    for (const outcome of outcomes) expect(outcome).toMatchObject({ event: 'completed', data: { status: 'completed' } });
    expect(mcp.calls.filter((call) => call.name === 'k8s_scale')).toHaveLength(30);
    expect(mcp.calls.filter((call) => call.name === 'k8s_delete')).toHaveLength(30);
  }, 300_000);
});
