/**
 * The streams benches' baselines in a process of their own (the engine they are compared with is the shipped
 * `skyflo serve`, another process): the raw `node:http` relay and the AI SDK's `streamText` relay of llm-sim's
 * stream (relay-baselines.ts), on the provider a user's LLM_MODEL=openai-compatible/… builds. Prints one JSON line
 * with their URLs and runs until its stdin closes. Its CPU is read from /proc by the bench, as the engine's is.
 *   node --import tsx bench/support/relay-process.ts <llm-sim URL>
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { Agent, setGlobalDispatcher } from 'undici';
import { startRawRelay, startStreamTextRelay } from './relay-baselines.ts';

const simUrl = process.argv[2];
if (!simUrl) {
  console.error('usage: relay-process.ts <llm-sim URL>');
  process.exit(2);
}
// one connection per stream, as the engine's model client opens them
setGlobalDispatcher(new Agent({ connections: null, pipelining: 1, keepAliveTimeout: 30_000 }));
const provider = createOpenAICompatible({ baseURL: simUrl, name: 'sim', includeUsage: true });
const raw = await startRawRelay(simUrl);
const sdk = await startStreamTextRelay(provider.chatModel('sim-model'));
process.stdout.write(`${JSON.stringify({ raw: raw.url, streamText: sdk.url })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  raw.server.close();
  sdk.server.close();
  process.exit(0);
});
