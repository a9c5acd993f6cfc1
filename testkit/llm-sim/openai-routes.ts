import type { ServerResponse } from 'node:http';
import { createPacer, wait } from './pacer.ts';
import { randomId, type ReplyPlan } from './reply-plan.ts';
import { splitArguments } from './token-count.ts';

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
}

/** Thrown inside a stream when the script asked for the connection to be dropped. */
export class ConnectionDropped extends Error {}

/**
 * Starts the event stream both APIs answer with (or drops the connection before any byte when told to drop after 0
 * chunks), waits the reply's first-token delay and returns the pacer for its tokens.
 */
export async function openEventStream(response: ServerResponse, dropAfterChunks: number | undefined, plan: Pick<ReplyPlan, 'delayMs' | 'tokenDelayMs'>, signal: AbortSignal, held?: () => Promise<void> | undefined) {
  if (dropAfterChunks === 0) {
    response.socket?.destroy();
    throw new ConnectionDropped();
  }
  response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  response.flushHeaders();
  await wait(plan.delayMs, signal);
  return createPacer(plan.tokenDelayMs, signal, held);
}

export function openAiUsage(usage: Usage) {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

export interface ChatCompletionOptions {
  response: ServerResponse;
  plan: ReplyPlan;
  model: string;
  usage: Usage;
  reasoningField: 'reasoning_content' | 'reasoning';
  signal: AbortSignal;
}

/** Non-streaming `chat.completion`: waits as long as streaming the same reply would take, then answers at once. */
export async function sendChatCompletion(options: ChatCompletionOptions): Promise<void> {
  const { response, plan, usage } = options;
  const pieces = plan.reasoningPieces.length + plan.textPieces.length + plan.toolCalls.length;
  await wait(plan.delayMs + pieces * plan.tokenDelayMs, options.signal);
  const text = plan.textPieces.join('');
  const reasoning = plan.reasoningPieces.join('');
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: text === '' && plan.toolCalls.length > 0 ? null : text,
    refusal: null,
  };
  if (reasoning !== '') message[options.reasoningField] = reasoning;
  if (plan.toolCalls.length > 0) {
    message.tool_calls = plan.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.argumentsText } }));
  }
  const body = {
    id: randomId('chatcmpl-'),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: options.model,
    system_fingerprint: 'fp_llm_sim',
    choices: [{ index: 0, message, logprobs: null, finish_reason: plan.finishReason }],
    usage: openAiUsage(usage),
  };
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** Streaming `chat.completion.chunk` SSE in the order OpenAI sends it, ending with `data: [DONE]`. */
export async function streamChatCompletion(options: ChatCompletionOptions & { includeUsage: boolean; dropAfterChunks?: number; held?: () => Promise<void> | undefined }): Promise<void> {
  const { response, plan, signal } = options;
  const id = randomId('chatcmpl-');
  const created = Math.floor(Date.now() / 1000);
  let chunksSent = 0;

  const write = (payload: string) => {
    if (options.dropAfterChunks !== undefined && chunksSent >= options.dropAfterChunks) {
      // end() rather than destroy(): the chunks already written reach the client, then the body stops without its
      // terminating chunk, which is what a connection lost mid-answer looks like.
      response.socket?.end();
      throw new ConnectionDropped();
    }
    response.write(`data: ${payload}\n\n`);
    chunksSent += 1;
  };
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) =>
    write(
      JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model: options.model,
        system_fingerprint: 'fp_llm_sim',
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
        ...(options.includeUsage ? { usage: null } : {}),
      }),
    );

  const pacer = await openEventStream(response, options.dropAfterChunks, plan, signal, options.held);
  chunk({ role: 'assistant', content: '', refusal: null });
  for (const piece of plan.reasoningPieces) {
    await pacer.next();
    chunk({ [options.reasoningField]: piece });
  }
  for (const piece of plan.textPieces) {
    await pacer.next();
    chunk({ content: piece });
  }
  // Parallel calls go one after another, each with its own index: the first delta names the call, later ones carry argument fragments.
  for (const [index, call] of plan.toolCalls.entries()) {
    await pacer.next();
    chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] });
    for (const fragment of splitArguments(call.argumentsText)) {
      await pacer.next();
      chunk({ tool_calls: [{ index, function: { arguments: fragment } }] });
    }
  }
  chunk({}, plan.finishReason);
  if (options.includeUsage) {
    write(
      JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model: options.model,
        system_fingerprint: 'fp_llm_sim',
        choices: [],
        usage: openAiUsage(options.usage),
      }),
    );
  }
  write('[DONE]');
  response.end();
}

const errorDefaults: Record<number, { message: string; type: string; code: string | null }> = {
  400: { message: 'Bad request.', type: 'invalid_request_error', code: null },
  401: { message: 'Incorrect API key provided. You can find your API key in your llm-sim options.', type: 'invalid_request_error', code: 'invalid_api_key' },
  404: { message: 'Not found.', type: 'invalid_request_error', code: 'not_found' },
  429: { message: 'Rate limit reached for requests. Please try again later.', type: 'requests', code: 'rate_limit_exceeded' },
  500: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', code: null },
  503: { message: 'The engine is currently overloaded, please try again later.', type: 'server_error', code: 'overloaded' },
};

/** An OpenAI-style `{ error: { message, type, param, code } }` response. */
export function sendOpenAiError(response: ServerResponse, status: number, options: { message?: string; retryAfterSeconds?: number } = {}): void {
  const defaults = errorDefaults[status] ?? { message: `llm-sim injected HTTP ${status}.`, type: 'server_error', code: null };
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.retryAfterSeconds !== undefined) headers['retry-after'] = String(options.retryAfterSeconds);
  response.writeHead(status, headers);
  response.end(JSON.stringify({ error: { message: options.message ?? defaults.message, type: defaults.type, param: null, code: defaults.code } }));
}
