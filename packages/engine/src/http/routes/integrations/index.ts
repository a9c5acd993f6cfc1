/**
 * Integrations (spec §1). Every signed-in user may list them (metadata only; never a credential); only admins
 * change them, and every create or credential/URL change is checked against Jenkins before it is saved:
 *   GET    /integrations            → Integration[]
 *   POST   /integrations            → 201 Integration | 400 naming what Jenkins said | 409 one is already active
 *   PATCH  /integrations/:id        → Integration
 *   DELETE /integrations/:id        → 204
 *   POST   /integrations/:id/test   → { ok, latency_ms, user? , error? } (Slack: auth.test and a test message in the channel;
 *                                       Teams: a bot token and a test message in the conversation)
 * Outgoing webhooks are integrations too (provider "webhook", integrations/webhook/): POST with
 * {provider: "webhook", name, metadata: {url, events}, credentials: {secret}}, listed with the others, changed and
 * deleted by id, and GET /integrations/:id/deliveries → {data: WebhookDelivery[]} (newest first).
 */
import { createIntegrationRequestSchema, createSlackRequestSchema, createTeamsRequestSchema, createWebhookRequestSchema, updateIntegrationRequestSchema, updateWebhookRequestSchema, type IntegrationTestResult } from '@skyflo/protocol';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { IntegrationError, type IntegrationService } from '../../../app/integrations/integration-service.ts';
import type { WebhookService } from '../../../app/integrations/webhook/webhook-service.ts';
import type { SlackEndpoint, TeamsEndpoint } from '../../../app/integrations/chat-approvals/chat-endpoints.ts';
import { HttpError } from '../../plugins/http-error.ts';
import { parseInput } from '../../plugins/parse-input.ts';

export interface IntegrationRouteDeps {
  integrations: IntegrationService;
  /** outgoing webhooks; without it provider "webhook" is refused like any unknown provider */
  webhooks?: WebhookService;
  /** Slack (one per installation); without it provider "slack" is refused */
  slack?: SlackEndpoint;
  /** Microsoft Teams (one per installation); without it provider "teams" is refused */
  teams?: TeamsEndpoint;
}

const idParamsSchema = z.object({ id: z.uuid('id must be an integration id (UUID) from GET /integrations') });

export const integrationRoutes: FastifyPluginAsync<IntegrationRouteDeps> = async (app, { integrations, webhooks, slack, teams }) => {
  const run = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw error instanceof IntegrationError ? new HttpError(error.statusCode, error.message, error.code) : error;
    }
  };

  app.get('/integrations', async (request) => {
    const slackView = await slack?.view();
    const teamsView = await teams?.view();
    return [...(await integrations.list(request.user)), ...((await webhooks?.list()) ?? []), ...(slackView ? [slackView] : []), ...(teamsView ? [teamsView] : [])];
  });

  const isWebhook = async (id: string) => (webhooks ? webhooks.has(id) : false);

  app.post('/integrations', async (request, reply) => {
    if (slack && (request.body as { provider?: unknown } | undefined)?.provider === 'slack') {
      const input = parseInput(createSlackRequestSchema, request.body);
      const created = await run(() => slack.create(request.user, { name: input.name, channel: input.metadata.channel, ...(input.metadata.api_url ? { apiUrl: input.metadata.api_url } : {}), botToken: input.credentials.bot_token, signingSecret: input.credentials.signing_secret }, request.ip));
      return reply.code(201).send(created);
    }
    if (teams && (request.body as { provider?: unknown } | undefined)?.provider === 'teams') {
      const input = parseInput(createTeamsRequestSchema, request.body);
      const { metadata } = input;
      const created = await run(() => teams.create(request.user, { name: input.name, appId: metadata.app_id, tenantId: metadata.tenant_id, conversationId: metadata.conversation_id, ...(metadata.service_url ? { serviceUrl: metadata.service_url } : {}), ...(metadata.login_url ? { loginUrl: metadata.login_url } : {}), appPassword: input.credentials.app_password }, request.ip));
      return reply.code(201).send(created);
    }
    if (webhooks && (request.body as { provider?: unknown } | undefined)?.provider === 'webhook') {
      const input = parseInput(createWebhookRequestSchema, request.body);
      return reply.code(201).send(await run(() => webhooks.create(request.user, input, request.ip)));
    }
    const input = parseInput(createIntegrationRequestSchema, request.body);
    return reply.code(201).send(await run(() => integrations.create(request.user, input, request.ip)));
  });

  app.patch('/integrations/:id', async (request) => {
    const { id } = parseInput(idParamsSchema, request.params, 'params');
    if (webhooks && (await isWebhook(id))) return run(() => webhooks.update(request.user, id, parseInput(updateWebhookRequestSchema, request.body), request.ip));
    const input = parseInput(updateIntegrationRequestSchema, request.body);
    return run(() => integrations.update(request.user, id, input, request.ip));
  });

  app.delete('/integrations/:id', async (request, reply) => {
    const { id } = parseInput(idParamsSchema, request.params, 'params');
    if (slack && (await run(() => slack.remove(request.user, id, request.ip)))) return reply.code(204).send();
    if (teams && (await run(() => teams.remove(request.user, id, request.ip)))) return reply.code(204).send();
    if (webhooks && (await isWebhook(id))) await run(() => webhooks.remove(request.user, id, request.ip));
    else await run(() => integrations.remove(request.user, id, request.ip));
    return reply.code(204).send();
  });

  app.post('/integrations/:id/test', async (request): Promise<IntegrationTestResult> => {
    const { id } = parseInput(idParamsSchema, request.params, 'params');
    const result = (await slack?.test(id)) ?? (await teams?.test(id)) ?? (await run(() => integrations.test(request.user, id)));
    return result.ok ? { ok: true, latency_ms: result.latencyMs, user: result.user } : { ok: false, latency_ms: result.latencyMs, error: result.error };
  });

  app.get('/integrations/:id/deliveries', async (request) => {
    const { id } = parseInput(idParamsSchema, request.params, 'params');
    if (!webhooks || !(await isWebhook(id))) throw new HttpError(404, `integration ${id} is not a webhook; only webhooks have deliveries`, 'NOT_FOUND');
    return { data: await run(() => webhooks.deliveries(id)) };
  });
};
