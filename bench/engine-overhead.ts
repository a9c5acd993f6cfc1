/**
 * P1: engine overhead per streamed answer. Time to receive N tokens through POST /agent/chat (SSE, the whole
 * workflow: graph, bus, timeline persistence) vs reading the same llm-sim stream directly (raw HTTP and through
 * the AI SDK). Goal: ≤ 1.05× at a realistic token rate. Prints ratios measured in the same run; not a test.
 * AgentStorage: PGlite in a fresh data dir, then Postgres on 127.0.0.1:5432 as a second row (skipped when none answers).
 *   npx tsx bench/engine-overhead.ts [tokens=400] [tokensPerSecond=200] [runs=5]
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { startLlmSim } from '@skyflo/testkit/llm-sim';
import { streamText } from 'ai';
import { agentConfig, createEventBus, createToolGateway, readSse, startAgentTestApp, startFakeMcpServer } from '@skyflo/engine/testing';
import { machineLoad } from './support/bench-header.ts';
import { engineModelFor } from './support/engine-model.ts';
import { forEachBenchStorage, type BenchStorage } from './support/bench-storage.ts';
import { median } from './support/statistics.ts';
import { benchArguments } from './support/bench-arguments.ts';

const [tokens, rate, runs] = benchArguments('npx tsx bench/engine-overhead.ts [tokens=400] [tokensPerSecond=200] [runs=5]', [
  { name: 'tokens', fallback: 400 },
  { name: 'tokensPerSecond', fallback: 200 },
  { name: 'runs', fallback: 5 },
]).counts;
console.log('engine-overhead: a mechanism figure: the engine runs in this process as a test app (test-header auth, no titles), not the shipped build; user-facing figures come from the shipped build (docs/benchmarks.md)');

async function measure({ label: storageLabel, storage, userId }: BenchStorage) {
  const sim = await startLlmSim({ port: 0 });
  const mcp = await startFakeMcpServer();
  const tools = createToolGateway({ client: mcp.client });
  const provider = createOpenAICompatible({ baseURL: sim.url, name: 'sim', includeUsage: true });
  const app = await startAgentTestApp({
    storage,
    bus: await createEventBus({}),
    tools,
    llm: { model: await engineModelFor(sim.url), modelName: 'sim/sim-model' },
    config: agentConfig({ titleGeneration: false }),
  });

  const direct = async () => {
    const started = performance.now();
    const response = await fetch(`${sim.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'sim-model', stream: true, messages: [{ role: 'user', content: 'bench' }] }),
    });
    await response.text();
    return performance.now() - started;
  };
  const sdk = async () => {
    const started = performance.now();
    const result = streamText({ model: provider.chatModel('sim-model'), prompt: 'bench', maxRetries: 0 });
    for await (const _part of result.fullStream) void _part;
    return performance.now() - started;
  };
  const engine = async () => {
    const started = performance.now();
    const response = await fetch(`${app.url}/agent/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-test-user': userId },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'bench' }] }),
    });
    const frames = await readSse(response);
    // a frame can carry several model tokens (the answer stream holds text back for redaction): the last token frame's
    // tokens_generated counts them, as engine-concurrency's client does
    const received = Number(frames.filter((frame) => frame.event === 'token').at(-1)?.data['tokens_generated'] ?? 0);
    if (frames.at(-1)?.event !== 'completed' || frames.at(-1)?.data['status'] !== 'completed' || received < tokens) {
      throw new Error(`engine stream incomplete: ${received} of ${tokens} tokens, last ${frames.at(-1)?.event} ${String(frames.at(-1)?.data['status'] ?? '')}`);
    }
    return performance.now() - started;
  };

  for (const [label, tokensPerSecond] of [
    [`paced ${rate} tok/s`, rate],
    ['as fast as possible (worst case)', 0],
  ] as const) {
    sim.reset({ rules: [{ match: { always: true }, reply: { mode: 'stream', tokens, tokensPerSecond } }] });
    await direct();
    await engine(); // warm-up
    const timings = { direct: [] as number[], sdk: [] as number[], engine: [] as number[] };
    for (let index = 0; index < runs; index += 1) {
      timings.direct.push(await direct());
      timings.sdk.push(await sdk());
      timings.engine.push(await engine());
    }
    const [d, s, e] = [median(timings.direct), median(timings.sdk), median(timings.engine)];
    console.log(`P1 ${label}, storage ${storageLabel}: ${tokens} tokens, median of ${runs}; ${machineLoad()}`);
    console.log(`  llm-sim raw HTTP   ${d.toFixed(1)} ms`);
    console.log(`  llm-sim via AI SDK ${s.toFixed(1)} ms  (${(s / d).toFixed(3)}× raw)`);
    console.log(`  engine /agent/chat ${e.toFixed(1)} ms  (${(e / d).toFixed(3)}× raw, ${(e / s).toFixed(3)}× AI SDK; goal ≤ 1.05×)`);
    console.log(`  added per token    ${((e - d) / tokens).toFixed(3)} ms`);
  }

  await app.close();
  await tools.close();
  await mcp.close();
  await sim.close();
}

await forEachBenchStorage(measure);
