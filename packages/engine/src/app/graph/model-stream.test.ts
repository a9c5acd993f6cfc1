/**
 * The model call's prompt validation (model-stream.ts validatedPrompt): the engine validates the history itself
 * instead of through the SDK's standardizePrompt (which rebuilt the schema per call), so it must accept and refuse
 * exactly what the SDK does, and a refused history must never reach the provider.
 */
import { InvalidPromptError, type ModelMessage } from 'ai';
import { standardizePrompt } from 'ai/internal';
import { MockLanguageModelV3 } from 'ai/test';
import { describe, expect, it } from 'vitest';
import { startModelStream, validatedPrompt } from './model-stream.ts';

const toolOutput = 'NAME                READY   STATUS    RESTARTS   AGE\ncheckout-7d9f8b-x   0/1     CrashLoopBackOff   12   3d';

const valid: Array<[string, ModelMessage[]]> = [
  ['one user message', [{ role: 'user', content: 'why is checkout crashing in prod?' }]],
  [
    'a tool exchange',
    [
      { role: 'user', content: 'pods in prod?' },
      { role: 'assistant', content: [{ type: 'text', text: 'Looking.' }, { type: 'tool-call', toolCallId: 'c1', toolName: 'k8s_get', input: { resource: 'pods', namespace: 'prod', labels: { app: 'checkout' } } }] },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c1', toolName: 'k8s_get', output: { type: 'text', value: toolOutput } }] },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c2', toolName: 'k8s_scale', output: { type: 'error-text', value: 'denied' } }] },
      { role: 'assistant', content: 'checkout is crash-looping.' },
    ],
  ],
  ['reasoning kept in the history', [{ role: 'user', content: 'hi' }, { role: 'assistant', content: [{ type: 'reasoning', text: 'think' }, { type: 'text', text: 'hello' }] }]],
  ['a system message', [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }]],
];

const invalid: Array<[string, unknown[]]> = [
  ['a user message whose content is a number', [{ role: 'user', content: 42 }]],
  ['an unknown role', [{ role: 'operator', content: 'x' }]],
  ['a tool result without its output', [{ role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c1', toolName: 'k8s_get' }] }]],
  ['a tool call without its id', [{ role: 'user', content: 'x' }, { role: 'assistant', content: [{ type: 'tool-call', toolName: 'k8s_get', input: {} }] }]],
  ['a valid message then a broken one', [{ role: 'user', content: 'x' }, { role: 'assistant', content: [{ type: 'text' }] }]],
  ['a system message with parts', [{ role: 'system', content: [{ type: 'text', text: 'x' }] }]],
  ['a role the Object prototype has', [{ role: 'constructor', content: 'x' }]],
  ['a message without a role', [{ content: 'x' }]],
  ['null', [null]],
  ['a string', ['hello']],
];

/** Whether the SDK's own standardizePrompt accepts the history (the reference this validation must match). */
async function sdkAccepts(messages: unknown[]): Promise<boolean> {
  return standardizePrompt({ system: 'sys', messages: messages as ModelMessage[], allowSystemInMessages: true }).then(
    () => true,
    () => false,
  );
}

function engineAccepts(messages: unknown[]): boolean {
  try {
    validatedPrompt('sys', messages as ModelMessage[]);
    return true;
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidPromptError);
    return false;
  }
}

describe('the prompt validation matches the SDK', () => {
  it.each(valid)('accepts %s, as the SDK does, and hands the messages on as given', async (_case, messages) => {
    expect(await sdkAccepts(messages)).toBe(true);
    expect(engineAccepts(messages)).toBe(true);
    expect(validatedPrompt('sys', messages).messages).toBe(messages);
  });

  it.each(invalid)('refuses %s, as the SDK does', async (_case, messages) => {
    expect(await sdkAccepts(messages)).toBe(false);
    expect(engineAccepts(messages)).toBe(false);
  });

  it("a refused history's error says which message, as the SDK's does", async () => {
    const messages = invalid[4]![1] as ModelMessage[];
    const sdkError = await standardizePrompt({ system: 'sys', messages }).then(() => undefined, (error: unknown) => error as InvalidPromptError);
    let engineError: InvalidPromptError | undefined;
    try {
      validatedPrompt('sys', messages);
    } catch (error) {
      engineError = error as InvalidPromptError;
    }
    expect(engineError?.message).toBe(sdkError?.message);
    expect(engineError?.prompt).toBe(sdkError?.prompt);
    expect((engineError?.cause as Error).message).toBe((sdkError?.cause as Error).message);
    expect((engineError?.cause as Error).message).toContain('"path": [\n      1');
  });

  it('an empty history is refused with the SDK message', () => {
    expect(() => validatedPrompt('sys', [])).toThrow('messages must not be empty');
  });
});

describe('startModelStream', () => {
  const streamingModel = () =>
    new MockLanguageModelV3({
      doStream: async () => ({
        stream: new ReadableStream({
          start(controller) {
            controller.enqueue({ type: 'text-delta', id: 't', delta: 'ok' });
            controller.close();
          },
        }),
      }),
    });

  it('sends a valid history to the provider after the system prompt (adjacent tool results as one message)', async () => {
    const model = streamingModel();
    const stream = await startModelStream({ model, system: 'You are Skyflo.', messages: valid[1]![1], tools: {}, abortSignal: new AbortController().signal });
    const parts: unknown[] = [];
    const reader = stream.getReader();
    for (let read = await reader.read(); !read.done; read = await reader.read()) parts.push(read.value);
    expect(parts).toEqual([{ type: 'text-delta', id: 't', delta: 'ok' }]);
    expect(model.doStreamCalls).toHaveLength(1);
    const prompt = model.doStreamCalls[0]!.prompt;
    expect(prompt.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant']);
    expect(prompt[0]).toEqual({ role: 'system', content: 'You are Skyflo.' });
    expect(prompt[3]!.content).toMatchObject([{ toolCallId: 'c1', output: { type: 'text', value: toolOutput } }, { toolCallId: 'c2', output: { type: 'error-text', value: 'denied' } }]);
  });

  it('a malformed history fails with the reason and never reaches the provider', async () => {
    const model = streamingModel();
    const started = startModelStream({ model, system: 'sys', messages: invalid[0]![1] as ModelMessage[], tools: {}, abortSignal: new AbortController().signal });
    await expect(started).rejects.toThrow('The messages do not match the ModelMessage[] schema.');
    expect(model.doStreamCalls).toHaveLength(0);
  });
});
