/**
 * Issue 75 item 3: after a Postgres kill -9, approval streams sent `ready` and then only heartbeats for 6–14 minutes.
 * Every run stream — the chat or approval that started the run here, not only a re-attached one — now watches its run:
 * one whose state cannot be read for a lease, or whose lease lapses (nobody renews it), ends with `completed(error)`
 * saying so, and heartbeats stop with it. The run here waits on a model that never answers, so only the watch can end
 * its stream; the run store refuses reads or renewals as a database that went away does.
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryEventBus } from '../../src/adapters/bus/memory-event-bus.ts';
import { agentConfig } from '../../src/platform/config/agent.ts';
import { deadRunMessage } from '../../src/http/routes/agent/stream-run.ts';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import type { AgentStorage } from '../../src/app/graph/checkpoints.ts';
import { startAgentTestApp, type AgentTestApp } from '../../src/testing/agent-test-app.ts';
import { startFakeMcpServer, type FakeMcpServer } from '../../src/testing/fake-mcp-server.ts';
import { createInMemoryStorage } from '../../src/testing/in-memory-storage.ts';
import { readSse } from '../../src/testing/read-sse.ts';

const runLeaseMs = 900;
let sim: LlmSim;
let mcp: FakeMcpServer;
let harness: AgentTestApp;
/** what the database refuses now: reading runs, renewing their leases */
const refusing = { reads: false, renewals: false };

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  sim.reset({ rules: [{ match: { always: true }, failure: { kind: 'hang' } }] });
  mcp = await startFakeMcpServer();
  const memory = createInMemoryStorage();
  const unavailable = () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
  const storage: AgentStorage = {
    ...memory,
    runs: {
      ...memory.runs,
      get: (runId) => (refusing.reads ? unavailable() : memory.runs.get(runId)),
      renew: (runId, leaseMs) => (refusing.renewals ? unavailable() : memory.runs.renew(runId, leaseMs)),
    },
  };
  const provider = createOpenAICompatible({ baseURL: sim.url, name: 'sim', includeUsage: true });
  harness = await startAgentTestApp({
    storage,
    bus: createMemoryEventBus(),
    tools: createToolGateway({ client: mcp.client }),
    llm: { model: provider.chatModel('sim-model'), modelName: 'sim/sim-model' },
    config: agentConfig({ titleGeneration: false, retryBaseDelayMs: 1, heartbeatMs: 100, runLeaseMs }),
  });
});

afterAll(async () => {
  refusing.reads = false;
  refusing.renewals = false;
  // the model's hanging requests end with the sim, and the runs waiting on them with those
  await sim?.close();
  await harness?.close().catch(() => undefined);
  await mcp?.close();
});

/** A chat whose model never answers; `fault` starts once its stream is open. Resolves with the stream's frames. */
async function chatWhile(fault: () => void) {
  const response = await fetch(`${harness.url}/agent/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-test-user': 'alice' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'what is running?' }] }),
    // only so a stream that never ends fails the test instead of stalling it
    signal: AbortSignal.timeout(60_000),
  });
  expect(response.status).toBe(200);
  fault();
  return readSse(response);
}

describe('a stream whose run cannot be vouched for ends within about a lease', () => {
  it('its state unreadable (the database gone): completed(error) saying so, and no heartbeat after it', async () => {
    const frames = await chatWhile(() => (refusing.reads = true));
    refusing.reads = false;
    const completed = frames.at(-1)!;
    expect(completed).toMatchObject({ event: 'completed', data: { status: 'error' } });
    expect(String(completed.data['error'])).toMatch(/^This run's state could not be read for \d+ s \(the database did not answer: connect ECONNREFUSED 127\.0\.0\.1:5432\), so this stream cannot follow it to its end and stops here\./);
    expect(frames.filter((frame) => frame.event === 'completed')).toHaveLength(1);
  });

  it('its lease lapsed (nobody could renew it): completed(error) saying the run is no longer alive', async () => {
    const frames = await chatWhile(() => (refusing.renewals = true));
    refusing.renewals = false;
    expect(frames.at(-1)).toMatchObject({ event: 'completed', data: { status: 'error', error: deadRunMessage } });
  });
});
