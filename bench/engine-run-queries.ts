/**
 * How many round trips to the PGlite thread one chat run and one approval cost (the PGlite thread serialises every
 * statement, so on a busy machine the count, not the CPU, is what delays the start of 100 concurrent runs: P2, P4).
 * Lists each statement (its first 90 characters) in order with --list. The audit trail is on, as `skyflo serve` runs.
 * Prints figures; not a test; fails when a run did not complete.
 *   npx tsx bench/engine-run-queries.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { startLlmSim } from '@skyflo/testkit/llm-sim';
import { agentConfig, createEventBus, createPgliteStorage, createToolGateway, readSse, startAgentTestApp, startFakeMcpServer } from '@skyflo/engine/testing';
import { printBenchHeader } from './support/bench-header.ts';

printBenchHeader('engine-run-queries', 'PGlite (data dir, the default)');
console.log('  a mechanism figure: the engine runs in this process as a test app (test-header auth, no titles), not the shipped build; user-facing figures come from the shipped build (docs/benchmarks.md)');

// Every request the engine sends to the PGlite thread goes through Worker#postMessage, in arrays: the requests of one
// tick travel together (storage/pglite-thread/messages.ts). A round trip is a message; a run alone sends one request each.
let recording: string[][] | undefined;
const postMessage = Worker.prototype.postMessage;
Worker.prototype.postMessage = function (this: Worker, message: unknown, transfer?: never) {
  const requests = (Array.isArray(message) ? message : [message]) as Array<{ op?: string; sql?: string; begin?: boolean; statements?: unknown[] }>;
  recording?.push(
    requests.map((request) =>
      request.op === 'query' || request.op === 'exec'
        ? `${request.begin ? 'begin + ' : ''}${request.op}: ${String(request.sql).replace(/\s+/g, ' ').slice(0, 90)}`
        : `${String(request.op)}${request.statements ? ` (${request.statements.length} statements in one transaction)` : ''}`,
    ),
  );
  return postMessage.call(this, message, transfer);
};

const sim = await startLlmSim({
  port: 0,
  script: {
    rules: [
      { match: { userContains: 'scale', lastRole: 'user' }, reply: { toolCalls: [{ name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
      { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ name: 'k8s_scale', arguments: { name: 'web', replicas: 3 } }] } },
      { match: { always: true }, reply: { mode: 'stream', tokens: 20, tokensPerSecond: 1000 } },
    ],
  },
});
const mcp = await startFakeMcpServer();
const tools = createToolGateway({ client: mcp.client });
const dataDir = await mkdtemp(path.join(tmpdir(), 'skyflo-bench-queries-'));
const storage = await createPgliteStorage({ dataDir });
const created = await storage.users.create({ email: 'bench@example.test', hashedPassword: 'x', allowWhenUsersExist: true });
if (!created.ok) throw new Error(created.reason);
const provider = createOpenAICompatible({ baseURL: sim.url, name: 'sim', includeUsage: true });
// the audit trail on, as `skyflo serve` runs: each chat and decision writes its record
const app = await startAgentTestApp({ storage, audit: storage.audit, bus: await createEventBus({}), tools, llm: { model: provider.chatModel('sim-model'), modelName: 'sim' }, config: agentConfig({ titleGeneration: process.argv.includes('--titles') }) });
const post = (pathname: string, body: unknown) =>
  fetch(`${app.url}${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-user': created.user.id }, body: JSON.stringify(body) });

async function counted(label: string, action: () => Promise<void>) {
  await app.service.idle();
  recording = [];
  await action();
  await app.service.idle();
  const seen = recording;
  recording = undefined;
  console.log(`${label}: ${seen.length} round trips to the PGlite thread (${seen.flat().length} requests)`);
  if (process.argv.includes('--list')) for (const line of seen.flat()) console.log(`    ${line}`);
}

await readSse(await post('/agent/chat', { messages: [{ role: 'user', content: 'warm up' }] }));
let conversationId: string | undefined;
await counted('chat run, new conversation, 20 streamed tokens', async () => {
  const frames = await readSse(await post('/agent/chat', { messages: [{ role: 'user', content: 'hello' }] }));
  if (frames.at(-1)?.data['status'] !== 'completed') throw new Error(`the chat did not complete: ${frames.map((frame) => frame.event).join(',')}`);
  conversationId = String(frames[0]!.data['conversation_id']);
});
await counted('chat run, the same conversation again, 20 streamed tokens', async () => {
  const frames = await readSse(await post('/agent/chat', { conversation_id: conversationId, messages: [{ role: 'user', content: 'and now?' }] }));
  if (frames.at(-1)?.data['status'] !== 'completed') throw new Error(`the second chat did not complete: ${frames.map((frame) => `${frame.event} ${JSON.stringify(frame.data).slice(0, 200)}`).join('\n')}`);
});
let approval: { callId: string; conversationId: string; argsHash: string } | undefined;
await counted('chat run that stops for an approval', async () => {
  const frames = await readSse(await post('/agent/chat', { messages: [{ role: 'user', content: 'scale web' }] }));
  const awaiting = frames.find((frame) => frame.event === 'tool.awaiting_approval');
  if (!awaiting) throw new Error(`no approval requested: ${frames.map((frame) => frame.event).join(',')}`);
  approval = { callId: String(awaiting.data['call_id']), conversationId: String(frames[0]!.data['conversation_id']), argsHash: String(awaiting.data['args_hash']) };
});
await counted('approval → tool executed → run completed', async () => {
  const frames = await readSse(await post(`/agent/approvals/${approval!.callId}`, { approve: true, conversation_id: approval!.conversationId, args_hash: approval!.argsHash }));
  if (!frames.some((frame) => frame.event === 'tool.executing')) throw new Error(`not executed: ${frames.map((frame) => `${frame.event} ${JSON.stringify(frame.data).slice(0, 200)}`).join('\n')}`);
});

await app.close();
await storage.close();
await rm(dataDir, { recursive: true, force: true });
await tools.close();
await mcp.close();
await sim.close();
