/**
 * Response payloads that had no schema of their own: the engine produced them, the Command Center read them on
 * trust. Declared here so the typed client checks every answer it reads, and the OpenAPI document names them.
 */
import { deferred } from './deferred.ts';
import { z } from './zod.ts';
import { integrationSchema } from './governance.ts';
import { apiTokenSchema, webhookDeliverySchema, webhookIntegrationSchema } from './notifications.ts';

/** GET /auth/tokens: your API tokens, never the token itself. */
export const apiTokensResponseSchema = deferred(() => z.object({ data: z.array(apiTokenSchema) }));
export type ApiTokensResponse = z.infer<typeof apiTokensResponseSchema>;

/** GET /integrations/:id/deliveries: a webhook's recent deliveries. */
export const webhookDeliveriesResponseSchema = deferred(() => z.object({ data: z.array(webhookDeliverySchema) }));
export type WebhookDeliveriesResponse = z.infer<typeof webhookDeliveriesResponseSchema>;

/** The Slack integration as the engine shows it: the channel, never the bot token or signing secret (only the token's last 4). */
export const slackIntegrationSchema = deferred(() => z.object({
  id: z.string(),
  provider: z.literal('slack'),
  name: z.string(),
  metadata: z.object({ channel: z.string(), api_url: z.string().optional() }),
  status: z.enum(['active', 'disabled']),
  credentials: z.object({ set: z.literal(true), bot_token_last4: z.string() }),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
}));
export type SlackIntegration = z.infer<typeof slackIntegrationSchema>;

/** The Teams integration as the engine shows it: app, tenant and conversation, never the app password (only its last 4). */
export const teamsIntegrationSchema = deferred(() => z.object({
  id: z.string(),
  provider: z.literal('teams'),
  name: z.string(),
  metadata: z.object({ app_id: z.string(), tenant_id: z.string(), conversation_id: z.string(), service_url: z.string(), login_url: z.string() }),
  status: z.enum(['active', 'disabled']),
  credentials: z.object({ set: z.literal(true), app_password_last4: z.string() }),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
}));
export type TeamsIntegration = z.infer<typeof teamsIntegrationSchema>;

/** Any integration GET /integrations lists: Jenkins, outgoing webhooks, Slack and Teams, told apart by `provider`. */
export const anyIntegrationSchema = deferred(() => z.discriminatedUnion('provider', [integrationSchema, webhookIntegrationSchema, slackIntegrationSchema, teamsIntegrationSchema]));
export type AnyIntegration = z.infer<typeof anyIntegrationSchema>;
export const integrationListResponseSchema = deferred(() => z.array(anyIntegrationSchema));

