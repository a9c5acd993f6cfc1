/**
 * Issue 32, item 5: a stream re-attached (on another engine replica) during a Redis outage ended with "The engine
 * process running this run stopped (its lease lapsed)" although that engine was alive and had ended the run itself
 * (its events could not be published). Now the stream says what happened: the event stream failed.
 * Two replicas (agent apps with a Redis bus each) on one PGlite storage, and a Redis server of the test's own,
 * spawned on a free loopback port, so killing it touches nothing else.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { PGlite } from '@electric-sql/pglite';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisEventBus } from '../../src/adapters/bus/redis-event-bus.ts';
import { agentConfig } from '../../src/platform/config/agent.ts';
import { deadRunMessage } from '../../src/http/routes/agent/stream-run.ts';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import type { EngineStorage } from '../../src/app/graph/checkpoints.ts';
import { createPgliteStorage } from '../../src/adapters/storage/pglite/pglite-storage.ts';
import { startAgentTestApp, type AgentTestApp } from '../../src/testing/agent-test-app.ts';
import { startFakeMcpServer, type FakeMcpServer } from '../../src/testing/fake-mcp-server.ts';
import { iterateSse, type SseFrame } from '../../src/testing/read-sse.ts';
import { createTestPglite } from '../support/test-databases.ts';

let sim: LlmSim;
let lite: PGlite;
let storage: EngineStorage;
let mcp: FakeMcpServer;
let redis: ChildProcess;
let buses: Array<ReturnType<typeof createRedisEventBus>> = [];
let running: AgentTestApp;
let watching: AgentTestApp;
let user: string;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  ({ lite } = await createTestPglite());
  storage = await createPgliteStorage({ lite });
  mcp = await startFakeMcpServer();
  const created = await storage.users.create({ email: 'ops@example.com', hashedPassword: 'x', allowWhenUsersExist: true });
  if (!created.ok) throw new Error(created.reason);
  user = created.user.id;
  const port = await freePort();
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const keyPrefix = `skyflo-test-${randomUUID()}:`;
  buses = [0, 1].map(() => createRedisEventBus({ url: `redis://127.0.0.1:${port}`, keyPrefix, connectAttempts: 50 }));
  await Promise.all(buses.map((bus) => bus.ready()));
  const provider = createOpenAICompatible({ baseURL: sim.url, name: 'sim', includeUsage: true });
  // a short lease, so the re-attached stream checks on the run every few hundred milliseconds
  const replica = (bus: ReturnType<typeof createRedisEventBus>) =>
    startAgentTestApp({
      storage,
      bus,
      tools: createToolGateway({ client: mcp.client }),
      llm: { model: provider.chatModel('sim-model'), modelName: 'sim/sim-model' },
      config: agentConfig({ titleGeneration: false, retryBaseDelayMs: 1, heartbeatMs: 200, runLeaseMs: 900 }),
    });
  [running, watching] = await Promise.all([replica(buses[0]!), replica(buses[1]!)]);
});

afterAll(async () => {
  await running?.close();
  await watching?.close();
  await Promise.all(buses.map((bus) => bus.close()));
  if (redis?.exitCode === null) redis.kill('SIGKILL');
  await mcp?.close();
  await storage?.close();
  await lite?.close();
  await sim?.close();
});

describe('a stream re-attached on another replica when Redis dies', () => {
  it('ends saying the event stream failed, not that the (live) engine stopped', async () => {
    sim.reset({ rules: [{ match: { always: true }, reply: { mode: 'stream', tokens: 600, tokensPerSecond: 40 } }] });
    const headers = { 'content-type': 'application/json', 'x-test-user': user };
    const chat = await fetch(`${running.url}/agent/chat`, { method: 'POST', headers, body: JSON.stringify({ messages: [{ role: 'user', content: 'explain everything' }] }) });
    const original = iterateSse(chat);
    const ready = (await original.next()).value as SseFrame;
    // the original client keeps reading (its own stream ends with the run's bus error)
    const originalDone = (async () => {
      for await (const _frame of original);
    })();

    const reattached = await fetch(`${watching.url}/agent/runs/${String(ready.data['run_id'])}/events?conversation_id=${String(ready.data['conversation_id'])}`, { headers, signal: AbortSignal.timeout(30_000) });
    expect(reattached.status).toBe(200);
    const frames: SseFrame[] = [];
    for await (const frame of iterateSse(reattached)) {
      frames.push(frame);
      if (frame.event === 'token' && frames.filter((seen) => seen.event === 'token').length === 3) redis.kill('SIGKILL');
    }
    await originalDone;

    // the engine running the run was alive and ended the run itself (before its lease ran out), for the bus error
    const run = await storage.runs.get(String(ready.data['run_id']));
    expect(run?.status).toBe('finished');
    expect(run!.finishedAt!.getTime()).toBeLessThanOrEqual(run!.leaseUntil.getTime());
    const end = frames.at(-1)!;
    expect(end).toMatchObject({ event: 'completed', data: { status: 'error' } });
    expect(end.data['error']).not.toBe(deadRunMessage);
    expect(String(end.data['error'])).toMatch(/^The event stream failed \(Redis \(redis:\/\/127\.0\.0\.1:\d+\/?\) is unreachable.*\), so this run's last events could not reach this stream; the engine running the run was not stopped by it\./);
  }, 60_000);
});
