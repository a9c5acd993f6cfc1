/**
 * Which scope an API token needs for each route. Deny by default: a route missing here cannot be reached with an
 * API token at all (token management, team, settings and integrations need a signed-in person).
 * Keys are `METHOD route-pattern` as Fastify reports it (request.routeOptions.url), without the /api/v1 prefix.
 */
import type { ApiTokenScope } from '@skyflo/protocol';

const routeScopes: Record<string, ApiTokenScope> = {
  'GET /auth/me': 'chat',
  'GET /conversations': 'chat',
  'POST /conversations': 'chat',
  'GET /conversations/:id': 'chat',
  'PATCH /conversations/:id': 'chat',
  'POST /agent/chat': 'chat',
  'POST /agent/approvals/:call_id': 'chat',
  'POST /agent/stop': 'chat',
  // issue 77 item 2: an MCP server proposes its clients' calls in the token owner's name (it cannot decide them)
  'POST /agent/external-calls': 'chat',
  'GET /agent/external-calls/:call_id': 'chat',
  'POST /agent/external-calls/:call_id/cancel': 'chat',
  'GET /agent/runs/:run_id/events': 'chat',
  'GET /agent/tools': 'chat',
  'GET /approvals/pending': 'approvals:read',
  'GET /notifications/stream': 'approvals:read',
  'POST /alerts': 'alerts:write',
  'POST /alerts/alertmanager': 'alerts:write',
  'GET /audit': 'audit:read',
  'GET /audit/export': 'audit:read',
  'GET /audit/verify': 'audit:read',
  'GET /audit/head': 'audit:read',
};

/** The scope a token needs for this route, or undefined when API tokens may not use it. */
export function scopeForRoute(method: string, routeUrl: string | undefined, prefix = '/api/v1'): ApiTokenScope | undefined {
  if (!routeUrl) return undefined;
  const path = routeUrl.startsWith(prefix) ? routeUrl.slice(prefix.length) : routeUrl;
  return routeScopes[`${method.toUpperCase()} ${path.replace(/\/$/, '')}`];
}
