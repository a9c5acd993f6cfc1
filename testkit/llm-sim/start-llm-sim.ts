import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from '../shared/listen-on-loopback.ts';
import { redactHeaders, type LlmSimCall } from './calls.ts';
import { viewChatRequest, type ChatRequestView } from './chat-request.ts';
import { viewAnthropicRequest, sendAnthropicError, sendAnthropicMessage, streamAnthropicMessage } from './anthropic-routes.ts';
import { ConnectionDropped, sendChatCompletion, sendOpenAiError, streamChatCompletion } from './openai-routes.ts';
import { createPromptCache } from './prompt-cache.ts';
import { planReply, type ReplyPlan } from './reply-plan.ts';
import { loadLlmScript } from './script/load-script.ts';
import { findRule } from './script/match-rule.ts';
import { templateValues } from './script/render-template.ts';
import type { Failure, LlmScript, ParsedLlmScript, ParsedReply } from './script/script-schema.ts';
import { estimateTokens } from './token-count.ts';

export interface LlmSimOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** A script object or the path of a YAML/JSON script file. */
  script?: LlmScript | string;
  /** When set, requests must send `Authorization: Bearer <apiKey>` (or `x-api-key`), else 401. */
  apiKey?: string;
}

export interface LlmSim {
  /** Base URL including `/v1`, ready for `baseURL` of an OpenAI-compatible client. */
  url: string;
  port: number;
  /** Every request received since start or the last reset, oldest first. The array is kept, only emptied by reset. */
  calls: LlmSimCall[];
  /** Replaces the script, keeping the calls log and the request sequence. */
  setScript(script: LlmScript | string): void;
  /** Empties the calls log, restarts the sequence and `once` rules, and optionally swaps the script. */
  reset(script?: LlmScript | string): void;
  /**
   * Streamed replies send no further token (text, reasoning or tool-call chunk) until releaseStreams(): a test holds an
   * answer mid-stream while it breaks something, instead of hoping a slow stream outlasts the breaking.
   */
  holdStreams(): void;
  /** Held streams go on at their own pace from where they stopped. */
  releaseStreams(): void;
  close(): Promise<void>;
}

interface ReplyDecision {
  call: LlmSimCall;
  failure?: Failure;
  reply?: ParsedReply;
}

const maxBodyBytes = 32 * 1024 * 1024;

/** Starts the scripted OpenAI-compatible model server on 127.0.0.1. */
export async function startLlmSim(options: LlmSimOptions = {}): Promise<LlmSim> {
  let script: ParsedLlmScript = loadLlmScript(options.script);
  let sequence = 0;
  let spentRules = new Set<number>();
  let failureQueue: Failure[] = [...script.failures];
  const calls: LlmSimCall[] = [];
  const promptCache = createPromptCache();
  // Every in-flight request can be aborted by close(): hang mode and slow streams must not keep the process alive.
  const inFlight = new Set<AbortController>();
  let hold: { promise: Promise<void>; release: () => void } | undefined;
  const held = () => hold?.promise;

  const applyScript = (next: LlmScript | string) => {
    script = loadLlmScript(next);
    spentRules = new Set();
    failureQueue = [...script.failures];
  };

  const decide = (request: ChatRequestView, base: Omit<LlmSimCall, 'sequence' | 'ruleIndex' | 'ruleName' | 'matched' | 'failure' | 'usage' | 'aborted'>): ReplyDecision => {
    sequence += 1;
    const call: LlmSimCall = { ...base, sequence, ruleIndex: undefined, ruleName: undefined, matched: false, failure: undefined, usage: undefined, aborted: false };
    calls.push(call);
    const queued = failureQueue.shift();
    if (queued) {
      call.failure = queued.kind;
      call.matched = true;
      return { call, failure: queued };
    }
    const ruleIndex = findRule(script.rules, { request, sequence }, spentRules);
    if (ruleIndex === undefined) {
      const fallback: ParsedReply = script.fallback ?? {
        text: `llm-sim: no rule matched request #${sequence} (last user message: ${JSON.stringify(request.lastUserMessage ?? '')}). Add a matching rule to the script.`,
      };
      return { call, reply: fallback };
    }
    const rule = script.rules[ruleIndex];
    if (rule.once) spentRules.add(ruleIndex);
    Object.assign(call, { ruleIndex, ruleName: rule.name, matched: true, failure: rule.failure?.kind });
    return { call, failure: rule.failure, reply: rule.reply };
  };

  const handleChat = async (
    httpRequest: IncomingMessage,
    response: ServerResponse,
    body: Record<string, unknown>,
    signal: AbortSignal,
    protocol: 'openai' | 'anthropic',
  ) => {
    const sendError = protocol === 'openai' ? sendOpenAiError : sendAnthropicError;
    if (!Array.isArray(body.messages)) {
      sendError(response, 400, { message: "'messages' is a required property and must be an array." });
      return;
    }
    const request = protocol === 'openai' ? viewChatRequest(body) : viewAnthropicRequest(body);
    const decision = decide(request, {
      method: httpRequest.method ?? 'POST',
      path: httpRequest.url ?? '',
      model: request.model,
      stream: request.stream,
      messages: request.messages,
      toolNames: request.toolNames,
      headers: redactHeaders(httpRequest.headers),
      body,
    });
    const { call } = decision;
    signal.addEventListener('abort', () => (call.aborted = response.writableFinished ? call.aborted : true), { once: true });

    if (decision.failure?.kind === 'status') {
      sendError(response, decision.failure.status, { message: decision.failure.message, retryAfterSeconds: decision.failure.retryAfterSeconds });
      return;
    }
    if (decision.failure?.kind === 'hang') {
      // No timer: the request simply stays open until the client aborts or close() destroys the socket.
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      return;
    }
    const dropAfterChunks = decision.failure?.kind === 'drop' ? decision.failure.afterChunks : undefined;
    if (dropAfterChunks !== undefined && !request.stream) {
      response.socket?.destroy();
      return;
    }
    const reply: ParsedReply = decision.reply ?? { text: '' };
    const plan: ReplyPlan = planReply({
      reply,
      request,
      templateValues: templateValues(request, call.sequence),
      defaultTokenDelayMs: script.tokenDelayMs,
      toolCallIdPrefix: protocol === 'openai' ? 'call_' : 'toolu_',
    });
    const prompt = JSON.stringify(request.tools) + JSON.stringify(request.messages);
    const usage = {
      promptTokens: estimateTokens(prompt),
      completionTokens: plan.completionTokens,
      cachedTokens: promptCache.cachedTokens(prompt),
      reasoningTokens: plan.reasoningTokens,
    };
    call.usage = { promptTokens: usage.promptTokens, completionTokens: usage.completionTokens, cachedTokens: usage.cachedTokens };
    const model = request.model || script.models[0] || 'sim-model';
    if (protocol === 'anthropic') {
      if (request.stream) await streamAnthropicMessage({ response, plan, model, usage, signal, dropAfterChunks, held });
      else await sendAnthropicMessage({ response, plan, model, usage, signal });
      return;
    }
    const shared = { response, plan, model, usage, reasoningField: script.reasoningField, signal };
    if (request.stream) await streamChatCompletion({ ...shared, includeUsage: request.includeUsage, dropAfterChunks, held });
    else await sendChatCompletion(shared);
  };

  const route = async (httpRequest: IncomingMessage, response: ServerResponse, signal: AbortSignal) => {
    const path = new URL(httpRequest.url ?? '/', 'http://sim').pathname.replace(/\/+$/, '');
    const protocol = path === '/v1/chat/completions' ? 'openai' : path === '/v1/messages' ? 'anthropic' : undefined;
    const sendError = protocol === 'anthropic' ? sendAnthropicError : sendOpenAiError;
    if (options.apiKey !== undefined) {
      const bearer = /^Bearer\s+(.+)$/i.exec(httpRequest.headers.authorization ?? '')?.[1];
      const key = bearer ?? httpRequest.headers['x-api-key'];
      if (key !== options.apiKey) {
        sendError(response, 401, protocol === 'anthropic' ? { message: 'invalid x-api-key' } : {});
        return;
      }
    }
    if (path === '/v1/models' && httpRequest.method === 'GET') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ object: 'list', data: script.models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'llm-sim' })) }));
      return;
    }
    if (protocol) {
      if (httpRequest.method !== 'POST') {
        sendError(response, 405, { message: `Method ${httpRequest.method} is not allowed on ${path}; use POST.` });
        return;
      }
      const raw = await readBody(httpRequest);
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        sendError(response, 400, { message: 'The request body is not valid JSON.' });
        return;
      }
      if (!body || typeof body !== 'object' || Array.isArray(body)) {
        sendError(response, 400, { message: 'The request body must be a JSON object.' });
        return;
      }
      await handleChat(httpRequest, response, body as Record<string, unknown>, signal, protocol);
      return;
    }
    sendOpenAiError(response, 404, { message: `llm-sim has no route ${httpRequest.method} ${path}; it serves GET /v1/models, POST /v1/chat/completions and POST /v1/messages.` });
  };

  const server = createServer((httpRequest, response) => {
    const controller = new AbortController();
    inFlight.add(controller);
    // 'close' on the response fires when the reply finished or the client went away; either way pending waits must stop.
    response.on('close', () => {
      controller.abort(new Error('request closed'));
      inFlight.delete(controller);
    });
    route(httpRequest, response, controller.signal).catch((error: unknown) => {
      if (error instanceof ConnectionDropped || controller.signal.aborted) return;
      if (!response.headersSent) sendOpenAiError(response, 500, { message: `llm-sim internal error: ${(error as Error).message}` });
      else response.destroy();
    });
  });
  const listener = await listenOnLoopback(server, options);

  return {
    url: `${listener.origin}/v1`,
    port: listener.port,
    calls,
    setScript: applyScript,
    reset(next) {
      if (next !== undefined) applyScript(next);
      else {
        spentRules = new Set();
        failureQueue = [...script.failures];
      }
      calls.length = 0;
      sequence = 0;
      promptCache.clear();
    },
    holdStreams() {
      if (hold) return;
      let release!: () => void;
      const promise = new Promise<void>((resolve) => (release = resolve));
      hold = { promise, release };
    },
    releaseStreams() {
      hold?.release();
      hold = undefined;
    },
    async close() {
      hold?.release();
      hold = undefined;
      for (const controller of inFlight) controller.abort(new Error('llm-sim closed'));
      await listener.close();
    },
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) throw new Error(`request body larger than ${maxBodyBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
