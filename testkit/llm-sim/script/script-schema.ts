import { z } from 'zod';

/** A failure the sim answers with instead of a normal reply. */
export const failureSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('status').describe('Answer with an HTTP error status and an OpenAI-style error body.'),
    status: z.number().int().min(400).max(599),
    /** Sent as `Retry-After` (seconds), which the AI SDK's retry loop honours. */
    retryAfterSeconds: z.number().min(0).optional(),
    message: z.string().optional(),
  }),
  z.strictObject({
    kind: z.literal('hang').describe('Never answer; the request ends only when the client aborts or the sim closes.'),
  }),
  z.strictObject({
    kind: z.literal('drop').describe('Destroy the socket after `afterChunks` SSE chunks (0 = before any byte).'),
    afterChunks: z.number().int().min(0).default(0),
  }),
]);

const toolCallSchema = z.strictObject({
  name: z.string().min(1),
  /** An object is JSON-encoded; a string is sent verbatim, which is how malformed JSON is injected. */
  arguments: z.union([z.record(z.string(), z.unknown()), z.string()]).default({}),
  id: z.string().optional(),
});

const finishReasonSchema = z.enum(['stop', 'length', 'tool_calls', 'content_filter']);

/** Benchmark streaming: N generated tokens at a given rate. */
const benchmarkSchema = z.strictObject({
  mode: z.literal('stream'),
  tokens: z.number().int().min(0),
  /** 0 or Infinity (or omitted) = as fast as possible. */
  tokensPerSecond: z.number().min(0).optional(),
  delayMs: z.number().min(0).optional(),
});

const replyObjectSchema = z
  .strictObject({
    text: z.string().optional(),
    toolCalls: z.array(toolCallSchema).optional(),
    reasoning: z.string().optional(),
    finishReason: finishReasonSchema.optional(),
    delayMs: z.number().min(0).optional().describe('Wait before the first byte.'),
    tokenDelayMs: z.number().min(0).optional().describe('Wait between streamed tokens.'),
    tokensPerSecond: z.number().min(0).optional().describe('Alternative to tokenDelayMs.'),
    mode: z.literal('stream').optional(),
    tokens: z.number().int().min(0).optional(),
  })
  .superRefine((reply, context) => {
    if (reply.mode === 'stream') {
      if (reply.tokens === undefined) context.addIssue({ code: 'custom', message: 'mode "stream" needs tokens: N' });
      return;
    }
    if (reply.text === undefined && reply.toolCalls === undefined && reply.reasoning === undefined) {
      context.addIssue({ code: 'custom', message: 'expected text or toolCalls (or mode: stream with tokens)' });
    }
  });

/** A reply: a plain string is shorthand for `{ text }`. */
export const replySchema = z.preprocess((value) => (typeof value === 'string' ? { text: value } : value), replyObjectSchema);

const matchSchema = z.strictObject({
  userContains: z.string().optional().describe('Substring of the last user message (case-insensitive).'),
  userMatches: z.string().optional().describe('Regular expression (case-insensitive) tested against the last user message.'),
  toolResultContains: z.string().optional().describe('Substring of a tool result from the latest round.'),
  systemContains: z.string().optional().describe('Substring of the system messages (case-insensitive): what the engine gave the model as context.'),
  toolName: z.string().optional().describe('Name of a tool whose result is in the latest round.'),
  hasTool: z.string().optional().describe('The request offers a tool with this name.'),
  sequence: z.number().int().min(1).optional().describe('The Nth chat request since start/reset (1-based).'),
  lastRole: z.enum(['user', 'tool', 'assistant', 'system']).optional().describe('Role of the last message.'),
  model: z.string().optional(),
  always: z.literal(true).optional(),
});

export const ruleSchema = z
  .strictObject({
    name: z.string().optional(),
    match: matchSchema.default({ always: true }),
    once: z.boolean().default(false),
    reply: replySchema.optional(),
    failure: failureSchema.optional(),
  })
  .superRefine((rule, context) => {
    if (rule.reply === undefined && rule.failure === undefined) {
      context.addIssue({ code: 'custom', path: ['reply'], message: 'expected text or toolCalls' });
    }
    if (rule.match.userMatches !== undefined) {
      try {
        new RegExp(rule.match.userMatches);
      } catch (error) {
        context.addIssue({ code: 'custom', path: ['match', 'userMatches'], message: `invalid regular expression: ${(error as Error).message}` });
      }
    }
  });

export const llmScriptSchema = z.strictObject({
  /** Names listed by GET /v1/models. */
  models: z.array(z.string()).default(['sim-model']),
  rules: z.array(ruleSchema).default([]),
  /** Consumed one per chat request, before rules are looked at. */
  failures: z.array(failureSchema).default([]),
  /** Reply used when no rule matches; without it the sim answers with a "no rule matched" text. */
  fallback: replySchema.optional(),
  /** Default pacing applied to every reply that sets none. */
  tokenDelayMs: z.number().min(0).default(0),
  /** Delta field for reasoning text: DeepSeek uses `reasoning_content`, OpenRouter `reasoning`. */
  reasoningField: z.enum(['reasoning_content', 'reasoning']).default('reasoning_content'),
});

/** The script as written by a user (before defaults). */
export type LlmScript = z.input<typeof llmScriptSchema>;
/** The script after validation and defaults. */
export type ParsedLlmScript = z.output<typeof llmScriptSchema>;
export type ParsedRule = ParsedLlmScript['rules'][number];
export type ParsedReply = z.output<typeof replySchema>;
export type Failure = z.output<typeof failureSchema>;
