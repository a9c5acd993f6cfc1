/**
 * P4: latency from POST /agent/approvals/{call_id} to the `tool.executing` frame (decision recorded atomically,
 * checkpoint loaded, hash and preview re-checked, execution claimed, tool started). Goal: p50 < 10 ms on PGlite.
 * Rows: PGlite (the all-in-one default, a data dir), then Postgres at 127.0.0.1:5432 (a scratch database, dropped
 * afterwards); each with its ratio to in-memory storage measured first in the same run (the engine's own cost).
 * The client runs on its own thread (support/sse-timing-client.mjs), as a real client is another process. It is
 * node:http with a keep-alive agent (since Nov 2026): undici's fetch, whose web-stream body adds milliseconds per
 * response that are the client's and not the engine's, is kept behind --fetch-client so figures taken with it (all
 * before Nov 2026) can be compared. --same-thread-client reads the stream on the engine's event loop instead (the
 * method of figures before Nov 2026).
 * Prints figures; not a test. Fails when an approval did not start the tool or the tool did not run.
 * The engine records decisions and run events in the storage's audit trail, as `skyflo serve` does (in-memory storage
 * has none, so its baseline row is unchanged); --no-audit runs without one, as every figure before Nov 2026 did.
 *   npx tsx bench/engine-approval-latency.ts [approvals=50] [--no-pglite] [--no-postgres] [--trace] [--fetch-client] [--same-thread-client] [--no-audit]
 * --trace prints, per storage, the median span of every storage, checkpointer, tool gateway and bus call made
 * between the POST and the end of its stream (where the milliseconds go).
 * Each row also prints the CPU per approval of the main thread and PGlite's thread (/proc ticks summed over all the
 * approvals after the warm-up): on a shared machine the latencies move with its other work, the CPU much less.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { agentConfig, createEventBus, createInMemoryStorage, createPgliteStorage, createPostgresStorage, createToolGateway, iterateSse, readSse, startAgentTestApp, startFakeMcpServer } from '@skyflo/engine/testing';
import type { ToolGateway } from '@skyflo/engine/testing';
import type { EngineStorage, AgentStorage } from '@skyflo/engine';
import pg from 'pg';
import { printBenchHeader } from './support/bench-header.ts';
import { createSpanTrace } from './support/span-trace.ts';
import { mainAndThreadsCpu, threadsStartedBy } from './support/thread-cpu.ts';
import { Worker } from 'node:worker_threads';
import { testDatabaseName, testPostgresAdminUrl, testPostgresUrl } from '@skyflo/testkit/services';
import { percentile } from './support/statistics.ts';
import { benchArguments } from './support/bench-arguments.ts';

printBenchHeader('engine-approval-latency', 'one row each for in-memory, PGlite (data dir, the default) and Postgres on 127.0.0.1:5432');
console.log('  a mechanism figure: the engine runs in this process as a test app (test-header auth, no titles), not the shipped build; user-facing figures come from the shipped build (docs/benchmarks.md)');

const commandLine = benchArguments(
  'npx tsx bench/engine-approval-latency.ts [approvals=50] [--no-pglite] [--no-postgres] [--trace] [--fetch-client] [--same-thread-client] [--no-audit]',
  [{ name: 'approvals', fallback: 50 }],
  ['--no-pglite', '--no-postgres', '--trace', '--fetch-client', '--same-thread-client', '--no-audit'],
);
const [count] = commandLine.counts;
const withPglite = !commandLine.flags['--no-pglite'];
const withPostgres = !commandLine.flags['--no-postgres'];
const trace = commandLine.flags['--trace'] ? createSpanTrace() : undefined;
const sameThreadClient = commandLine.flags['--same-thread-client'];
const fetchClient = commandLine.flags['--fetch-client'];
const withAudit = !commandLine.flags['--no-audit'];

/** POSTs and reads the SSE stream on the client thread: ms from the POST to the first frame of each event. */
function createThreadClient() {
  const worker = new Worker(new URL('./support/sse-timing-client.mjs', import.meta.url), { workerData: { client: fetchClient ? 'fetch' : 'http' } });
  type Reply = { id: number; status?: number; seen?: Record<string, number>; error?: string };
  const waiting = new Map<number, (reply: Reply) => void>();
  let next = 0;
  worker.on('message', (reply: Reply) => {
    waiting.get(reply.id)?.(reply);
    waiting.delete(reply.id);
  });
  return {
    async post(url: string, headers: Record<string, string>, body: unknown): Promise<{ status: number; seen: Record<string, number> }> {
      const id = next++;
      const reply = await new Promise<Reply>((resolve) => {
        waiting.set(id, resolve);
        worker.postMessage({ id, url, headers, body: JSON.stringify(body) });
      });
      if (reply.error !== undefined) throw new Error(`the client thread's request failed: ${reply.error}`);
      return { status: reply.status!, seen: reply.seen! };
    },
    close: () => worker.terminate(),
  };
}

/** With --trace: the same storage, its stores and checkpointer recording spans. */
function traced(storage: AgentStorage): AgentStorage {
  if (!trace) return storage;
  return {
    ...storage,
    conversations: trace.wrap('conversations', storage.conversations),
    approvals: trace.wrap('approvals', storage.approvals),
    runs: trace.wrap('runs', storage.runs),
    checkpointer: async () => trace.wrap('checkpointer', await storage.checkpointer()),
  };
}


async function measure(label: string, sim: LlmSim, untracedTools: ToolGateway, untracedStorage: AgentStorage, userId: string, executed: () => number, storageThreads: string[] = []) {
  const storage = traced(untracedStorage);
  const tools = trace ? trace.wrap('tools', untracedTools) : untracedTools;
  const provider = createOpenAICompatible({ baseURL: sim.url, name: 'sim', includeUsage: true });
  const audit = withAudit ? (untracedStorage as Partial<EngineStorage>).audit : undefined;
  const app = await startAgentTestApp({ storage, ...(audit ? { audit } : {}), bus: trace ? trace.wrap('bus', await createEventBus({})) : await createEventBus({}), tools, llm: { model: provider.chatModel('sim-model'), modelName: 'sim' }, config: agentConfig({ titleGeneration: false }) });
  const post = (pathname: string, body: unknown) =>
    fetch(`${app.url}${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-user': userId }, body: JSON.stringify(body) });
  const client = sameThreadClient ? undefined : createThreadClient();
  const executedBefore = executed();
  const latencies: number[] = [];
  // Where the time goes: POST → `ready` (HTTP, auth, decision recorded), → `tool.approved` (run start, checkpoint
  // loaded, gate), → `tool.executing` (preview re-checked, execution claimed). With --same-thread-client the client
  // shares the engine's event loop, so with storage that never leaves the process (in-memory, PGlite) the frames are
  // read together and only the total counts.
  const phases = { ready: [] as number[], approved: [] as number[], executing: [] as number[] };
  let cpuFrom = mainAndThreadsCpu(storageThreads);
  for (let index = 0; index < count + 3; index += 1) {
    if (index === 3) cpuFrom = mainAndThreadsCpu(storageThreads);
    const chat = await readSse(await post('/agent/chat', { messages: [{ role: 'user', content: `scale web to ${index % 5}` }] }));
    const awaiting = chat.find((frame) => frame.event === 'tool.awaiting_approval');
    if (!awaiting) throw new Error(`no approval requested: ${chat.map((frame) => frame.event).join(',')}`);
    const decision = { approve: true, conversation_id: chat[0]!.data['conversation_id'], args_hash: awaiting.data['args_hash'] };
    const pathname = `/agent/approvals/${String(awaiting.data['call_id'])}`;
    trace?.mark();
    let status: number;
    let seen: Record<string, number> = {};
    if (client) {
      ({ status, seen } = await client.post(`${app.url}${pathname}`, { 'content-type': 'application/json', 'x-test-user': userId }, decision));
    } else {
      const started = performance.now();
      const response = await post(pathname, decision);
      status = response.status;
      for await (const frame of iterateSse(response, started)) seen[frame.event] ??= frame.at;
    }
    trace?.done();
    // an approval that did not start the tool is a failed measurement, not a fast one
    if (seen['tool.executing'] === undefined) throw new Error(`approval ${index} did not reach tool.executing (HTTP ${status}; frames: ${Object.keys(seen).join(', ') || 'none'})`);
    if (index >= 3) {
      // first 3 are warm-up
      latencies.push(seen['tool.executing']);
      phases.ready.push(seen['ready'] ?? NaN);
      phases.approved.push((seen['tool.approved'] ?? NaN) - (seen['ready'] ?? NaN));
      phases.executing.push(seen['tool.executing'] - (seen['tool.approved'] ?? NaN));
    }
  }
  // the approvals' runs have ended (their last writes included) before the CPU is read
  await app.service.idle();
  const cpuTo = mainAndThreadsCpu(storageThreads);
  await app.close();
  await client?.close();
  // every approval ran the tool on the (fake) cluster, once
  if (executed() - executedBefore !== count + 3) throw new Error(`${label}: ${executed() - executedBefore} tool executions for ${count + 3} approvals`);
  if (trace) {
    const before = trace.countBefore('bus.publish(tool.executing)', ['conversations.', 'approvals.', 'runs.', 'checkpointer.']);
    // a checkpointer read counts here even when the PGlite storage answers it from the checkpoint it keeps (no database)
    console.log(`   store and checkpointer calls before tool.executing was published: ${before} (median; on PGlite the checkpointer's reads of a kept checkpoint reach no database)`);
    trace.print(label);
  }
  console.log(`P4 ${label}: approval POST → tool.executing over ${latencies.length} approvals: p50 ${percentile(latencies, 50).toFixed(2)} ms, p90 ${percentile(latencies, 90).toFixed(2)} ms, max ${Math.max(...latencies).toFixed(2)} ms (goal p50 < 10 ms)`);
  // CPU, unlike the latencies, does not move with what else the machine runs; ticks of 10 ms, summed over all approvals
  const perApproval = (ms: number) => (ms / count).toFixed(2);
  console.log(
    `   CPU per approval (the chat that asks for it, the approval, the rest of its run): main thread ${perApproval(cpuTo.mainMs - cpuFrom.mainMs)} ms (the engine, llm-sim and the fake MCP server)` +
      (storageThreads.length ? `, PGlite thread ${perApproval(cpuTo.threadsMs - cpuFrom.threadsMs)} ms` : ''),
  );
  console.log(`   p50 phases: POST → ready ${percentile(phases.ready, 50).toFixed(2)} ms, ready → tool.approved ${percentile(phases.approved, 50).toFixed(2)} ms, tool.approved → tool.executing ${percentile(phases.executing, 50).toFixed(2)} ms`);
  return percentile(latencies, 50);
}

async function main() {
  const sim = await startLlmSim({
    port: 0,
    script: {
      rules: [
        { match: { lastRole: 'user' }, reply: { toolCalls: [{ name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ name: 'k8s_scale', arguments: { name: 'web', replicas: 3 } }] } },
        { match: { always: true }, reply: 'done' },
      ],
    },
  });
  const mcp = await startFakeMcpServer();
  const tools = createToolGateway({ client: mcp.client });
  const executed = () => mcp.calls.filter((call) => call.name === 'k8s_scale').length;
  console.log(withAudit ? 'audit trail: on for PGlite and Postgres, as skyflo serve runs (--no-audit: off)' : 'audit trail: off (--no-audit), unlike skyflo serve');
  console.log(`client: ${sameThreadClient ? "fetch on the engine's event loop (--same-thread-client)" : fetchClient ? "undici's fetch on its own thread (--fetch-client)" : 'node:http (keep-alive) on its own thread'}`);
  const memoryP50 = await measure('in-memory storage (baseline)', sim, tools, createInMemoryStorage(), 'bench', executed);
  const ratio = (p50: number) => console.log(`   p50 ratio to in-memory storage in this run: ${(p50 / memoryP50).toFixed(2)}×`);
  if (withPglite) {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'skyflo-bench-p4-'));
    // the thread that appears while the storage opens is PGlite's
    const { value: storage, threads } = await threadsStartedBy(() => createPgliteStorage({ dataDir }));
    const created = await storage.users.create({ email: 'bench@example.test', hashedPassword: 'x', allowWhenUsersExist: true });
    if (!created.ok) throw new Error(created.reason);
    ratio(await measure('PGlite storage', sim, tools, storage, created.user.id, executed, threads));
    await storage.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  if (withPostgres) {
    const database = testDatabaseName('bench');
    const admin = new pg.Client({ connectionString: testPostgresAdminUrl() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    try {
      const storage = await createPostgresStorage({ url: testPostgresUrl(database) });
      const created = await storage.users.create({ email: 'bench@example.test', hashedPassword: 'x', allowWhenUsersExist: true });
      if (!created.ok) throw new Error(created.reason);
      ratio(await measure('Postgres storage', sim, tools, storage, created.user.id, executed));
      await storage.close();
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    }
  }
  await tools.close();
  await mcp.close();
  await sim.close();
}

await main();
