import type { ServerResponse } from 'node:http';
import { messageText, viewChatRequest, type ChatMessage, type ChatRequestView } from './chat-request.ts';
import { ConnectionDropped, openEventStream, type Usage } from './openai-routes.ts';
import { wait } from './pacer.ts';
import { randomId, type ReplyPlan } from './reply-plan.ts';
import { splitArguments } from './token-count.ts';

interface AnthropicBlock {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: unknown;
}

/**
 * Maps an Anthropic Messages request onto the OpenAI-shaped view rules match on: tool_result blocks become tool messages,
 * tool_use blocks assistant tool calls, so one script drives both APIs.
 */
export function viewAnthropicRequest(body: Record<string, unknown>): ChatRequestView {
  const messages: ChatMessage[] = [];
  if (body.system !== undefined) messages.push({ role: 'system', content: typeof body.system === 'string' ? body.system : messageText(body.system) });
  for (const message of (Array.isArray(body.messages) ? body.messages : []) as Array<{ role: string; content: string | AnthropicBlock[] }>) {
    if (typeof message.content === 'string') {
      messages.push({ role: message.role, content: message.content });
      continue;
    }
    const blocks = Array.isArray(message.content) ? message.content : [];
    const text = blocks.filter((block) => block.type === 'text').map((block) => block.text ?? '').join('');
    const toolUses = blocks.filter((block) => block.type === 'tool_use');
    if (message.role === 'assistant') {
      messages.push({
        role: 'assistant',
        content: text,
        tool_calls: toolUses.map((block) => ({ id: block.id, function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } })),
      });
      continue;
    }
    for (const block of blocks.filter((candidate) => candidate.type === 'tool_result')) {
      messages.push({ role: 'tool', tool_call_id: block.tool_use_id, content: typeof block.content === 'string' ? block.content : messageText(block.content) });
    }
    if (text !== '') messages.push({ role: 'user', content: text });
  }
  const tools = (Array.isArray(body.tools) ? body.tools : []).map((tool: { name?: string }) => ({ type: 'function', function: { name: tool.name } }));
  const view = viewChatRequest({ model: body.model, stream: body.stream, messages, tools, max_tokens: body.max_tokens });
  return { ...view, tools: Array.isArray(body.tools) ? body.tools : [], includeUsage: true };
}

const stopReasons = { stop: 'end_turn', tool_calls: 'tool_use', length: 'max_tokens', content_filter: 'refusal' } as const;

function usageJson(usage: Usage) {
  return { input_tokens: usage.promptTokens - usage.cachedTokens, output_tokens: usage.completionTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: usage.cachedTokens };
}

function parseInput(argumentsText: string): unknown {
  try {
    return JSON.parse(argumentsText);
  } catch {
    // Anthropic always sends objects; a scripted malformed string is passed through so clients see the bad input.
    return argumentsText;
  }
}

export interface AnthropicOptions {
  response: ServerResponse;
  plan: ReplyPlan;
  model: string;
  usage: Usage;
  signal: AbortSignal;
}

export async function sendAnthropicMessage(options: AnthropicOptions): Promise<void> {
  const { plan } = options;
  const pieces = plan.reasoningPieces.length + plan.textPieces.length + plan.toolCalls.length;
  await wait(plan.delayMs + pieces * plan.tokenDelayMs, options.signal);
  const content: unknown[] = [];
  if (plan.reasoningPieces.length > 0) content.push({ type: 'thinking', thinking: plan.reasoningPieces.join(''), signature: 'llm-sim-signature' });
  if (plan.textPieces.length > 0) content.push({ type: 'text', text: plan.textPieces.join('') });
  for (const call of plan.toolCalls) content.push({ type: 'tool_use', id: call.id, name: call.name, input: parseInput(call.argumentsText) });
  options.response.writeHead(200, { 'content-type': 'application/json' });
  options.response.end(
    JSON.stringify({
      id: randomId('msg_'),
      type: 'message',
      role: 'assistant',
      model: options.model,
      content,
      stop_reason: stopReasons[plan.finishReason],
      stop_sequence: null,
      usage: usageJson(options.usage),
    }),
  );
}

/** Anthropic's SSE event sequence: message_start, content blocks (start/delta/stop), message_delta, message_stop. */
export async function streamAnthropicMessage(options: AnthropicOptions & { dropAfterChunks?: number; held?: () => Promise<void> | undefined }): Promise<void> {
  const { response, plan, signal } = options;
  let eventsSent = 0;
  const send = (type: string, data: Record<string, unknown>) => {
    if (options.dropAfterChunks !== undefined && eventsSent >= options.dropAfterChunks) {
      response.socket?.end();
      throw new ConnectionDropped();
    }
    response.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
    eventsSent += 1;
  };
  const pacer = await openEventStream(response, options.dropAfterChunks, plan, signal, options.held);
  send('message_start', {
    message: { id: randomId('msg_'), type: 'message', role: 'assistant', model: options.model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usageJson(options.usage), output_tokens: 1 } },
  });
  send('ping', {});
  let index = 0;
  if (plan.reasoningPieces.length > 0) {
    send('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } });
    for (const piece of plan.reasoningPieces) {
      await pacer.next();
      send('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: piece } });
    }
    send('content_block_delta', { index, delta: { type: 'signature_delta', signature: 'llm-sim-signature' } });
    send('content_block_stop', { index });
    index += 1;
  }
  if (plan.textPieces.length > 0) {
    send('content_block_start', { index, content_block: { type: 'text', text: '' } });
    for (const piece of plan.textPieces) {
      await pacer.next();
      send('content_block_delta', { index, delta: { type: 'text_delta', text: piece } });
    }
    send('content_block_stop', { index });
    index += 1;
  }
  for (const call of plan.toolCalls) {
    await pacer.next();
    send('content_block_start', { index, content_block: { type: 'tool_use', id: call.id, name: call.name, input: {} } });
    for (const fragment of splitArguments(call.argumentsText)) {
      await pacer.next();
      send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: fragment } });
    }
    send('content_block_stop', { index });
    index += 1;
  }
  send('message_delta', { delta: { stop_reason: stopReasons[plan.finishReason], stop_sequence: null }, usage: { output_tokens: options.usage.completionTokens } });
  send('message_stop', {});
  response.end();
}

const errorTypes: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
  503: 'overloaded_error',
};

/** An Anthropic-style `{ type: "error", error: { type, message } }` response. */
export function sendAnthropicError(response: ServerResponse, status: number, options: { message?: string; retryAfterSeconds?: number } = {}): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.retryAfterSeconds !== undefined) headers['retry-after'] = String(options.retryAfterSeconds);
  response.writeHead(status, headers);
  response.end(JSON.stringify({ type: 'error', error: { type: errorTypes[status] ?? 'api_error', message: options.message ?? `llm-sim injected HTTP ${status}.` } }));
}
