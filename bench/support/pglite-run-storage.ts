/**
 * The storage half of a chat run on PGlite, without the model or HTTP: N runs at once each create a conversation,
 * claim it (runs.begin with the per-user limit), write the user entry and the finished answer to the timeline, and
 * finish. Prints the process's CPU time (all threads) and the wall time, so the cost of talking to the PGlite thread
 * can be compared across two checkouts on a loaded machine (P2's closing note). Not a test.
 *   npx tsx bench/support/pglite-run-storage.ts [runs=300] [rounds=3]
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { appendUserEntry } from '@skyflo/protocol';
import { createPgliteStorage } from '@skyflo/engine/testing';
import { failBench, machineLoad } from './bench-header.ts';

const runs = Number(process.argv[2] ?? 300);
const rounds = Number(process.argv[3] ?? 3);
const dataDir = await mkdtemp(path.join(tmpdir(), 'skyflo-bench-run-storage-'));
const storage = await createPgliteStorage({ dataDir });
const users: string[] = [];
for (let index = 0; index < runs; index += 1) {
  const created = await storage.users.create({ email: `run-storage-${index}@example.test`, hashedPassword: 'x', allowWhenUsersExist: true });
  if (!created.ok) failBench(created.reason);
  users.push(created.user.id);
}

async function oneRun(userId: string): Promise<number> {
  const conversation = await storage.conversations.create({ userId });
  const runId = randomUUID();
  const claimed = await storage.runs.begin({ runId, conversationId: conversation.id, leaseMs: 60_000, userId, maxRunningPerUser: 3 });
  if (!claimed.ok) throw new Error(`run not claimed: ${claimed.reason}`);
  await storage.conversations.updateTimeline(conversation.id, (timeline) => appendUserEntry(timeline, { id: randomUUID(), content: 'bench', timestamp: Date.now() }));
  const answer = { id: randomUUID(), type: 'assistant' as const, content: 'x'.repeat(400), timestamp: Date.now(), segments: [] };
  const after = await storage.conversations.updateTimeline(conversation.id, (timeline) => [...timeline, answer as never]);
  await storage.runs.finish(runId);
  return after.length;
}

console.log(`PGlite run storage: ${runs} runs at once, ${rounds} rounds; ${machineLoad()}`);
for (let round = 1; round <= rounds; round += 1) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const lengths = await Promise.all(users.map(oneRun));
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  if (lengths.some((length) => length !== 2)) failBench(`a timeline has the wrong number of entries: ${lengths.slice(0, 5).join(', ')}`);
  const cpuMs = (used.user + used.system) / 1000;
  console.log(`  round ${round}: wall ${wall.toFixed(0)} ms (${(wall / runs).toFixed(2)} ms per run), CPU ${cpuMs.toFixed(0)} ms (${(cpuMs / runs).toFixed(2)} ms per run, both threads); ${machineLoad()}`);
}
await storage.close();
await rm(dataDir, { recursive: true, force: true });
