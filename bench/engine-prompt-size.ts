/**
 * P8: prompt tokens per model turn with the default exposure (read-only Kubernetes tools + load_toolset) vs
 * exposing every tool of the real MCP catalogue. Both requests go to llm-sim, whose calls log counts the prompt
 * tokens of exactly what was sent. Prints figures; not a test.
 *   npx tsx bench/engine-prompt-size.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { startKubeSim } from '@skyflo/sandbox/kube-sim';
import { startLlmSim } from '@skyflo/testkit/llm-sim';
import { streamText } from 'ai';
import { agentConfig, createEventBus, createInMemoryStorage, createToolGateway, exposeTools, readSse, startAgentTestApp, systemPrompt, toModelTools } from '@skyflo/engine/testing';
import { printBenchHeader } from './support/bench-header.ts';

printBenchHeader('engine-prompt-size', 'in-memory (prompt tokens do not depend on the storage)');
console.log('  a mechanism figure: the engine runs in this process as a test app (test-header auth, no titles), not the shipped build; user-facing figures come from the shipped build (docs/benchmarks.md)');

async function main() {
  const directory = await mkdtemp(path.join(tmpdir(), 'skyflo-bench-p8-'));
  const kubeconfig = path.join(directory, 'kubeconfig');
  const kube = await startKubeSim({ port: 0, kubeconfigPath: kubeconfig });
  const tools = createToolGateway({ embedded: { kubeconfigPath: kubeconfig } });
  const sim = await startLlmSim({ port: 0, script: { rules: [{ match: { always: true }, reply: 'ok' }] } });
  const provider = createOpenAICompatible({ baseURL: sim.url, name: 'sim', includeUsage: true });
  const app = await startAgentTestApp({ storage: createInMemoryStorage(), bus: await createEventBus({}), tools, llm: { model: provider.chatModel('sim-model'), modelName: 'sim' }, config: agentConfig({ titleGeneration: false }) });
  const question = 'Why is the checkout deployment in the payments namespace not ready?';

  await readSse(await fetch(`${app.url}/agent/chat`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-user': 'bench' }, body: JSON.stringify({ messages: [{ role: 'user', content: question }] }) }));
  const engineCall = sim.calls.at(-1)!;

  const catalogue = await tools.listTools();
  const everything = toModelTools(catalogue);
  const jenkinsTooWithWrites = exposeTools(catalogue, { k8s: true, helm: true, argo: true, jenkins: true }, { jenkinsAvailable: true });
  const result = streamText({ model: provider.chatModel('sim-model'), system: systemPrompt, prompt: question, tools: everything, maxRetries: 0 });
  for await (const _part of result.fullStream) void _part;
  const allCall = sim.calls.at(-1)!;

  const defaultTokens = engineCall.usage!.promptTokens;
  const allTokens = allCall.usage!.promptTokens;
  console.log(`P8 prompt tokens per turn (llm-sim count of the request as sent):`);
  console.log(`  default exposure: ${engineCall.toolNames.length} tools (${engineCall.toolNames.filter((name) => name !== 'load_toolset').length} read-only k8s + load_toolset) → ${defaultTokens} prompt tokens`);
  console.log(`  all tools:        ${allCall.toolNames.length} tools (catalogue of ${catalogue.length}, ${jenkinsTooWithWrites.length} exposable with every toolset and Jenkins) → ${allTokens} prompt tokens`);
  console.log(`  ratio default/all: ${(defaultTokens / allTokens).toFixed(3)} (${(allTokens - defaultTokens).toLocaleString()} tokens saved per turn)`);

  await app.close();
  await tools.close();
  await sim.close();
  await kube.close();
  await rm(directory, { recursive: true, force: true });
}

await main();
