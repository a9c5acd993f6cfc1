/**
 * POST /integrations/slack/interactions — the Slack app's interactivity Request URL. Public (Slack calls it), so its
 * only authentication is the signature over the raw body: the body is kept as the exact string received (the
 * form parser would lose it) and handed to the Slack service, which verifies it before anything else.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { SlackEndpoint } from '../../../app/integrations/chat-approvals/chat-endpoints.ts';

export interface SlackInteractionRouteDeps {
  slack: SlackEndpoint;
}

export const slackInteractionRoutes: FastifyPluginAsync<SlackInteractionRouteDeps> = async (app, { slack }) => {
  // In this plugin only: the exact bytes Slack signed.
  app.removeContentTypeParser('application/x-www-form-urlencoded');
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.post('/integrations/slack/interactions', { config: { public: true } }, async (request, reply) => {
    const raw = typeof request.body === 'string' ? request.body : '';
    const outcome = await slack.interaction(raw, request.headers, request.ip);
    return reply.code(outcome.status).send({ detail: outcome.detail });
  });
};
