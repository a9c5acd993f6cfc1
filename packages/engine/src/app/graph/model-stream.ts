/**
 * One model call read straight from the provider's `doStream()` (the AI SDK's language-model interface, v3), not
 * through `streamText().fullStream` (issue 38). streamText wraps the provider's stream in several more web-stream
 * stages (step bookkeeping, tool execution, telemetry, output parsing) that the agent does not use: it makes one
 * call with no tool execution and no steps. Measured in bench/engine-concurrency.ts, that pipeline was most of the
 * engine's per-token CPU.
 * What streamText did for us is kept, with the SDK's own schemas and exported helpers (`ai/internal`): the prompt is
 * validated against the SDK's message schemas (validatedPrompt below) and converted (convertToLanguageModelPrompt),
 * the tools converted (prepareToolsAndToolChoice), the call settings validated (prepareCallSettings), the usage
 * converted (asLanguageModelUsage); a tool call's input is parsed and validated against the tool's schema the way
 * streamText does (an invalid call is reported with `invalid` and its error, so the model is told what was wrong).
 */
import { asSchema, assistantModelMessageSchema, InvalidPromptError, modelMessageSchema, systemModelMessageSchema, toolModelMessageSchema, TypeValidationError, userModelMessageSchema } from 'ai';
import type { LanguageModel, LanguageModelUsage, ModelMessage, Tool } from 'ai';
import { asLanguageModelUsage, convertToLanguageModelPrompt, prepareCallSettings, prepareToolsAndToolChoice } from 'ai/internal';
import { z } from 'zod';
import type { LanguageModelV3 } from '../../platform/ports/agent-model.ts';
import { SkyfloError, type ErrorCategory } from '../../platform/errors/skyflo-error.ts';

type StreamResult = Awaited<ReturnType<LanguageModelV3['doStream']>>;
export type ProviderStreamPart = StreamResult['stream'] extends ReadableStream<infer Part> ? Part : never;
type PreparedTools = Awaited<ReturnType<typeof prepareToolsAndToolChoice>>;

export class UnsupportedModelError extends SkyfloError {
  readonly code = 'LLM_MODEL_UNSUPPORTED';

  /** the installation's own set-up is wrong (issue 80 item 4): an operator fixes it; the same start fails again */
  override get category(): ErrorCategory {
    return 'operational';
  }
}

export interface ParsedToolCall {
  toolCallId: string;
  toolName: string;
  input: unknown;
  invalid?: boolean;
  error?: unknown;
}

/**
 * The tool set converted to the provider's form, once per tool set: the model node's tool cache hands every run the
 * same object for the same inputs (model-tool-cache.ts), so the conversion (JSON schema of every tool) is not per call.
 */
const preparedTools = new WeakMap<Record<string, Tool>, Promise<PreparedTools>>();
function prepareTools(tools: Record<string, Tool>): Promise<PreparedTools> {
  let prepared = preparedTools.get(tools);
  if (!prepared) {
    prepared = prepareToolsAndToolChoice({ tools: tools as never, toolChoice: 'auto', activeTools: undefined });
    preparedTools.set(tools, prepared);
    // a failed conversion is not kept: the next call tries again
    prepared.catch(() => preparedTools.delete(tools));
  }
  return prepared;
}

function asV3(model: LanguageModel): LanguageModelV3 {
  if (typeof model === 'object' && model.specificationVersion === 'v3') return model as LanguageModelV3;
  const version = typeof model === 'string' ? `a model id string (${model})` : `specification ${model.specificationVersion}`;
  throw new UnsupportedModelError(`The configured language model is ${version}; the agent needs a provider model of the AI SDK's v3 interface (every provider in the catalogue is).`);
}

export interface ModelCall {
  model: LanguageModel;
  system: string;
  messages: ModelMessage[];
  tools: Record<string, Tool>;
  providerOptions?: Record<string, Record<string, unknown>> | undefined;
  maxOutputTokens?: number | undefined;
  abortSignal: AbortSignal;
}

/**
 * The provider's parts, read until the stream ends or `signal` aborts: a stop ends the reading at once, even when the
 * provider's stream is slow to notice the abort (cancelling the reader settles its pending read). A reader, not an
 * async generator around the stream (as before): that cost a generator step and a promise more per token.
 */
export interface PartReader {
  /** undefined once the stream ended or the signal aborted */
  next(): Promise<ProviderStreamPart | undefined>;
  /** releases the stream (closes the HTTP request) without waiting for it */
  close(): void;
}

export function readParts(stream: ReadableStream<ProviderStreamPart>, signal: AbortSignal): PartReader {
  const reader = stream.getReader();
  const cancel = () => void reader.cancel(signal.reason).catch(() => {});
  if (signal.aborted) cancel();
  else signal.addEventListener('abort', cancel, { once: true });
  return {
    async next() {
      if (signal.aborted) return undefined;
      const read = await reader.read();
      return read.done || signal.aborted ? undefined : read.value;
    },
    close() {
      signal.removeEventListener('abort', cancel);
      void reader.cancel().catch(() => {});
    },
  };
}

/**
 * Each message checked against its own role's schema, built once. Why not the SDK's standardizePrompt: it builds
 * `z.array(modelMessageSchema)` anew for every call (a fresh zod schema's first-parse set-up was ~120 µs of a
 * one-message prompt's validation) and parses every message against the union of the four roles, which tries the
 * other roles first and builds their failures: a tool result cost ~55 µs that way, ~3 µs against the tool schema
 * (bench/model-prompt-validation.ts). The union accepts a message exactly when the schema of its role does (each
 * option pins `role` to its literal), so the answer is the same; a refused history is parsed again the SDK's way, so
 * its error is too.
 */
const messageSchemaByRole = new Map<unknown, { safeParse(value: unknown): { success: boolean } }>([
  ['system', systemModelMessageSchema],
  ['user', userModelMessageSchema],
  ['assistant', assistantModelMessageSchema],
  ['tool', toolModelMessageSchema],
]);
const modelMessagesSchema = z.array(modelMessageSchema);

function isValidMessage(message: unknown): boolean {
  const role = typeof message === 'object' && message !== null ? (message as { role?: unknown }).role : undefined;
  return messageSchemaByRole.get(role)?.safeParse(message).success === true;
}

/** The same checks and errors as the SDK's standardizePrompt for a system string and a message list. */
export function validatedPrompt(system: string, messages: ModelMessage[]): { system: string; messages: ModelMessage[] } {
  if (messages.length === 0) throw new InvalidPromptError({ prompt: undefined, message: 'messages must not be empty' });
  if (!messages.every(isValidMessage)) {
    const parsed = modelMessagesSchema.safeParse(messages);
    throw new InvalidPromptError({
      prompt: undefined,
      message: 'The messages do not match the ModelMessage[] schema.',
      ...(parsed.success ? {} : { cause: TypeValidationError.wrap({ value: messages, cause: parsed.error }) }),
    });
  }
  // the messages as given, not the parse's copy; the errors carry no prompt (the SDK's, given messages, carry none)
  return { system, messages };
}

/** Starts the call; the provider's own stream parts come back (errors before the stream throw, as streamText's did). */
export async function startModelStream(call: ModelCall): Promise<ReadableStream<ProviderStreamPart>> {
  const model = asV3(call.model);
  const standardized = validatedPrompt(call.system, call.messages);
  const [prompt, { tools, toolChoice }] = await Promise.all([
    convertToLanguageModelPrompt({ prompt: standardized, supportedUrls: await model.supportedUrls, download: undefined, abortSignal: call.abortSignal }),
    prepareTools(call.tools),
  ]);
  const settings = prepareCallSettings({ maxOutputTokens: call.maxOutputTokens });
  const result = await model.doStream({
    ...settings,
    prompt,
    ...(tools ? { tools } : {}),
    ...(toolChoice ? { toolChoice } : {}),
    ...(call.providerOptions ? { providerOptions: call.providerOptions as never } : {}),
    abortSignal: call.abortSignal,
  });
  return result.stream;
}

/** A tool call's input parsed and validated against its tool's schema, as streamText's parseToolCall does. */
export async function parseToolCall(part: { toolCallId: string; toolName: string; input: string }, tools: Record<string, Tool>): Promise<ParsedToolCall> {
  const base = { toolCallId: part.toolCallId, toolName: part.toolName };
  let parsed: unknown;
  try {
    parsed = part.input.trim() === '' ? {} : JSON.parse(part.input);
  } catch (error) {
    return { ...base, input: part.input, invalid: true, error: new SkyfloToolInputError(part.toolName, `the arguments are not valid JSON (${(error as Error).message})`) };
  }
  const tool = tools[part.toolName];
  // an unknown tool: the model node says which tools there are (it knows the offered set)
  if (!tool) return { ...base, input: parsed, invalid: true, error: new SkyfloToolInputError(part.toolName, 'no such tool') };
  const schema = asSchema(tool.inputSchema);
  const validated = schema.validate ? await schema.validate(parsed) : { success: true as const, value: parsed };
  if (!validated.success) return { ...base, input: parsed, invalid: true, error: new SkyfloToolInputError(part.toolName, validated.error.message) };
  return { ...base, input: validated.value };
}

class SkyfloToolInputError extends SkyfloError {
  readonly code = 'TOOL_INPUT_INVALID';
  constructor(toolName: string, detail: string) {
    super(`Invalid input for tool ${toolName}: ${detail}`);
  }
}

export function usageOf(part: Extract<ProviderStreamPart, { type: 'finish' }>): LanguageModelUsage {
  return asLanguageModelUsage(part.usage);
}
