import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { scopeForRoute } from '../../app/accounts/api-token-scopes.ts';
import type { ApiTokenIdentity, ApiTokenUse, ApiTokenUser } from '../../app/accounts/api-token-service.ts';
import type { AuthenticatedUser } from '../../platform/ports/index.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller; set by the authenticate hook on every route not marked `config: { public: true }`. */
    user: AuthenticatedUser;
    /** set when the caller used an API token (`sky_…`) instead of a session: its id, name and scopes */
    apiToken?: ApiTokenIdentity;
  }
  interface FastifyContextConfig {
    /** true for the few routes that anyone may call (health, login, register, refresh, logout). */
    public?: boolean;
  }
}

export const ACCESS_TOKEN_COOKIE = 'auth_token';

/** The access token from `Authorization: Bearer …`, else from the HttpOnly auth_token cookie. */
export function readAccessToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    return match?.[1];
  }
  return request.cookies?.[ACCESS_TOKEN_COOKIE] || undefined;
}

const isApiTokenUser = (user: AuthenticatedUser | ApiTokenUser): user is ApiTokenUser => 'apiToken' in user;

export type Authenticate = (token: string, use?: ApiTokenUse) => Promise<AuthenticatedUser | ApiTokenUser | undefined>;

/**
 * Registers the auth hook on the calling scope. Routes are private unless they opt out, so a new route can
 * never be left open by forgetting a check (the reference left the agent routes open to anonymous callers).
 * An API token reaches only the routes its scopes cover (api-token-scopes.ts: deny by default).
 */
export function registerAuthenticate(app: FastifyInstance, authenticate: Authenticate): void {
  app.decorateRequest('user', null as unknown as AuthenticatedUser);
  app.decorateRequest('apiToken', undefined);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.routeOptions.config?.public) return;
    const token = readAccessToken(request);
    const use: ApiTokenUse = { method: request.method, path: request.url, scope: scopeForRoute(request.method, request.routeOptions.url), ip: request.ip };
    const user = token ? await authenticate(token, use) : undefined;
    if (!user) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ detail: 'Not authenticated' });
      return reply;
    }
    if (isApiTokenUser(user)) {
      if (user.apiTokenRefusal) {
        await reply.code(403).send({ detail: user.apiTokenRefusal });
        return reply;
      }
      request.apiToken = user.apiToken;
      request.user = { id: user.id, email: user.email, role: user.role };
      return;
    }
    request.user = user;
  });
}
