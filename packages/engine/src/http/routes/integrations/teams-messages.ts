/**
 * POST /integrations/teams/messages — the Azure Bot's messaging endpoint. Public (the Bot Framework calls it), so
 * its only authentication is the channel's JWT in Authorization, which the Teams service verifies (Microsoft's Bot
 * Framework authentication) before anything in the activity is used.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TeamsEndpoint } from '../../../app/integrations/chat-approvals/chat-endpoints.ts';

export interface TeamsMessageRouteDeps {
  teams: TeamsEndpoint;
}

export const teamsMessageRoutes: FastifyPluginAsync<TeamsMessageRouteDeps> = async (app, { teams }) => {
  app.post('/integrations/teams/messages', { config: { public: true } }, async (request, reply) => {
    const activity = request.body && typeof request.body === 'object' ? request.body : {};
    const authorization = typeof request.headers.authorization === 'string' ? request.headers.authorization : undefined;
    const outcome = await teams.activity(activity, authorization, request.ip);
    return reply.code(outcome.status).send(outcome.body);
  });
};
