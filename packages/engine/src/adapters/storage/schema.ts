/**
 * The Drizzle schema shared by both drivers (PGlite and Postgres). Migrations in packages/engine/drizzle are
 * generated from this file (its tables are in schema/, one file per aggregate) with `npx drizzle-kit generate --config packages/engine/drizzle.config.ts`.
 */
import { users, refreshTokens, apiTokens, passkeys, deviceKeys } from './schema/accounts.ts';
import { conversations, conversationTombstones, messages, runs } from './schema/conversations.ts';
import { approvals } from './schema/approvals.ts';
import { auditEvents } from './schema/audit.ts';
import { settings, integrations, webhooks, webhookDeliveries, alertQueue } from './schema/integrations.ts';
import { policies, freezes, schedules, scheduleRuns } from './schema/guardrails.ts';

export { users, refreshTokens, apiTokens, passkeys, deviceKeys } from './schema/accounts.ts';
export { conversations, conversationTombstones, messages, runs } from './schema/conversations.ts';
export { approvals } from './schema/approvals.ts';
export { auditEvents, auditChainHead } from './schema/audit.ts';
export { settings, integrations, webhooks, webhookDeliveries, alertQueue, externalMcpOauthCredentials, externalMcpOauthSignIns } from './schema/integrations.ts';
export { policies, freezes, schedules, scheduleRuns } from './schema/guardrails.ts';

export const schema = { freezes, policies, deviceKeys, passkeys, users, refreshTokens, conversations, conversationTombstones, messages, approvals, runs, auditEvents, settings, integrations, apiTokens, webhooks, webhookDeliveries, alertQueue, schedules, scheduleRuns };
