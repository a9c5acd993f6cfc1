/**
 * The model's HTTP (issue 38): CPU per streamed answer through the AI SDK's provider (`doStream`, read part by part
 * as the model node reads it) over four transports, in one run against the same llm-sim in its own process: Node's
 * fetch as the SDK ships it (the floor the SDK sets), Node's fetch inside the engine's idle watch (LLM_TIMEOUT_MS; what
 * the engine ran until Nov 27), the request fetch (llm/request-fetch.ts) inside the idle watch's own body stream (what
 * it ran next), and the request fetch with the watch in its body stream (what it runs now). A
 * 2-token and a 40-token answer at 20 tokens/s, `streams` per phase (50 at a time), `rounds` rounds, medians.
 * Printed as ms of this process's CPU (all threads) per answer and as ratios. Fails when an answer did not arrive whole.
 *   npx tsx bench/model-http.ts [streams=100] [rounds=3]
 */
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { repoRoot } from '@skyflo/testkit/tools';
import { createIdleTimeoutFetch, createRequestFetch } from '@skyflo/engine/testing';
import { failBench, printBenchHeader } from './support/bench-header.ts';
import { spawnAndWait } from './support/bench-streams.ts';
import { median } from './support/statistics.ts';
import { benchArguments } from './support/bench-arguments.ts';

printBenchHeader('model-http', 'none (model calls only)');
const [streams, rounds] = benchArguments('npx tsx bench/model-http.ts [streams=100] [rounds=3]', [
  { name: 'streams', fallback: 100 },
  { name: 'rounds', fallback: 3 },
]).counts;
const concurrency = 50;
const tokenCounts = [2, 40];

const scriptDir = await mkdtemp(path.join(tmpdir(), 'skyflo-bench-model-http-'));
const scriptFile = path.join(scriptDir, 'script.json');
await writeFile(scriptFile, JSON.stringify({ rules: tokenCounts.map((tokens) => ({ match: { userContains: `tokens-${tokens}` }, reply: { mode: 'stream', tokens, tokensPerSecond: 20 } })) }));
const sim = await spawnAndWait([path.join(repoRoot, 'testkit/bin/llm-sim.mjs'), '--port', '0', '--script', scriptFile], (line) => /listening on (\S+)/.exec(line)?.[1]);
// also when the bench fails: an llm-sim left behind would hold the caller's output pipe open
process.on('exit', () => sim.child.kill());

const timeoutMs = 60_000;
const transports = [
  { name: "Node fetch, the SDK's own", fetch: globalThis.fetch },
  { name: 'Node fetch in the idle watch', fetch: createIdleTimeoutFetch(timeoutMs) },
  { name: 'request fetch in the idle watch', fetch: createIdleTimeoutFetch(timeoutMs, createRequestFetch()) },
  { name: 'request fetch, the watch inside', fetch: createRequestFetch({ idleTimeoutMs: timeoutMs }) },
].map((transport) => ({ ...transport, model: createOpenAICompatible({ baseURL: sim.value, name: 'sim', includeUsage: true, fetch: transport.fetch }).chatModel('sim-model') }));

/** One answer as the model node reads it; fails the bench unless every token and the finish arrived. */
async function answer(model: (typeof transports)[number]['model'], tokens: number): Promise<void> {
  const { stream } = await model.doStream({ prompt: [{ role: 'user', content: [{ type: 'text', text: `tokens-${tokens}` }] }] });
  const reader = stream.getReader();
  let deltas = 0;
  let finished = false;
  for (let part = await reader.read(); !part.done; part = await reader.read()) {
    if (part.value.type === 'text-delta') deltas += 1;
    if (part.value.type === 'finish') finished = true;
    if (part.value.type === 'error') failBench(`the model's stream failed: ${String(part.value.error)}`);
  }
  if (deltas !== tokens || !finished) failBench(`an answer of ${tokens} tokens arrived as ${deltas} text parts${finished ? '' : ' without its finish'}`);
}

/** CPU of this process (all threads) per answer, `streams` answers `concurrency` at a time. */
async function cpuPerAnswer({ name, model }: (typeof transports)[number], tokens: number, count: number): Promise<number> {
  let left = count;
  const before = process.cpuUsage();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (left-- > 0) await answer(model, tokens).catch((error: unknown) => failBench(`a ${tokens}-token answer through ${name} failed: ${(error as Error).message}`));
    }),
  );
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / count;
}

// warm-up: every transport's code compiled before anything is measured
for (const transport of transports) for (const tokens of tokenCounts) await cpuPerAnswer(transport, tokens, 20);
const figures = new Map<string, number[]>();
for (let round = 0; round < rounds; round += 1) {
  // each round starts at the next transport: none always runs right after the same one (its garbage, its warm caches)
  const inTurn = [...transports.slice(round % transports.length), ...transports.slice(0, round % transports.length)];
  for (const tokens of tokenCounts) {
    for (const transport of inTurn) {
      const key = `${transport.name}|${tokens}`;
      figures.set(key, [...(figures.get(key) ?? []), await cpuPerAnswer(transport, tokens, streams)]);
    }
  }
}
sim.child.kill();
await rm(scriptDir, { recursive: true, force: true });

console.log(`CPU per streamed answer (this process, all threads), median of ${rounds} rounds of ${streams} answers, ${concurrency} at a time [range]:`);
for (const tokens of tokenCounts) {
  const of = (name: string) => figures.get(`${name}|${tokens}`)!;
  const [sdk, nodeWatched, wrapped, now] = transports.map((transport) => of(transport.name));
  for (const transport of transports) {
    const values = of(transport.name);
    console.log(`  ${tokens}-token answer, ${transport.name.padEnd(32)} ${median(values).toFixed(3)} ms [${Math.min(...values).toFixed(3)}–${Math.max(...values).toFixed(3)}]`);
  }
  const ratio = (baseline: number[]) => `×${(median(now!) / median(baseline)).toFixed(2)}`;
  console.log(
    `  ${tokens}-token answer, the watch inside the request fetch ÷ the request fetch in the idle watch ${ratio(wrapped!)}; ` +
      `÷ Node fetch in the idle watch ${ratio(nodeWatched!)}; ÷ the SDK's own ${ratio(sdk!)}`,
  );
}
