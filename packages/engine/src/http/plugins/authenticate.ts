import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthenticatedUser } from '../../ports/index.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller; set by the authenticate hook on every route not marked `config: { public: true }`. */
    user: AuthenticatedUser;
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

/**
 * Registers the auth hook on the calling scope. Routes are private unless they opt out, so a new route can
 * never be left open by forgetting a check (the reference left the agent routes open to anonymous callers).
 */
export function registerAuthenticate(app: FastifyInstance, authenticate: (token: string) => Promise<AuthenticatedUser | undefined>): void {
  app.decorateRequest('user', null as unknown as AuthenticatedUser);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.routeOptions.config?.public) return;
    const token = readAccessToken(request);
    const user = token ? await authenticate(token) : undefined;
    if (!user) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ detail: 'Not authenticated' });
      return reply;
    }
    request.user = user;
  });
}
