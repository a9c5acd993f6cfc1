/** Optional bearer-token check for /mcp. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Compares the presented token with the expected one in constant time. Both are hashed first so the
 * comparison length never depends on the secret (timingSafeEqual needs equal lengths).
 */
export function isAuthorized(request: IncomingMessage, expectedToken: string | undefined): boolean {
  if (!expectedToken) return true;
  const header = request.headers.authorization ?? '';
  const presented = header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(expectedToken)) && presented.length > 0;
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
 * Why a token-less loopback server checks Host and Origin: a web page can reach 127.0.0.1 through DNS
 * rebinding (its own name re-resolved to 127.0.0.1), and then its requests are same-origin to the browser.
 * Those requests carry the page's name in Host and Origin, never a loopback one. Returns the reason to refuse.
 */
export function rebindingRefusal(request: IncomingMessage): string | undefined {
  const host = request.headers.host;
  const hostname = host ? hostnameOf(host, 'http://') : undefined;
  if (!hostname || !isLoopback(hostname)) {
    return `Host ${JSON.stringify(host ?? '')} is not a loopback name; without an auth token this server only answers requests addressed to 127.0.0.1, localhost or [::1].`;
  }
  const origin = request.headers.origin;
  if (origin !== undefined) {
    const originHost = hostnameOf(origin);
    if (!originHost || !isLoopback(originHost)) return `Origin ${JSON.stringify(origin)} is not a loopback origin; browser pages from other sites may not call this server.`;
  }
  return undefined;
}
