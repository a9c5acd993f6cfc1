/**
 * The history's validation before each model call (issue 38): the engine's validatedPrompt (graph/model-stream.ts,
 * one schema built once, parsed synchronously) against the SDK's own standardizePrompt in the same run (which builds
 * `z.array(modelMessageSchema)` per call and parses asynchronously). Per call, for a one-message chat and for a
 * 30-message history of kubectl answers. Fails if either accepted a broken history or refused the valid one.
 *   npx tsx bench/model-prompt-validation.ts [calls=2000]
 */
import type { ModelMessage } from 'ai';
import { standardizePrompt } from 'ai/internal';
import { validatedPrompt } from '@skyflo/engine/testing';
import { failBench, printBenchHeader } from './support/bench-header.ts';
import { median } from './support/statistics.ts';
import { benchArguments } from './support/bench-arguments.ts';

printBenchHeader('model-prompt-validation', 'none (validation in memory)');

const [calls] = benchArguments('npx tsx bench/model-prompt-validation.ts [calls=2000]', [{ name: 'calls', fallback: 2000 }]).counts;
const rounds = 5;

const kubectlAnswer = ['NAME                         READY   STATUS             RESTARTS   AGE', ...Array.from({ length: 30 }, (_, index) => `checkout-7d9f8b6c4-${index.toString(36).padStart(5, 'x')}   0/1     CrashLoopBackOff   ${index}         3d`)].join('\n');
function history(exchanges: number): ModelMessage[] {
  return Array.from({ length: exchanges }, (_, index): ModelMessage[] => [
    { role: 'user', content: `why is checkout ${index} crashing in prod?` },
    { role: 'assistant', content: [{ type: 'text', text: 'Looking at the pods.' }, { type: 'tool-call', toolCallId: `call-${index}`, toolName: 'k8s_get', input: { resource: 'pods', namespace: 'prod', labels: { app: 'checkout' } } }] },
    { role: 'tool', content: [{ type: 'tool-result', toolCallId: `call-${index}`, toolName: 'k8s_get', output: { type: 'text', value: kubectlAnswer } }] },
  ]).flat();
}
const oneMessage: ModelMessage[] = [{ role: 'user', content: 'why is checkout crashing in prod?' }];
const broken = [...history(2), { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'x', toolName: 'k8s_get' }] }] as ModelMessage[];

const sdk = async (messages: ModelMessage[]) => (await standardizePrompt({ system: 'You are Skyflo.', messages })).messages.length;
const engine = async (messages: ModelMessage[]) => validatedPrompt('You are Skyflo.', messages).messages.length;

async function refuses(validate: (messages: ModelMessage[]) => Promise<number>): Promise<boolean> {
  return validate(broken).then(
    () => false,
    () => true,
  );
}
for (const [name, validate] of [['standardizePrompt', sdk], ['validatedPrompt', engine]] as const) {
  if (!(await refuses(validate))) failBench(`${name} accepted a tool result without its output`);
}

/** µs per call, median of the rounds; every call must have validated the whole history */
async function perCall(validate: (messages: ModelMessage[]) => Promise<number>, messages: ModelMessage[]): Promise<number> {
  for (let call = 0; call < 200; call += 1) await validate(messages);
  const timings: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    let validated = 0;
    const started = performance.now();
    for (let call = 0; call < calls; call += 1) validated += await validate(messages);
    timings.push(((performance.now() - started) * 1000) / calls);
    if (validated !== calls * messages.length) failBench(`validated ${validated} messages, expected ${calls * messages.length}`);
  }
  return median(timings);
}

for (const [label, messages] of [['a one-message chat', oneMessage], ['a 30-message history of kubectl answers', history(10)]] as const) {
  const baseline = await perCall(sdk, messages);
  const ours = await perCall(engine, messages);
  console.log(`${label}: the SDK's standardizePrompt ${baseline.toFixed(1)} µs per model call, the engine's validatedPrompt ${ours.toFixed(1)} µs → ${(ours / baseline).toFixed(2)}× (median of ${rounds} rounds of ${calls} calls)`);
}
