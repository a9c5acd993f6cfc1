/**
 * The limit on every API route except health (RATE_LIMIT_PER_MINUTE): per signed-in user, or per client address
 * when signed out, counted after authentication so one user's burst never throttles a colleague behind the same
 * proxy. The counter store is @fastify/rate-limit's (in memory, or Redis when the engine has one).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from './http-error.ts';

export function registerRequestRateLimit(api: FastifyInstance, options: { max: number; windowSeconds: number; exemptPrefix: string }): void {
  const check = api.createRateLimit({
    max: options.max,
    timeWindow: options.windowSeconds * 1000,
    keyGenerator: (request) => {
      const user = (request as FastifyRequest & { user?: { id: string } }).user;
      return user ? `requests:user:${user.id}` : `requests:address:${request.ip}`;
    },
  });
  api.addHook('preHandler', async (request, reply) => {
    if (request.url.startsWith(options.exemptPrefix)) return;
    const limit = await check(request);
    if (limit.isAllowed) return;
    void reply.header('x-ratelimit-limit', String(options.max));
    void reply.header('x-ratelimit-remaining', String(Math.max(0, limit.remaining)));
    if (!limit.isExceeded) return;
    const retryAfterSeconds = Math.max(1, Math.ceil(limit.ttl / 1000));
    void reply.header('retry-after', String(retryAfterSeconds));
    throw new HttpError(429, `Too many requests: more than ${options.max} in ${options.windowSeconds} s (RATE_LIMIT_PER_MINUTE); try again in ${retryAfterSeconds} s.`, 'RATE_LIMITED');
  });
}
