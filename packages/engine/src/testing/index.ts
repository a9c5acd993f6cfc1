/**
 * @skyflo/engine/testing: the engine's test helpers for suites outside this package (bench/, e2e/, evals/): the agent
 * routes on an ephemeral port, in-memory storage, a fake MCP server, and an SSE reader. Never imported by the engine
 * itself; see docs/adr/0007-package-boundaries.md.
 */
export { startAgentTestApp, type AgentTestApp, type AgentTestAppDeps } from './agent-test-app.ts';
export { startFakeMcpServer, type FakeMcpServer } from './fake-mcp-server.ts';
export { createInMemoryApprovalStore, createInMemoryConversationStore, createInMemoryRunStore, createInMemoryStorage } from './in-memory-storage.ts';
export { iterateSse, readSse, type SseFrame } from './read-sse.ts';

// The parts a bench (or a suite that assembles its own engine) wires together itself, so it need not reach into
// src/ by path. Product code keeps importing them from their own modules.
export { agentConfig } from '../platform/config/agent.ts';
export { createEventBus } from '../adapters/bus/create-event-bus.ts';
export { createMemoryEventBus } from '../adapters/bus/memory-event-bus.ts';
export { createRedisEventBus } from '../adapters/bus/redis-event-bus.ts';
export { createToolGateway } from '../adapters/mcp/create-tool-gateway.ts';
export { createLanguageModel } from '../adapters/llm/create-language-model.ts';
export { createIdleTimeoutFetch } from '../adapters/llm/idle-timeout-fetch.ts';
export { createRequestFetch } from '../adapters/llm/request-fetch.ts';
export { llmConfigSchema } from '../platform/config/llm.ts';
export { createPgliteStorage } from '../adapters/storage/pglite/pglite-storage.ts';
export { createPostgresStorage } from '../adapters/storage/postgres/postgres-storage.ts';
export { exposeTools, toModelTools } from '../app/graph/tool-exposure.ts';
export { validatedPrompt } from '../app/graph/model-stream.ts';
export { systemPrompt } from '../domain/prompts/system-prompt.ts';
export { registerAuthenticate } from '../http/plugins/authenticate.ts';
export { registerErrorHandler } from '../http/plugins/error-handler.ts';
export { auditRoutes } from '../http/routes/audit/index.ts';
export type { ReadyEventBus } from '../adapters/bus/bus-types.ts';
export type { ToolGateway } from '../platform/ports/tool-gateway.ts';
// The audit bench (bench/audit-append.ts) replays the chain's previous append beside today's, on the same schema.
export { GENESIS_HASH, hashAuditRecord } from '../domain/audit/audit-chain.ts';
export type { SkyfloDatabase } from '../adapters/storage/database.ts';
export { openEmbeddedDatabase } from '../adapters/storage/pglite/embedded-database.ts';
// The cold-start bench (bench/release-start.ts) opens PGlite alone as the engine's thread does, for its floor, and
// times the template's copy alone as a fresh start makes it.
export { pgliteStartParams } from '../adapters/storage/pglite/pglite-start-params.ts';
export { defaultPgliteTemplateDir, seedFromPgliteTemplate } from '../adapters/storage/pglite/pglite-template.ts';
export { auditEvents, schema } from '../adapters/storage/schema.ts';
// Large audit trails for the verify suite and the audit growth bench (bench/audit-growth.ts).
export { appendAuditInBulk, type BulkAuditOptions } from './bulk-audit.ts';
export { savePausedTurn } from './paused-turn.ts';
