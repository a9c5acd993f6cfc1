/**
 * Who is calling /mcp, by the bearer token presented. Every HTTP client presents one, loopback included: any
 * local process or user can reach 127.0.0.1, so "local" says nothing about who is asking.
 * - the engine token (--auth-token / MCP_AUTH_TOKEN): the Skyflo engine, whose approval gate already asked a human;
 *   its calls are trusted (no elicitation; it may impersonate and hand over Jenkins credentials).
 * - the client token (--client-token / MCP_CLIENT_TOKEN, or generated into the data dir): a human-driven client
 *   such as an IDE; its changes still go through --confirm (elicitation by default).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export type HttpCaller = 'engine' | 'client';

export interface HttpTokens {
  engineToken?: string;
  clientToken?: string;
}

function presentedToken(request: IncomingMessage): string {
  const header = request.headers.authorization ?? '';
  return /^Bearer /i.test(header) ? header.slice('Bearer '.length).trim() : '';
}

/**
 * Constant-time comparison: both sides are hashed first, so the comparison length never depends on the secret
 * (timingSafeEqual needs equal lengths), and both tokens are always compared, so timing does not say which matched.
 */
function tokenMatches(presented: string, expected: string | undefined): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  const equal = timingSafeEqual(digest(presented), digest(expected ?? ''));
  return equal && Boolean(expected) && presented.length > 0;
}

/** The caller the presented token identifies, or undefined (no token, or a wrong one). */
export function authenticate(request: IncomingMessage, tokens: HttpTokens): HttpCaller | undefined {
  const presented = presentedToken(request);
  const engine = tokenMatches(presented, tokens.engineToken);
  const client = tokenMatches(presented, tokens.clientToken);
  if (engine) return 'engine';
  if (client) return 'client';
  return undefined;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|::ffff:127\.\d+\.\d+\.\d+)$/;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host.replace(/^\[|\]$/g, ''));
}

function hostnameOf(value: string, prefix = ''): string | undefined {
  try {
    return new URL(`${prefix}${value}`).hostname;
  } catch {
    return undefined;
  }
}

/**
 * Why a loopback server also checks Host and Origin for client-token callers: a web page can reach 127.0.0.1 through
 * DNS rebinding (its own name re-resolved to 127.0.0.1), and then its requests are same-origin to the browser. It
 * cannot know the token, but an IDE's web view holding it should not be usable from another site either. Those
 * requests carry the page's name in Host and Origin, never a loopback one. Returns the reason to refuse.
 */
export function rebindingRefusal(request: IncomingMessage): string | undefined {
  const host = request.headers.host;
  const hostname = host ? hostnameOf(host, 'http://') : undefined;
  if (!hostname || !isLoopback(hostname)) {
    return `Host ${JSON.stringify(host ?? '')} is not a loopback name; this server, bound to loopback, only answers client requests addressed to 127.0.0.1, localhost or [::1].`;
  }
  const origin = request.headers.origin;
  if (origin !== undefined) {
    const originHost = hostnameOf(origin);
    if (!originHost || !isLoopback(originHost)) return `Origin ${JSON.stringify(origin)} is not a loopback origin; browser pages from other sites may not call this server.`;
  }
  return undefined;
}
