/**
 * The engine's ports: small interfaces that the workflow and HTTP layers depend on. Adapters live in
 * storage/ (PGlite or Postgres through Drizzle), bus/ (in-process or Redis) and llm/; each port has an
 * in-memory implementation for tests. The choice of adapter is made once, in create-engine.ts.
 *
 * One file per aggregate; this barrel re-exports them all, so `from './index.ts'` keeps working. Add a new
 * store's interfaces to its aggregate's file (or a new file exported here), and the store itself to storage.ts.
 */

export * from './accounts.ts';
export * from './conversations.ts';
export * from './approvals.ts';
export * from './runs.ts';
export * from './bus.ts';
export * from './audit.ts';
export * from './settings.ts';
export * from './integrations.ts';
export * from './analytics.ts';
export * from './api-tokens.ts';
export * from './webhooks.ts';
export * from './alert-queue.ts';
export * from './passkeys.ts';
export * from './device-keys.ts';
export * from './policies.ts';
export * from './storage.ts';
