/** Settings, integrations, outgoing webhooks and their deliveries, the alert queue, and the OAuth client state of external MCP servers. */
import { bigserial, index, integer, jsonb, pgTable, primaryKey, text, uuid, varchar } from 'drizzle-orm/pg-core';
import { instant } from './columns.ts';
import { users } from './accounts.ts';
import { conversations } from './conversations.ts';

/**
 * Small engine-wide facts and settings by key (JSON values), e.g. the check that every engine process of an
 * installation uses the same encryption key, and runtime settings an admin changes from the UI.
 */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').$type<unknown>().notNull(),
  updatedAt: instant('updated_at').notNull().defaultNow(),
});

/**
 * External systems the agent may use (Jenkins). `credentials_sealed` holds what the credential vault returned: the
 * credentials sealed with the engine's encryption key (AES-256-GCM, bound to the row id), or, with
 * INTEGRATIONS_BACKEND=kubernetes, `k8s:<namespace>/<secret>`. Only the token's last four characters are in clear.
 */
export const integrations = pgTable('integrations', {
  id: uuid('id').primaryKey().defaultRandom(),
  provider: varchar('provider', { length: 40 }).notNull(),
  name: text('name').notNull(),
  apiUrl: text('api_url').notNull(),
  username: text('username').notNull(),
  credentialsSealed: text('credentials_sealed').notNull(),
  tokenLast4: varchar('token_last4', { length: 4 }).notNull(),
  status: varchar('status', { length: 20 }).notNull().default('active'),
  /** Prometheus/Loki data sources (issue 36): the cluster served; null = every cluster */
  cluster: text('cluster'),
  /** Prometheus (issue 36): the Grafana in front of it, for the chart's "Open in Grafana" link; null = none */
  grafanaUrl: text('grafana_url'),
  /** Prometheus/Loki: the tenant sent as X-Scope-OrgID (issue 78, migration 0025) */
  orgId: text('org_id'),
  createdBy: uuid('created_by'),
  createdAt: instant('created_at').notNull().defaultNow(),
  updatedAt: instant('updated_at').notNull().defaultNow(),
});

/**
 * Outgoing webhooks (integrations with provider "webhook"): where team events are POSTed, which ones, and the signing
 * secret sealed with the engine's encryption key (bound to the row id and URL); only its last four characters in clear.
 */
export const webhooks = pgTable('webhooks', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  url: text('url').notNull(),
  events: jsonb('events').$type<string[]>().notNull(),
  secretSealed: text('secret_sealed').notNull(),
  secretLast4: varchar('secret_last4', { length: 4 }).notNull(),
  status: varchar('status', { length: 20 }).notNull().default('active'),
  createdBy: uuid('created_by'),
  createdAt: instant('created_at').notNull().defaultNow(),
  updatedAt: instant('updated_at').notNull().defaultNow(),
});

/** One outgoing webhook delivery (an event sent to an integration with provider "webhook"), with its attempts. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    integrationId: uuid('integration_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    event: varchar('event', { length: 60 }).notNull(),
    /** the JSON body sent (redacted arguments only; never secrets) */
    body: text('body').notNull(),
    status: varchar('status', { length: 20 }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    responseStatus: integer('response_status'),
    lastError: text('last_error'),
    createdAt: instant('created_at').notNull().defaultNow(),
    deliveredAt: instant('delivered_at'),
  },
  (table) => [index('webhook_deliveries_integration_idx').on(table.integrationId, table.createdAt)],
);

/**
 * Alert investigations waiting for a free slot (ALERT_MAX_CONCURRENT_INVESTIGATIONS), oldest first; bounded by
 * ALERT_QUEUE_LIMIT. In the database so a restart resumes them; a row is removed when an engine starts it.
 */
export const alertQueue = pgTable('alert_queue', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  userId: uuid('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  conversationId: uuid('conversation_id')
    .notNull()
    .references(() => conversations.id, { onDelete: 'cascade' }),
  title: text('title').notNull(),
  /** what the model is told (the alert text, already redacted) */
  message: text('message').notNull(),
  createdAt: instant('created_at').notNull().defaultNow(),
});

/**
 * Issue 77 item 3 (migration 0032): what Skyflo holds as the OAuth client of an external MCP server, per authorization
 * server (`issuer`): its client information (a CIMD URL or a dynamically registered id) and its tokens, both sealed
 * with the engine's key and bound to the server and the issuer. A client id or token is only ever used with the issuer
 * it came from (RFC 6749 §2.2); a server that later names another issuer starts without credentials there.
 */
export const externalMcpOauthCredentials = pgTable(
  'external_mcp_oauth_credentials',
  {
    serverId: text('server_id').notNull(),
    issuer: text('issuer').notNull(),
    clientSealed: text('client_sealed'),
    tokensSealed: text('tokens_sealed'),
    updatedAt: instant('updated_at').notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.serverId, table.issuer] })],
);

/**
 * Issue 77 item 3 (migration 0033): an admin's OAuth sign-in between its start and the authorization server's
 * redirect back (minutes), in the database so the redirect may reach any replica. Keyed by the SHA-256 of the state
 * (the state itself is not kept); the PKCE verifier and the discovery are sealed, bound to the row's server and admin.
 */
export const externalMcpOauthSignIns = pgTable('external_mcp_oauth_sign_ins', {
  stateHash: text('state_hash').primaryKey(),
  serverId: text('server_id').notNull(),
  adminId: text('admin_id').notNull(),
  legSealed: text('leg_sealed').notNull(),
  expiresAt: instant('expires_at').notNull(),
});
