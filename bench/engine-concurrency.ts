/**
 * P2: concurrent chat streams on one engine process. Every stream gets paced tokens from llm-sim (interval T);
 * a token's lateness = how far behind the stream's own schedule it arrived (see lateness()). The same streams read
 * directly from llm-sim give the baseline lateness, and the engine's added token latency is the difference of the
 * percentiles. Goal: ≥ 1,000 streams with p99 added < 50 ms.
 * Three processes, so nobody's CPU counts against the engine: llm-sim (`node testkit/bin/llm-sim.mjs`), the engine
 * (this file with --serve) and the clients (this file). The machine's cores are still shared by all three.
 * Streams start 1 ms apart (a burst of 1,000 SYNs overflows the listen backlog).
 * Prints figures; not a test.
 *   npx tsx bench/engine-concurrency.ts [streams=100,500,1000] [tokens=40] [tokensPerSecond=20]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { repoRoot } from '@skyflo/testkit/tools';
import { Agent, setGlobalDispatcher } from 'undici';
import { agentConfig } from '../packages/engine/src/config/agent.ts';
import { createToolGateway } from '../packages/engine/src/mcp/create-tool-gateway.ts';
import { startAgentTestApp } from '../packages/engine/src/testing/agent-test-app.ts';
import { startFakeMcpServer } from '../packages/engine/src/testing/fake-mcp-server.ts';
import { createEventBus } from '../packages/engine/src/bus/create-event-bus.ts';
import { createInMemoryStorage } from '../packages/engine/src/testing/in-memory-storage.ts';
import { iterateSse } from '../packages/engine/src/testing/read-sse.ts';

const serveIndex = process.argv.indexOf('--serve');
// --serve <llm-sim URL>: this process is the engine under test
const serveSimUrl = serveIndex >= 0 ? process.argv[serveIndex + 1] : undefined;
const args = process.argv.slice(2).filter((arg, index, all) => arg !== '--serve' && all[index - 1] !== '--serve');
const levels = (args[0] ?? '100,500,1000').split(',').map(Number);
const tokens = Number(args[1] ?? 40);
const rate = Number(args[2] ?? 20);
const interval = 1000 / rate;

// Both the engine's model client and this script open one connection per stream.
setGlobalDispatcher(new Agent({ connections: null, pipelining: 1, keepAliveTimeout: 30_000 }));

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
};

/**
 * Per token: how much later it arrived than the stream's own schedule (arrival − i·T), measured against the stream's
 * best-aligned token, so a constant offset (connection set-up, first-token delay) is not counted as added latency.
 */
function lateness(arrivals: number[]): number[] {
  const offsets = arrivals.map((at, index) => at - index * interval);
  const best = Math.min(...offsets);
  return offsets.map((offset) => offset - best);
}

async function directStream(url: string): Promise<number[]> {
  const response = await fetch(`${url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'sim-model', stream: true, messages: [{ role: 'user', content: 'bench' }] }),
  });
  const arrivals: number[] = [];
  const decoder = new TextDecoder();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    const now = performance.now();
    const text = decoder.decode(chunk, { stream: true });
    const deltas = text.split('\n').filter((line) => line.startsWith('data:') && line.includes('"content":"')).length;
    for (let index = 0; index < deltas; index += 1) arrivals.push(now);
  }
  return arrivals;
}

async function engineStream(url: string): Promise<{ arrivals: number[]; ok: boolean }> {
  // A stream that cannot even connect (listen backlog full, connect timeout) counts as not complete.
  const response = await fetch(`${url}/agent/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-test-user': 'bench' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'bench' }] }),
  }).catch(() => undefined);
  const arrivals: number[] = [];
  let ok = false;
  if (!response) return { arrivals, ok };
  try {
    for await (const frame of iterateSse(response)) {
      if (frame.event === 'token') arrivals.push(performance.now());
      if (frame.event === 'completed') ok = frame.data['status'] === 'completed';
    }
  } catch {
    ok = false; // the connection broke mid-stream
  }
  return { arrivals, ok };
}

async function serve(simUrl: string) {
  const mcp = await startFakeMcpServer();
  const tools = createToolGateway({ client: mcp.client });
  const provider = createOpenAICompatible({ baseURL: simUrl, name: 'sim', includeUsage: true });
  const app = await startAgentTestApp({
    storage: createInMemoryStorage(),
    bus: await createEventBus({}),
    tools,
    llm: { model: provider.chatModel('sim-model'), modelName: 'sim' },
    config: agentConfig({ titleGeneration: false }),
  });
  process.stdout.write(`${JSON.stringify({ engine: app.url })}\n`);
  setInterval(() => process.stdout.write(`${JSON.stringify({ rss: process.memoryUsage().rss })}\n`), 1000).unref();
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

/** Runs `command`, resolving with the first stdout line `match` accepts; the rest of its lines go to `onLine`. */
function spawnAndWait<T>(argv: string[], match: (line: string) => T | undefined, onLine: (line: string) => void = () => {}): Promise<{ child: ChildProcess; value: T }> {
  const child = spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'inherit'], cwd: repoRoot });
  return new Promise((resolve, reject) => {
    let buffer = '';
    let found = false;
    child.once('exit', (code) => {
      if (!found) reject(new Error(`${argv.join(' ')} exited with ${code} before it was ready`));
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        const value = found ? undefined : match(line);
        if (value === undefined) onLine(line);
        else {
          found = true;
          resolve({ child, value });
        }
      }
    });
  });
}

async function startServers(): Promise<{ sim: string; engine: string; rss: () => number; stop: () => Promise<void> }> {
  const scriptDir = await mkdtemp(path.join(tmpdir(), 'skyflo-bench-p2-'));
  const scriptFile = path.join(scriptDir, 'script.json');
  await writeFile(scriptFile, JSON.stringify({ rules: [{ match: { always: true }, reply: { mode: 'stream', tokens, tokensPerSecond: rate } }] }));
  const sim = await spawnAndWait([path.join(repoRoot, 'testkit/bin/llm-sim.mjs'), '--port', '0', '--script', scriptFile], (line) => /listening on (\S+)/.exec(line)?.[1]);
  let rss = 0;
  const engine = await spawnAndWait(
    // BENCH_CPU_PROF=<dir> profiles the engine process only (written when it exits)
    [...(process.env['BENCH_CPU_PROF'] ? ['--cpu-prof', '--cpu-prof-dir', process.env['BENCH_CPU_PROF']] : []), '--import', 'tsx', fileURLToPath(import.meta.url), '--serve', sim.value, ...args],
    (line) => (JSON.parse(line) as { engine?: string }).engine,
    (line) => (rss = (JSON.parse(line) as { rss?: number }).rss ?? rss),
  );
  return {
    sim: sim.value,
    engine: engine.value,
    rss: () => rss,
    stop: async () => {
      // closing stdin lets the engine exit normally (so a CPU profile is written)
      const exited = new Promise((resolve) => engine.child.once('exit', resolve));
      engine.child.stdin!.end();
      await exited;
      sim.child.kill('SIGTERM');
      await rm(scriptDir, { recursive: true, force: true });
    },
  };
}

const staggered = <T>(count: number, start: () => Promise<T>) =>
  Promise.all(Array.from({ length: count }, (_, index) => new Promise<T>((resolve, reject) => setTimeout(() => start().then(resolve, reject), index))));

async function main() {
  const server = await startServers();
  try {
    await engineStream(server.engine); // warm-up
    console.log(`P2 concurrent streams: ${tokens} tokens each at ${rate} tok/s (interval ${interval} ms); llm-sim, engine and clients in three processes`);
    for (const streams of levels) {
      const directStart = performance.now();
      const direct = (await staggered(streams, () => directStream(server.sim))).flatMap(lateness);
      const directWall = performance.now() - directStart;
      const engineStart = performance.now();
      const results = await staggered(streams, () => engineStream(server.engine));
      const engineWall = performance.now() - engineStart;
      const engine = results.flatMap((result) => lateness(result.arrivals));
      const complete = results.filter((result) => result.ok && result.arrivals.length === tokens).length;
      // How many streams were really delivering tokens at the same time (start-up cost spreads them out).
      const edges = results.flatMap((result) => (result.arrivals.length ? [[result.arrivals[0]!, 1], [result.arrivals.at(-1)!, -1]] : [])).sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
      let live = 0;
      let peak = 0;
      for (const [, delta] of edges) peak = Math.max(peak, (live += delta!));
      const [d50, d99, e50, e99] = [percentile(direct, 50), percentile(direct, 99), percentile(engine, 50), percentile(engine, 99)];
      console.log(
        `  ${String(streams).padStart(5)} streams: complete ${complete}/${streams}; token lateness direct p50 ${d50.toFixed(1)} / p99 ${d99.toFixed(1)} ms, ` +
          `through engine p50 ${e50.toFixed(1)} / p99 ${e99.toFixed(1)} ms → added p50 ${(e50 - d50).toFixed(1)} / p99 ${(e99 - d99).toFixed(1)} ms (goal p99 < 50); ` +
          `peak streams in flight through the engine ${peak}; wall ${directWall.toFixed(0)} vs ${engineWall.toFixed(0)} ms; server RSS ${(server.rss() / 1048576).toFixed(0)} MiB`,
      );
      if (peak < streams * 0.9) {
        console.log(`        note: only ${peak} of ${streams} engine streams were live at once (CPU-bound run start-up and token path), so this row does not show ${streams} concurrent streams`);
      }
    }
  } finally {
    await server.stop();
  }
}

if (serveSimUrl) await serve(serveSimUrl);
else await main();
