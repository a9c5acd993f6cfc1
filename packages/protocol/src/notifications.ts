/**
 * Wire types of the team features: API tokens for automation (POST /auth/tokens), the per-user notification stream
 * (GET /notifications/stream, SSE) and outgoing webhook deliveries.
 */
import { deferred } from './deferred.ts';
import { z } from './zod.ts';

// ---- API tokens ----

/** What a token may do; every route an API token reaches needs one of these (deny by default). */
export const apiTokenScopes = ['chat', 'approvals:read', 'approvals:write', 'alerts:write', 'audit:read'] as const;
export type ApiTokenScope = (typeof apiTokenScopes)[number];

/** Tokens start with this prefix so a leaked one is recognisable (secret scanners, logs). */
export const API_TOKEN_PREFIX = 'sky_';

export const createApiTokenRequestSchema = deferred(() => z.object({
  name: z.string().trim().min(1, 'name is required').max(100, 'name is at most 100 characters'),
  scopes: z.array(z.enum(apiTokenScopes, { error: `scopes must be among ${apiTokenScopes.join(', ')}` })).min(1, 'give at least one scope'),
  /** days until the token stops working (1–365) */
  expires_in_days: z.number().int().min(1, 'expires_in_days is at least 1').max(365, 'expires_in_days is at most 365').default(90),
}));
export type CreateApiTokenRequest = z.infer<typeof createApiTokenRequestSchema>;

export const apiTokenSchema = deferred(() => z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(apiTokenScopes)),
  /** the first characters, to tell tokens apart ("sky_ab12…") */
  prefix: z.string(),
  created_at: z.string(),
  expires_at: z.string(),
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
}));
export type ApiToken = z.infer<typeof apiTokenSchema>;

/** The answer to POST /auth/tokens: the only time the token itself is shown. */
export const createdApiTokenSchema = deferred(() => apiTokenSchema.extend({ token: z.string() }));
export type CreatedApiToken = z.infer<typeof createdApiTokenSchema>;

// ---- notifications (GET /notifications/stream) ----

/** `passkey.registered` (issue 35): another admin or approver registered a passkey (conversation_id is empty) */
/** `freeze.break_glass` (issue 76 item 6): an admin approved a call a change freeze held (summary: who, which freeze, why) */
export const notificationKinds = ['approval.requested', 'approval.decided', 'run.completed', 'passkey.registered', 'schedule.completed', 'freeze.break_glass'] as const;
export type NotificationKind = (typeof notificationKinds)[number];

export const notificationSchema = deferred(() => z.object({
  id: z.string(),
  kind: z.enum(notificationKinds),
  /** epoch ms */
  at: z.number(),
  conversation_id: z.string(),
  conversation_title: z.string().optional(),
  call_id: z.string().optional(),
  tool: z.string().optional(),
  /** plain words for a browser notification ("scales deployment default/web to 5 replicas") */
  summary: z.string(),
  /** approval.requested: the recipient may decide the call (not only see it) */
  can_decide: z.boolean().optional(),
  /** approval.requested, when can_decide is false: why, in the engine's words (as GET /approvals/pending says it) */
  cannot_decide_reason: z.string().optional(),
  /** approval.decided */
  outcome: z.enum(['approved', 'denied']).optional(),
  decided_by_email: z.string().optional(),
  /** run.completed */
  status: z.string().optional(),
}));
export type Notification = z.infer<typeof notificationSchema>;

// ---- outgoing webhooks ----

export const webhookEvents = ['approval.requested', 'approval.decided', 'run.completed', 'tool.verification', 'alert.investigated', 'schedule.completed', 'freeze.break_glass'] as const;
export type WebhookEvent = (typeof webhookEvents)[number];

export const webhookDeliverySchema = deferred(() => z.object({
  id: z.string(),
  integration_id: z.string(),
  event: z.string(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number(),
  response_status: z.number().nullable(),
  last_error: z.string().nullable(),
  created_at: z.string(),
  delivered_at: z.string().nullable(),
}));
export type WebhookDelivery = z.infer<typeof webhookDeliverySchema>;

/** POST /integrations with provider "webhook": where to POST team events, which ones, and the signing secret. */
export const createWebhookRequestSchema = deferred(() => z.object({
  provider: z.literal('webhook'),
  name: z.string().trim().min(1, 'name is required').max(100),
  metadata: z.object({
    url: z.url({ protocol: /^https?$/, error: 'metadata.url must be an http(s) URL' }),
    events: z.array(z.enum(webhookEvents, { error: `events must be among ${webhookEvents.join(', ')}` })).min(1, 'give at least one event'),
  }),
  credentials: z.object({ secret: z.string().min(16, 'the signing secret needs at least 16 characters') }),
}));
export type CreateWebhookRequest = z.infer<typeof createWebhookRequestSchema>;

export const updateWebhookRequestSchema = deferred(() => z.object({
  name: z.string().trim().min(1).max(100).optional(),
  metadata: z.object({ events: z.array(z.enum(webhookEvents)).min(1) }).optional(),
  status: z.enum(['active', 'disabled']).optional(),
}));
export type UpdateWebhookRequest = z.infer<typeof updateWebhookRequestSchema>;

export const webhookIntegrationSchema = deferred(() => z.object({
  id: z.string(),
  provider: z.literal('webhook'),
  name: z.string(),
  metadata: z.object({ url: z.string(), events: z.array(z.string()) }),
  status: z.enum(['active', 'disabled']),
  credentials: z.object({ set: z.literal(true), secret_last4: z.string() }),
  created_at: z.string(),
  updated_at: z.string(),
}));
export type WebhookIntegration = z.infer<typeof webhookIntegrationSchema>;

/** Header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` on every webhook delivery. */
export const WEBHOOK_SIGNATURE_HEADER = 'x-skyflo-signature';

/** POST /integrations with provider "slack": the channel approval requests go to, and the Slack app's credentials. */
export const createSlackRequestSchema = deferred(() => z.object({
  provider: z.literal('slack'),
  name: z.string().trim().min(1, 'name is required').max(100),
  metadata: z.object({
    channel: z.string().trim().min(1, 'metadata.channel is required (a channel id such as C0123456789)'),
    /**
     * Slack's Web API base URL, default https://slack.com/api. Change it only for a proxy in front of Slack (an
     * egress gateway) or a test server such as testkit's slack-sim; the URL guard applies to it like to webhooks.
     */
    api_url: z.url({ protocol: /^https?$/ }).optional(),
  }),
  credentials: z.object({
    bot_token: z.string().startsWith('xoxb-', 'credentials.bot_token must be a bot token (xoxb-…)'),
    signing_secret: z.string().min(16, 'credentials.signing_secret is the app\'s signing secret (Basic Information page)'),
  }),
}));
export type CreateSlackRequest = z.infer<typeof createSlackRequestSchema>;

/**
 * POST /integrations with provider "teams": the Microsoft Teams conversation approval requests go to (a channel or
 * chat the bot is installed in), and the Azure Bot's credentials. The app password is sealed like every credential.
 */
export const createTeamsRequestSchema = deferred(() => z.object({
  provider: z.literal('teams'),
  name: z.string().trim().min(1, 'name is required').max(100),
  metadata: z.object({
    /** the Azure Bot's Microsoft App ID: the audience of every activity Teams sends the bot */
    app_id: z.string().trim().min(1, 'metadata.app_id is the Azure Bot\'s Microsoft App ID'),
    /** the Entra tenant the bot's app registration lives in (single-tenant bots; "botframework.com" for multi-tenant) */
    tenant_id: z.string().trim().min(1, 'metadata.tenant_id is the Entra tenant ID of the bot\'s app registration'),
    /** where approval cards are posted: a Teams conversation id (19:…@thread.tacv2 for a channel) */
    conversation_id: z.string().trim().min(1, 'metadata.conversation_id is the Teams conversation (channel) id'),
    /**
     * The Bot Framework connector the bot posts through, default https://smba.trafficmanager.net/teams/. Change it only
     * for a regional service URL, a proxy, or a test channel such as testkit's teams-sim; the URL guard applies.
     */
    service_url: z.url({ protocol: /^https?$/ }).optional(),
    /** the token service (client credentials), default https://login.microsoftonline.com; the URL guard applies */
    login_url: z.url({ protocol: /^https?$/ }).optional(),
  }),
  credentials: z.object({
    app_password: z.string().min(8, 'credentials.app_password is the bot app registration\'s client secret'),
  }),
}));
export type CreateTeamsRequest = z.infer<typeof createTeamsRequestSchema>;

/** The Azure Bot's "Messaging endpoint", under the engine's public address: Teams posts card clicks there. */
export const TEAMS_MESSAGES_PATH = '/api/v1/integrations/teams/messages';

/** Where the Slack app's Interactivity "Request URL" points, under the engine's public address. */
export const SLACK_INTERACTIONS_PATH = '/api/v1/integrations/slack/interactions';

/**
 * GET /settings/public-url: the address users reach the Command Center at, for links in webhooks and Slack and the
 * Slack Request URL. "environment": PUBLIC_URL; "settings": stored (the first admin's browser origin, or changed in
 * Settings); "unknown": neither yet, so links are relative.
 */
export const publicUrlSettingsSchema = deferred(() => z.object({
  url: z.string().nullable(),
  source: z.enum(['environment', 'settings', 'unknown']),
  /** how the stored address was set: seen in the first admin's browser, or typed in Settings */
  origin: z.enum(['browser', 'admin']).optional(),
  set_by: z.string().optional(),
  updated_at: z.string().optional(),
}));
export type PublicUrlSettings = z.infer<typeof publicUrlSettingsSchema>;

/**
 * PUT /settings/public-url (admin): `from_browser` marks the UI reporting the origin it was loaded from, which is
 * stored only while no address is known (it never overrides one an admin typed); otherwise the address is replaced.
 */
export const updatePublicUrlRequestSchema = deferred(() => z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'url must be an http(s) address such as https://skyflo.example.com' }),
    from_browser: z.boolean().optional(),
  })
  .strict());
export type UpdatePublicUrlRequest = z.infer<typeof updatePublicUrlRequestSchema>;
