import { randomBytes } from 'node:crypto';
import type { ChatRequestView } from './chat-request.ts';
import { renderDeep, renderTemplate } from './script/render-template.ts';
import type { ParsedReply } from './script/script-schema.ts';
import { benchmarkTokens, estimateTokens, splitIntoTokens } from './token-count.ts';

export interface PlannedToolCall {
  id: string;
  name: string;
  /** Exactly what goes on the wire, valid JSON or not. */
  argumentsText: string;
}

/** A reply resolved against one request: what to send and how fast, independent of the wire format. */
export interface ReplyPlan {
  reasoningPieces: string[];
  textPieces: string[];
  toolCalls: PlannedToolCall[];
  finishReason: 'stop' | 'length' | 'tool_calls' | 'content_filter';
  delayMs: number;
  /** Milliseconds between streamed tokens; 0 = as fast as possible. */
  tokenDelayMs: number;
  completionTokens: number;
  reasoningTokens: number;
}

export function randomId(prefix: string, length = 24): string {
  return prefix + randomBytes(length).toString('base64url').replace(/[-_]/g, 'x').slice(0, length);
}

function delayFromRate(tokensPerSecond: number | undefined): number | undefined {
  if (tokensPerSecond === undefined) return undefined;
  return tokensPerSecond === 0 || !Number.isFinite(tokensPerSecond) ? 0 : 1000 / tokensPerSecond;
}

export function planReply(options: {
  reply: ParsedReply;
  request: ChatRequestView;
  templateValues: Record<string, string>;
  defaultTokenDelayMs: number;
  /** `call_` for OpenAI, `toolu_` for Anthropic. */
  toolCallIdPrefix?: string;
}): ReplyPlan {
  const { reply, request, templateValues } = options;
  const tokenDelayMs = delayFromRate(reply.tokensPerSecond) ?? reply.tokenDelayMs ?? options.defaultTokenDelayMs;
  const delayMs = reply.delayMs ?? 0;

  if (reply.mode === 'stream') {
    const textPieces = benchmarkTokens(reply.tokens ?? 0);
    return finish({ reasoningPieces: [], textPieces, toolCalls: [], explicitFinish: reply.finishReason, delayMs, tokenDelayMs, maxTokens: request.maxTokens, countPieces: true });
  }

  const text = reply.text === undefined ? '' : renderTemplate(reply.text, templateValues);
  const reasoning = reply.reasoning === undefined ? '' : renderTemplate(reply.reasoning, templateValues);
  const toolCalls = (reply.toolCalls ?? []).map((call) => ({
    id: call.id ?? randomId(options.toolCallIdPrefix ?? 'call_'),
    name: call.name,
    argumentsText:
      typeof call.arguments === 'string' ? renderTemplate(call.arguments, templateValues) : JSON.stringify(renderDeep(call.arguments, templateValues)),
  }));
  return finish({
    reasoningPieces: splitIntoTokens(reasoning),
    textPieces: splitIntoTokens(text),
    toolCalls,
    explicitFinish: reply.finishReason,
    delayMs,
    tokenDelayMs,
    maxTokens: request.maxTokens,
    countPieces: false,
  });
}

function finish(input: {
  reasoningPieces: string[];
  textPieces: string[];
  toolCalls: PlannedToolCall[];
  explicitFinish: ReplyPlan['finishReason'] | undefined;
  delayMs: number;
  tokenDelayMs: number;
  maxTokens: number | undefined;
  countPieces: boolean;
}): ReplyPlan {
  let { textPieces, toolCalls } = input;
  let finishReason = input.explicitFinish ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop');
  // Like a real model, a max_tokens budget cuts the answer short and reports finish_reason "length".
  if (input.maxTokens !== undefined && input.reasoningPieces.length + textPieces.length > input.maxTokens) {
    textPieces = textPieces.slice(0, Math.max(0, input.maxTokens - input.reasoningPieces.length));
    toolCalls = [];
    finishReason = 'length';
  }
  const reasoningTokens = input.reasoningPieces.length > 0 ? estimateTokens(input.reasoningPieces.join('')) : 0;
  const textTokens = input.countPieces ? textPieces.length : estimateTokens(textPieces.join(''));
  const toolTokens = toolCalls.reduce((sum, call) => sum + estimateTokens(call.name) + estimateTokens(call.argumentsText), 0);
  return {
    reasoningPieces: input.reasoningPieces,
    textPieces,
    toolCalls,
    finishReason,
    delayMs: input.delayMs,
    tokenDelayMs: input.tokenDelayMs,
    completionTokens: reasoningTokens + textTokens + toolTokens,
    reasoningTokens,
  };
}
