/**
 * How many conversations one user may start per minute (CONVERSATIONS_PER_MINUTE): one counter shared by every
 * route that creates a conversation (POST /conversations, and POST /agent/chat without a conversation_id), so a
 * script cannot fill the database (10,000 conversations in 38 s) by switching routes.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './http-error.ts';

export type ConversationQuota = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

declare module 'fastify' {
  interface FastifyInstance {
    /** Throws a 429 (with Retry-After set) when the caller has started too many conversations this minute. */
    conversationQuota?: ConversationQuota;
    /** The same counter for work no request carries (a scheduled check's run, issue 81): throws a 429 HttpError. */
    conversationQuotaFor?: (userId: string) => Promise<void>;
  }
}

export function registerConversationQuota(app: FastifyInstance, options: { perMinute: number }): void {
  const check = app.createRateLimit({
    max: options.perMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => `conversations:${(request as FastifyRequest & { user?: { id: string } }).user?.id ?? request.ip}`,
  });
  const quota: ConversationQuota = async (request, reply) => {
    const limit = await check(request);
    if (limit.isAllowed || !limit.isExceeded) return;
    const retryAfterSeconds = Math.max(1, Math.ceil(limit.ttl / 1000));
    void reply.header('retry-after', String(retryAfterSeconds));
    throw new HttpError(
      429,
      `You started more than ${options.perMinute} conversations in a minute (CONVERSATIONS_PER_MINUTE); try again in ${retryAfterSeconds} s, or continue an existing conversation.`,
      'RATE_LIMITED',
    );
  };
  app.decorate('conversationQuota', quota);
  // the key generator reads only the user's id: a scheduled run counts on its owner's counter, as their chats do
  app.decorate('conversationQuotaFor', async (userId: string) => {
    const limit = await check({ user: { id: userId }, ip: '', routeOptions: { config: {} } } as unknown as FastifyRequest);
    if (limit.isAllowed || !limit.isExceeded) return;
    throw new HttpError(429, `The owner started more than ${options.perMinute} conversations in a minute (CONVERSATIONS_PER_MINUTE); this run was skipped.`, 'RATE_LIMITED');
  });
}
