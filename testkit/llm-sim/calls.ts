import type { IncomingHttpHeaders } from 'node:http';
import type { ChatMessage } from './chat-request.ts';

/** One request as the sim received it, for tests to assert on. */
export interface LlmSimCall {
  /** 1-based position among chat requests since start or reset (what `match.sequence` compares with). */
  sequence: number;
  method: string;
  path: string;
  model: string;
  stream: boolean;
  messages: ChatMessage[];
  toolNames: string[];
  /** Request headers without credentials. */
  headers: Record<string, string>;
  body: Record<string, unknown>;
  /** Index of the rule that answered; undefined when a queued failure or the fallback answered. */
  ruleIndex: number | undefined;
  ruleName: string | undefined;
  /** False when no rule matched; the sim then answered with its "no rule matched" text or the script's fallback. */
  matched: boolean;
  failure: 'status' | 'hang' | 'drop' | undefined;
  usage: { promptTokens: number; completionTokens: number; cachedTokens: number } | undefined;
  /** Set when the client went away before the reply was complete. */
  aborted: boolean;
}

const secretHeaders = new Set(['authorization', 'x-api-key', 'api-key', 'proxy-authorization', 'cookie']);

/** Copies headers, dropping anything that carries a credential so the log can be printed safely. */
export function redactHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || secretHeaders.has(name)) continue;
    result[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return result;
}
