/**
 * How often a run writes the conversation's timeline (issue 25, P2). On PGlite every write is five round trips to
 * the one database thread that serves all runs, so 100 runs starting together waited seconds for each other's
 * writes. A run now writes the user's message at once, a tool's progress and the end at once, and lets the events
 * that only complete what the client already shows (first-token time, the finished answer, usage) ride along with
 * the next write (the first-token time never writes on its own; the others wait timelineFlushMs at most).
 * What the conversation holds at the end must not change.
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { PGlite } from '@electric-sql/pglite';
import type { TimelineEntry } from '@skyflo/protocol';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryEventBus } from '../../src/adapters/bus/memory-event-bus.ts';
import { agentConfig } from '../../src/platform/config/agent.ts';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import type { EngineStorage } from '../../src/app/graph/checkpoints.ts';
import { createPgliteStorage } from '../../src/adapters/storage/pglite/pglite-storage.ts';
import { startAgentTestApp, type AgentTestApp } from '../../src/testing/agent-test-app.ts';
import { startFakeMcpServer, type FakeMcpServer } from '../../src/testing/fake-mcp-server.ts';
import { readSse } from '../../src/testing/read-sse.ts';
import { createTestPglite } from '../support/test-databases.ts';

let sim: LlmSim;
let lite: PGlite;
let storage: EngineStorage;
let mcp: FakeMcpServer;
let user: string;
/** every timeline the storage wrote, per conversation, in order */
const writes = new Map<string, TimelineEntry[][]>();

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  ({ lite } = await createTestPglite());
  const real = await createPgliteStorage({ lite });
  // The real store, watched: each write's result is recorded (the runs under test see no difference). A run's last
  // write also releases its conversation (updateTimelineAndFinishRun): one write all the same.
  const record = (id: string, after: TimelineEntry[]) => {
    writes.set(id, [...(writes.get(id) ?? []), structuredClone(after)]);
    return after;
  };
  const updateTimeline = real.conversations.updateTimeline.bind(real.conversations);
  const updateTimelineAndFinishRun = real.conversations.updateTimelineAndFinishRun!.bind(real.conversations);
  real.conversations.updateTimeline = async (id, change) => record(id, await updateTimeline(id, change));
  real.conversations.updateTimelineAndFinishRun = async (id, change, runId) => record(id, await updateTimelineAndFinishRun(id, change, runId));
  storage = real;
  mcp = await startFakeMcpServer();
  const created = await storage.users.create({ email: 'ops@example.com', hashedPassword: 'x', allowWhenUsersExist: true });
  if (!created.ok) throw new Error(created.reason);
  user = created.user.id;
});

afterAll(async () => {
  await mcp?.close();
  await storage?.close();
  await lite?.close();
  await sim?.close();
});

async function app(timelineFlushMs: number): Promise<AgentTestApp> {
  const provider = createOpenAICompatible({ baseURL: sim.url, name: 'sim', includeUsage: true });
  return startAgentTestApp({
    storage,
    bus: createMemoryEventBus(),
    tools: createToolGateway({ client: mcp.client }),
    llm: { model: provider.chatModel('sim-model'), modelName: 'sim/sim-model' },
    config: agentConfig({ titleGeneration: false, retryBaseDelayMs: 1 }),
    timelineFlushMs,
  });
}

const chat = (harness: AgentTestApp, content: string) =>
  fetch(`${harness.url}/agent/chat`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-user': user }, body: JSON.stringify({ messages: [{ role: 'user', content }] }) });

const assistantOf = (timeline: TimelineEntry[]) => timeline.find((entry) => entry.type === 'assistant') as Extract<TimelineEntry, { type: 'assistant' }> | undefined;

describe('a chat run writes its timeline', () => {
  it('once for a plain answer: the user message comes with the conversation, then the answer with its first-token time, usage and end together', async () => {
    await sim.setScript({ rules: [{ reply: { mode: 'stream', tokens: 12, tokensPerSecond: 200 } }] });
    const harness = await app(60_000);
    try {
      const frames = await readSse(await chat(harness, 'say something'));
      expect(frames.at(-1)).toMatchObject({ event: 'completed', data: { status: 'completed' } });
      const conversationId = String(frames[0]!.data['conversation_id']);
      const answer = String(frames.find((frame) => frame.event === 'generation.complete')!.data['content']);

      const written = writes.get(conversationId)!;
      // before: the user message, the first-token time, the answer + usage, the end: three or four writes (5 round trips each on PGlite);
      // the user message is now written by the statement that starts the chat (storage/start-chat.ts), so one write is left
      expect(written).toHaveLength(1);
      expect(written[0]!.map((entry) => entry.type)).toEqual(['user', 'assistant']);
      expect(written[0]![0]).toMatchObject({ type: 'user', content: 'say something' });
      // what the conversation keeps is complete: the answer, its usage and first-token time, the run's duration
      const stored = (await storage.conversations.get(conversationId))!.timeline;
      expect(stored).toEqual(written[0]);
      const assistant = assistantOf(stored)!;
      expect(assistant.content).toBe(answer);
      expect(assistant.token_usage).toMatchObject({ ttft_ms: expect.any(Number), total_tokens: expect.any(Number), ttr_ms: expect.any(Number) });
      expect(assistant.segments.every((segment) => segment.kind !== 'text' || segment.streaming !== true)).toBe(true);
    } finally {
      await harness.close();
    }
  });
});
